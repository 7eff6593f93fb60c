"""After an erasure no output of linkage names the erased person's records (SQLite and PostgreSQL): not
individuals.parquet, not perpetrator_persons.parquet, not the store's links and scored pairs; and a later
`ctdata link` / `ctdata link perpetrators` does not bring them back."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import select

from ctdata.cases import users
from ctdata.cases.access import SYSTEM, Actor
from ctdata.cases.tx import transaction
from ctdata.config import settings
from ctdata.ingest.standard_import import import_standard
from ctdata.linkage import perpetrators, pipeline
from ctdata.linkage.outputs import INDIVIDUALS_FILE, PERSONS_FILE
from ctdata.publish.erasure import erase
from ctdata.standard.template import column_names
from ctdata.store import db
from ctdata.store.crypto import keyring
from ctdata.store.models import CaseRecord, IndividualLink, LinkScore, Perpetrator
from tests.ingest.helpers import record, write_records


def _import(tmp_path: Path) -> None:
    """Two people registered twice each (by two offices), every record with its perpetrator."""
    rows = [record(i, family_name=f"Family{i % 2}", given_name=f"Given{i % 2}", date_of_birth=f"199{i % 2}-04-02",
                   office_country=("UA", "PL")[i // 2]) for i in range(4)]
    write_records(tmp_path / "records.csv", rows)
    write_records(tmp_path / "perpetrators.csv", [
        {"record_id": f"R{i}", "roles": "recruiter", "sex": "male", "citizenship": "UA",
         "names": f"Perp Surname{i % 2}", "phone_numbers": f"+380 44 000 111{i % 2}"} for i in range(4)
    ], column_names("perpetrators"))
    import_standard(tmp_path / "records.csv")


def _keys_in(name: str, column: str) -> set[str]:
    return set(pq.read_table(settings().warehouse_dir / name).column(column).to_pylist())


def _erased_keys(case_id: int) -> tuple[set[str], set[str]]:
    with db.session_scope() as s:
        case = s.get(CaseRecord, case_id)
        assert case is not None
        ids = [c.id for c in case.person.cases]
        perps = s.scalars(select(Perpetrator.id).where(Perpetrator.case_id.in_(ids))).all()
        links = s.scalars(select(IndividualLink.record_key)).all()
        scored = s.execute(select(LinkScore.record_key_l, LinkScore.record_key_r)).all()
    keys = keyring()
    rkeys = set(keys.record_keys(ids))
    pkeys = {keys.pseudonym(p, purpose="perpetrator") for p in perps}
    assert pkeys
    in_store = rkeys & ({*links} | {k for pair in scored for k in pair})
    return rkeys & _keys_in(INDIVIDUALS_FILE, "record_key") | in_store, pkeys & _keys_in(PERSONS_FILE,
                                                                                             "perpetrator_key")


def test_erasure_removes_the_person_from_every_linkage_output(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _import(tmp_path)
    pipeline.link_store(progress=False)
    perpetrators.link_store()
    with transaction() as s:
        dm = Actor.of(users.create_user(s, SYSTEM, "dm", "correct horse battery", "data_manager", None, None))
        case_id = s.scalars(select(CaseRecord.id).where(CaseRecord.source_record_id == "R0")).one()
    records, perps = _erased_keys(case_id)
    assert records and perps  # before: the outputs hold the person's record and perpetrator

    out = erase(dm, case_id, "the person's written request of 2024-05-01")
    assert _erased_keys(case_id) == (set(), set())
    assert out["linkage"][INDIVIDUALS_FILE] == 1 and out["linkage"][PERSONS_FILE] == 1
    assert out["linkage"]["individual_links"] == 1
    with db.session_scope() as s:  # the other records are still linked
        assert len(s.scalars(select(IndividualLink.record_key)).all()) == 3
    assert len(_keys_in(INDIVIDUALS_FILE, "record_key")) == 3

    # the next runs leave the erased person out from the start
    assert pipeline.link_store(progress=False)["records"] == 3
    pipeline.recluster_store()
    assert perpetrators.link_store()["rows"] == 3
    assert _erased_keys(case_id) == (set(), set())

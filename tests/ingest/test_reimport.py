"""Re-imports and quarantine: companion rows follow their record, a corrected file resolves what it
corrects, a source row keeps one identity, and every count reconciles."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ctdata.ingest.quarantine import list_rows, retry
from ctdata.ingest.standard_import import import_standard
from ctdata.store import db
from ctdata.store.models import Assistance, CaseRecord, JourneyLeg, QuarantineRow

from .helpers import record, write_records

LEGS = "record_id,leg_number,from_country,to_country,crossing\n"
AID = "record_id,assistance_type,date,provider,reintegration\n"


def _count(model: type, **where: Any) -> int:
    with db.session_scope() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.execute(q).scalar_one()


def _folder(path: Path, records: list[dict[str, Any]], legs: str = "", aid: str = "") -> Path:
    write_records(path / "records.csv", records)
    if legs:
        (path / "journey_legs.csv").write_text(LEGS + legs, encoding="utf-8")
    if aid:
        (path / "assistance.csv").write_text(AID + aid, encoding="utf-8")
    return path


_R1_LEGS = "R0,1,UA,PL,official_land\nR1,1,UA,PL,official_land\nR1,2,PL,DE,official_land\n"
_R1_AID = "R1,medical,2011-05-01,NGO,1\n"


def _open(table: str | None = None) -> list[dict[str, Any]]:
    return [r for r in list_rows() if table is None or r["table"] == table]


def test_companions_of_a_quarantined_record_are_quarantined_with_it_and_retried_with_it(
    store, tmp_path: Path
) -> None:
    folder = _folder(tmp_path / "f", [record(0), record(1, sex="blue")], _R1_LEGS, _R1_AID)
    res = import_standard(folder)
    assert (res.loaded, res.quarantined) == (1, 1)
    assert res.tables["journey_legs"]["quarantined"] == 2 and res.tables["assistance"]["quarantined"] == 1
    companions = [r for r in _open() if r["table"] != "records"]
    assert len(companions) == 3 and all(r["reason"].startswith("parent quarantined") for r in companions)
    (parent,) = _open("records")
    got = retry([parent["id"]], {"sex": "female"})
    assert got["loaded"] == 1 and got["companions_loaded"] == 3
    assert _count(JourneyLeg) == 3 and _count(Assistance) == 1 and _open() == []


def test_corrected_reimport_after_retry_loads_the_companions(store, tmp_path: Path) -> None:
    """The record was loaded by retry: its legs and assistance in the corrected file are new, not present."""
    import_standard(_folder(tmp_path / "a", [record(0), record(1, sex="blue")]))
    (parent,) = _open("records")
    retry([parent["id"]], {"sex": "female"})
    res = import_standard(_folder(tmp_path / "b", [record(0), record(1, sex="female")], _R1_LEGS, _R1_AID))
    assert _count(JourneyLeg) == 3 and _count(Assistance) == 1
    assert res.already_present == 2
    legs = res.tables["journey_legs"]
    assert (legs["inserted"], legs["already_present"], legs["quarantined"]) == (3, 0, 0)
    assert res.tables["assistance"]["inserted"] == 1


def test_corrected_reimport_resolves_the_quarantine_entries(store, tmp_path: Path) -> None:
    bad_leg = "R0,3,UA,PL,teleport\n"
    import_standard(_folder(tmp_path / "a", [record(0), record(1, sex="blue")], _R1_LEGS + bad_leg, _R1_AID))
    assert len(_open()) == 5
    res = import_standard(
        _folder(tmp_path / "b", [record(0), record(1)], _R1_LEGS + "R0,3,UA,PL,official_land\n", _R1_AID)
    )
    assert res.quarantined == 0 and _open() == []
    assert _count(QuarantineRow, status="resolved") == 5 and res.tables["journey_legs"]["inserted"] == 3
    assert _count(JourneyLeg) == 4 and _count(Assistance) == 1


def test_retry_with_a_new_agency_keeps_the_source_row_identity(store, tmp_path: Path) -> None:
    rows = [record(0), record(1, agency="ngo-b", sex="blue")]
    import_standard(write_records(tmp_path / "a.csv", rows))
    (q,) = _open()
    assert retry([q["id"]], {"sex": "female", "agency": "IOM"})["loaded"] == 1
    again = import_standard(write_records(tmp_path / "b.csv", [record(0), record(1, agency="ngo-b")]))
    assert again.inserted == 0 and again.rows_read == again.loaded == 2
    assert _count(CaseRecord) == 2
    with db.session_scope() as s:  # the source is the file's agency, as a canonical agency code
        assert s.execute(select(CaseRecord.source).where(CaseRecord.source_record_id == "R1")).scalars().all() == [
            "NGO-B"
        ]


def test_reimport_does_not_duplicate_open_quarantine_entries(store, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "f", [record(0), record(1, sex="blue"), record(2, record_id="")], "R0,1,UA,PL,x\n")
    first = import_standard(folder)
    second = import_standard(folder)
    assert first.quarantined == second.quarantined == 2
    assert second.rows_read == second.loaded + second.quarantined
    assert len(_open("records")) == 2 and len(_open("journey_legs")) == 1
    assert _count(QuarantineRow) == 3


def test_companions_of_a_record_already_in_the_store_are_loaded_not_present(store, tmp_path: Path) -> None:
    """'already present' means the same row is in the store, not that its record is."""
    import_standard(_folder(tmp_path / "a", [record(0), record(1)]))
    res = import_standard(_folder(tmp_path / "b", [record(0), record(1)], _R1_LEGS, _R1_AID))
    assert _count(JourneyLeg) == 3 and _count(Assistance) == 1
    assert res.tables["journey_legs"]["inserted"] == 3 and res.tables["journey_legs"]["already_present"] == 0
    changed = import_standard(
        _folder(tmp_path / "c", [record(0), record(1)], _R1_LEGS.replace("land\nR1,2", "sea\nR1,2"))
    )
    legs = changed.tables["journey_legs"]
    assert (legs["already_present"], legs["updated"], legs["inserted"]) == (2, 1, 0)
    assert _crossings() == {("R0", 1): "official_land", ("R1", 1): "official_sea", ("R1", 2): "official_land"}


_leg = st.tuples(st.integers(0, 3), st.integers(1, 3), st.sampled_from(["official_land", "official_air", "teleport"]))
_rec = st.tuples(st.integers(0, 4), st.sampled_from(["female", "male", "blue"]))


def _crossings() -> dict[tuple[str, int], str]:
    with db.session_scope() as s:
        q = select(CaseRecord.source_record_id, JourneyLeg.leg_number, JourneyLeg.crossing).join(CaseRecord)
        return {(r, n): c for r, n, c in s.execute(q)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(_rec, max_size=6), st.lists(_leg, max_size=6)), min_size=1, max_size=3))
def test_counts_reconcile_and_present_means_present(sqlite_store, tmp_path: Path, files) -> None:
    """Any sequence of imports: every row is loaded (new, changed, present) or quarantined, and after each
    import every loaded row of the file is in the store as the file has it."""
    run = uuid.uuid4().hex[:8]
    for k, (recs, legs) in enumerate(files):
        folder = tmp_path / f"{run}-{k}"
        records = [record(i, record_id=f"{run}-{i}", sex=sex) for i, sex in recs]
        leg_text = "".join(f"{run}-{i},{n},UA,PL,{c}\n" for i, n, c in legs)
        res = import_standard(_folder(folder, records, leg_text or "x,1,UA,PL,official_land\n"))
        assert res.rows_read == len(records)
        assert res.rows_read == res.inserted + res.updated + res.already_present + res.quarantined
        assert res.loaded == res.inserted + res.updated + res.already_present
        t = res.tables["journey_legs"]
        assert t["rows_read"] == t["inserted"] + t["updated"] + t["already_present"] + t["quarantined"]
        assert t["loaded"] == t["inserted"] + t["updated"] + t["already_present"]
        loaded: set[str] = {f"{run}-{i}" for i, sex in recs if sex != "blue"}
        first: dict[tuple[str, int], str] = {}
        for i, n, c in legs:
            if c != "teleport":
                first.setdefault((f"{run}-{i}", n), c)
        stored = _crossings()
        for (rid, n), c in first.items():
            if rid in loaded:
                assert stored.get((rid, n)) == c


def test_preparing_process_settles_quarantine_entries(sqlite_store, tmp_path: Path, monkeypatch) -> None:
    """A first import with a preparing child (the store holds no case record yet) resolves the entries
    of an earlier all-quarantined import and keeps one entry for a row that is still bad."""
    from ctdata.ingest import parallel

    bad = [record(0, sex="blue"), record(1, sex="blue"), record(2, office_country="QQ")]
    import_standard(_folder(tmp_path / "a", bad, "R0,1,UA,PL,official_land\n"))
    assert _count(CaseRecord) == 0 and len(_open()) == 4
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    res = import_standard(_folder(tmp_path / "b", [record(0), record(1), bad[2]], "R0,1,UA,PL,official_land\n"))
    assert (res.inserted, res.quarantined, res.resolved) == (2, 1, 3)
    assert [r["row_number"] for r in _open()] == [3] and _count(QuarantineRow) == 4
    assert _count(JourneyLeg) == 1


def test_an_agency_typed_in_another_case_is_the_same_agency(store, tmp_path: Path) -> None:
    """Issue 13: `iom` counted as an agency apart from `IOM`; agency codes are canonical when imported."""
    first = import_standard(write_records(tmp_path / "a.csv", [record(0, agency="iom")]))
    again = import_standard(write_records(tmp_path / "b.csv", [record(0, agency=" IOM ")]))
    assert first.inserted == 1 and again.inserted == 0
    with db.session_scope() as s:
        assert s.execute(select(CaseRecord.source, CaseRecord.agency, CaseRecord.current_agency)).all() == [
            ("IOM", "IOM", "IOM")
        ]

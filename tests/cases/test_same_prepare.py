"""Registration in the case services and an import prepare a person by the same rules (one place)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ctdata.cases import service
from ctdata.cases.tx import transaction
from ctdata.ingest.standard_import import import_standard
from ctdata.store.models import CaseRecord
from tests.cases.conftest import CASE, PERSON
from tests.ingest.helpers import record, write_records


@pytest.mark.parametrize(
    "dob, band, child",
    [("1996", "27-29", False), ("2010-05", "9-17", True), ("1995-06-01", "27-29", False)],
)
def test_registered_and_imported_person_get_the_same_key_and_ages(
    engine, actors, tmp_path: Path, dob: str, band: str, child: bool
) -> None:
    person = {**PERSON, "date_of_birth": dob}
    with transaction(engine) as s:
        registered = service.register_case(s, actors["th"], person, CASE)
        got = (registered.person.person_key, registered.age_band, registered.child_at_registration)
    assert got[1:] == (band, child)
    row = record(
        0, agency="IOM", office_country="TH", registration_date=CASE["registration_date"], given_name="Mai",
        family_name="Tran", date_of_birth=dob, id_document_number="C1234567", citizenship="VN",
    )
    import_standard(write_records(tmp_path / "r.csv", [row]))
    with transaction(engine) as s:
        imported = s.execute(select(CaseRecord).where(CaseRecord.source_record_id == "R0")).scalar_one()
        assert (imported.person.person_key, imported.age_band, imported.child_at_registration) == got
        assert imported.age_at_registration == registered.age_at_registration


def test_reimport_of_a_changed_row_does_not_restore_an_erased_person(engine, actors, tmp_path: Path) -> None:
    from ctdata.cases import erasure
    from ctdata.store.models import QuarantineRow

    import_standard(write_records(tmp_path / "a.csv", [record(0), record(0), record(1, sex="blue")]))
    with transaction(engine) as s:
        case = s.execute(select(CaseRecord).where(CaseRecord.source_record_id == "R0")).scalar_one()
        erasure.erase_person(s, actors["dm"], case.id, "the person's request")
        erased_key = case.person.person_key
    with transaction(engine) as s:
        entries = s.execute(select(QuarantineRow.row_number, QuarantineRow.row_hash)).all()
        assert {(n, h is None) for n, h in entries} == {(2, True), (3, False)}  # R0's copy erased, R1's kept
    res = import_standard(write_records(tmp_path / "b.csv", [record(0, sex="male"), record(1, sex="blue")]))
    assert res.updated == 1
    with transaction(engine) as s:
        person = s.execute(select(CaseRecord).where(CaseRecord.source_record_id == "R0")).scalar_one().person
        assert (person.given_name_enc, person.family_name_enc, person.date_of_birth_enc) == (None, None, None)
        assert person.person_key == erased_key and person.sex == "male"


def test_reimport_over_an_erased_person_brings_back_no_free_text_and_no_copies(engine, actors, tmp_path: Path) -> None:
    """Erasure on request is final: a partner's file met again restores none of the person's free
    text (the sharing list, providers, risk mitigations), and the erased rows are not added again
    as new ones (which would also count the assistance twice)."""
    from ctdata.cases import erasure
    from ctdata.store.models import Assistance, ReturnRecord
    from tests.ingest.test_free_text_import import _folder

    import_standard(_folder(tmp_path / "a"))
    with transaction(engine) as s:
        case = s.execute(select(CaseRecord)).scalar_one()
        erasure.erase_person(s, actors["dm"], case.id, "the person's request")
    again = import_standard(_folder(tmp_path / "b"))
    assert again.quarantined == 0 and again.loaded == 1
    for table in ("assistance", "returns"):
        assert again.tables[table]["inserted"] == 0, (table, again.tables[table])
    changed = _folder(tmp_path / "c")  # the record itself changed: an update, still without the sharing list
    write_records(changed / "records.csv", [record(0, consent_sharing="IOM VN;Halvorine-NGO", sex="male")])
    assert import_standard(changed).updated == 1
    with transaction(engine) as s:
        case = s.execute(select(CaseRecord)).scalar_one()
        assert case.consent_sharing_enc is None
        assert [a.provider_enc for a in s.execute(select(Assistance)).scalars()] == [None]
        assert [r.risk_mitigations_enc for r in s.execute(select(ReturnRecord)).scalars()] == [None]

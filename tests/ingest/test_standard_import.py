from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ctdata.errors import FileFormatError
from ctdata.ingest import columns as columns_mod
from ctdata.ingest import sinks as loader_mod
from ctdata.ingest.quarantine import list_rows, retry, show_row
from ctdata.ingest.standard_import import import_standard
from ctdata.store import audit, db
from ctdata.store.crypto import keyring
from ctdata.store.models import Assistance, CaseRecord, JourneyLeg, Person, QuarantineRow

from .helpers import record, write_records


def _count(model: type) -> int:
    with db.session_scope() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_import_round_trip_encrypted_at_rest(store, tmp_path: Path) -> None:
    path = write_records(tmp_path / "records.csv", [record(i) for i in range(30)])
    res = import_standard(path)
    assert (res.rows_read, res.loaded, res.quarantined, res.inserted) == (30, 30, 0, 30)
    with db.session_scope() as s:
        case = s.execute(select(CaseRecord).where(CaseRecord.source_record_id == "R7")).scalar_one()
        person = case.person
        assert keyring().decrypt(person.given_name_enc, "given_name") == "Олена"
        assert keyring().decrypt(person.family_name_enc, "family_name") == "Шевченко7"
        assert case.exploitation_types == ["forced_labour"] and case.age_at_registration == 16
        assert case.child_at_registration is True and case.registration_year == 2011
        assert audit.verify(s).ok
    if store.backend == "sqlite":
        raw = (store.data_dir / "ctdata.db").read_bytes()
        assert "Шевченко".encode() not in raw and b"1995-04-02" not in raw


def test_reimport_is_idempotent_and_updates_changed_rows(store, tmp_path: Path) -> None:
    rows = [record(i) for i in range(10)]
    path = write_records(tmp_path / "records.csv", rows)
    import_standard(path)
    again = import_standard(path)
    assert (again.loaded, again.inserted, again.already_present) == (10, 0, 10)
    assert _count(CaseRecord) == 10 and _count(Person) == 10
    rows[3]["sex"] = "male"
    changed = import_standard(write_records(tmp_path / "records.csv", rows))
    assert (changed.updated, changed.already_present, changed.inserted) == (1, 9, 0)
    with db.session_scope() as s:
        c = s.execute(select(CaseRecord).where(CaseRecord.source_record_id == "R3")).scalar_one()
        assert c.person.sex == "male"


def test_bad_rows_are_quarantined_with_reasons(store, tmp_path: Path) -> None:
    rows = [
        record(0),
        record(1, sex="blue"),
        record(2, office_country="QQ"),
        record(3, registration_date="31/31/2011"),
        record(4, exploitation_types="forced_labor"),
        record(5, record_id=""),
        record(0),
    ]
    res = import_standard(write_records(tmp_path / "records.csv", rows))
    assert res.rows_read == 7 and res.loaded == 1 and res.quarantined == 6
    assert res.rows_read == res.loaded + res.quarantined
    reasons = [r["reason"] for r in list_rows()]
    assert any(r.startswith("sex:") and "blue" in r for r in reasons)
    assert any(r.startswith("office_country:") and "QQ" in r for r in reasons)
    assert any(r.startswith("registration_date:") for r in reasons)
    assert any("forced_labor" in r for r in reasons)
    assert any(r.startswith("record_id: required") for r in reasons)
    assert any("appears twice" in r for r in reasons)
    with db.session_scope() as s:  # raw values are kept, but encrypted
        blobs = [q.raw_enc for q in s.execute(select(QuarantineRow)).scalars()]
    assert all("Олена".encode() not in b for b in blobs)


def test_quarantine_show_and_retry_with_correction(store, tmp_path: Path) -> None:
    import_standard(write_records(tmp_path / "records.csv", [record(0), record(1, sex="blue")]))
    (q,) = list_rows()
    shown = show_row(q["id"])
    assert shown["values"]["sex"] == "blue" and shown["values"]["given_name"] == "Олена"
    still = retry([q["id"]], {})
    assert still["still_quarantined"] == 1 and still["loaded"] == 0
    fixed = retry([q["id"]], {"sex": "female"})
    assert fixed["loaded"] == 1
    assert _count(CaseRecord) == 2 and list_rows() == []


def test_companion_tables(store, tmp_path: Path) -> None:
    folder = tmp_path / "sim"
    write_records(folder / "records.csv", [record(0), record(1)])
    (folder / "journey_legs.csv").write_text(
        "record_id,leg_number,from_country,to_country,crossing,travel_document,exploited\n"
        "R0,1,UA,PL,official_land,own_genuine,no\nR0,2,PL,DE,official_land,held_by_another,during\n"
        "R9,1,UA,PL,official_land,own_genuine,no\nR1,1,UA,RU,teleport,own_genuine,no\n",
        encoding="utf-8",
    )
    (folder / "assistance.csv").write_text(
        "record_id,assistance_type,date,provider,reintegration\nR0,medical,2011-05-01,NGO,1\n", encoding="utf-8"
    )
    res = import_standard(folder / "records.csv")
    legs = res.tables["journey_legs"]
    assert (legs["rows_read"], legs["loaded"], legs["quarantined"]) == (4, 2, 2)
    assert res.tables["assistance"]["loaded"] == 1
    assert _count(JourneyLeg) == 2 and _count(Assistance) == 1
    again = import_standard(folder)  # a folder works too, and nothing doubles
    assert again.tables["journey_legs"]["already_present"] == 2 and _count(JourneyLeg) == 2


def test_failure_mid_file_leaves_store_unchanged(store, tmp_path: Path, monkeypatch) -> None:
    path = write_records(tmp_path / "records.csv", [record(i) for i in range(12000)])
    calls = {"n": 0}
    real = loader_mod.insert_tuples

    def flaky(session, model, names, rows, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk went away")
        return real(session, model, names, rows, **kw)

    monkeypatch.setattr(loader_mod, "insert_tuples", flaky)
    monkeypatch.setattr(columns_mod, "BATCH_ROWS", 5000)  # the third insert is the second batch's persons
    with pytest.raises(OSError):
        import_standard(path)
    assert _count(CaseRecord) == 0 and _count(Person) == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (b"record_id,agency\nR1,IOM\n", "missing required columns office_country, registration_date"),
        (
            "record_id,agency,office_country,registration_date\nR1,Caf\xe9,UA,2011\n".encode("latin-1"),
            "not valid utf-8",
        ),
        (b"", "empty"),
        (b"record_id,record_id\n", "appears twice"),
    ],
)
def test_bad_files_one_clear_line(sqlite_store, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "records.csv"
    path.write_bytes(content)
    with pytest.raises(FileFormatError) as exc:
        import_standard(path)
    assert message.lower() in str(exc.value).lower() and "\n" not in str(exc.value)


def test_truncated_rows_and_xlsx_that_is_csv(sqlite_store, tmp_path: Path) -> None:
    path = write_records(tmp_path / "x.csv", [record(0), record(1)])
    text = path.read_text(encoding="utf-8").rstrip("\n")
    text += "\nR9,IOM,UA\n"
    fake = tmp_path / "partner.xlsx"
    fake.write_text(text, encoding="utf-8")
    res = import_standard(fake)
    assert any("content is CSV" in n for n in res.notices)
    assert (res.rows_read, res.loaded, res.quarantined) == (3, 2, 1)
    assert "truncated" in list_rows()[0]["reason"]


def test_xlsx_workbook(sqlite_store, tmp_path: Path) -> None:
    import openpyxl

    from ctdata.standard.template import column_names

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "records"
    cols = column_names()
    ws.append(cols)
    for i in range(3):
        r = record(i)
        ws.append([r.get(c) for c in cols])
    path = tmp_path / "partner.xlsx"
    wb.save(path)
    res = import_standard(path)
    assert (res.rows_read, res.loaded) == (3, 3)


_junk = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["UA", "RU", "female", "1", "2011", "-99"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "sex": _junk,
                "office_country": _junk,
                "registration_date": _junk,
                "citizenship": _junk,
                "consent_research": _junk,
            }
        ),
        min_size=1,
        max_size=20,
    )
)
def test_counts_always_reconcile(sqlite_store, tmp_path: Path, junk: list[dict]) -> None:
    rows = [record(i, **{k: v for k, v in j.items() if v is not None}) for i, j in enumerate(junk)]
    path = write_records(tmp_path / f"junk{abs(hash(json.dumps(junk)))}.csv", rows)
    res = import_standard(path)
    assert res.rows_read == len(rows) == res.loaded + res.quarantined


def test_a_file_in_the_template_with_a_new_column_left_empty_is_already_present(store, tmp_path: Path) -> None:
    """A partner's file of the template before the place of birth, then the same rows in today's template
    (the new column empty, as an unchanged export gives it): nothing changed, so nothing is updated. Both
    ways, and a place given for one row is one change."""
    from ctdata.standard.template import column_names

    rows = [record(i) for i in range(12)]
    before = [c for c in column_names("records") if c != "place_of_birth"]
    import_standard(write_records(tmp_path / "old.csv", rows, columns=before))
    now = import_standard(write_records(tmp_path / "now.csv", rows))
    assert (now.already_present, now.updated, now.inserted) == (12, 0, 0)
    again_old = import_standard(write_records(tmp_path / "old.csv", rows, columns=before))
    assert (again_old.already_present, again_old.updated) == (12, 0)
    rows[4]["place_of_birth"] = "Odesa"
    placed = import_standard(write_records(tmp_path / "now.csv", rows))
    assert (placed.already_present, placed.updated) == (11, 1)
    with db.session_scope() as s:
        case = s.execute(select(CaseRecord).where(CaseRecord.source_record_id == "R4")).scalar_one()
        assert keyring().decrypt(case.person.place_of_birth_enc, "place_of_birth") == "Odesa"


#: The records table of the template when the row digest by name was defined (``prepare.RowDigest``).
RECORDS_AT_DIGEST = {
    "record_id", "agency", "office_country", "data_source", "registration_date", "given_name", "family_name",
    "date_of_birth", "sex", "citizenship", "id_document_number", "languages", "status", "age_at_registration",
    "age_band", "child_at_registration", "age_at_exploitation", "child_at_exploitation", "country_of_exploitation",
    "origin_region", "exploitation_region", "exploitation_types", "labour_sectors", "sexual_exploitation_types",
    "means_of_control", "recruiter_relation", "recruitment_tactics", "promised_job", "promised_sector",
    "exploitation_start", "referral_from_office", "consent_assistance", "consent_research", "consent_sharing",
}


def test_every_column_the_template_gained_since_the_digest_is_a_later_column() -> None:
    """A column added to the template and not to ``prepare.LATER_COLUMNS`` would make every unchanged row
    of a re-sent file 'updated' (the test above): this fails first."""
    from ctdata.ingest.prepare import LATER_COLUMNS
    from ctdata.standard.template import column_names

    now = set(column_names("records"))
    assert RECORDS_AT_DIGEST <= now
    assert now - RECORDS_AT_DIGEST == set(LATER_COLUMNS)

"""perpetrators.csv of the standard template: loaded beside its records, identifiers encrypted, every row
loaded or quarantined, a re-import finds the rows already present."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ctdata.cases.views import perpetrator_view
from ctdata.ingest.standard_import import import_standard
from ctdata.standard.template import column_names
from ctdata.store import db
from ctdata.store.models import CaseRecord, Perpetrator

from .helpers import record, write_records


def _perpetrators(path: Path, rows: list[dict[str, str]]) -> Path:
    return write_records(path, rows, column_names("perpetrators"))


def test_perpetrators_table_loads_with_its_records(store, tmp_path: Path) -> None:
    write_records(tmp_path / "records.csv", [record(i) for i in range(3)])
    _perpetrators(tmp_path / "perpetrators.csv", [
        {"record_id": "R0", "roles": "recruiter;exploiter", "sex": "male", "citizenship": "UA",
         "relation": "family_intimate_partner", "paid_money": "no", "names": "Vortigan Hal; V. Hal",
         "phone_numbers": "+380 44 000 1111"},
        {"record_id": "R1", "roles": "Recruiter", "sex": "Female;Male", "grouped": "1", "region": "europe"},
        {"record_id": "R2", "roles": "kingpin"},  # not a role: quarantined with its reason
        {"record_id": "R9", "roles": "exploiter"},  # no such record in the import
        {"record_id": "R2", "sex": "male;female"},  # one person, two sexes: the row must say it is grouped
    ])
    res = import_standard(tmp_path)
    stats = res.tables["perpetrators"]
    assert (stats["rows_read"], stats["loaded"], stats["quarantined"]) == (5, 2, 3)
    assert res.reasons.get("sex") == 1 or any("one person has one value" in r for r in res.reasons)
    assert stats["rows_read"] == stats["loaded"] + stats["quarantined"]
    with db.session_scope() as s:
        rows = {c.source_record_id: p for p, c in s.execute(
            select(Perpetrator, CaseRecord).join(CaseRecord, CaseRecord.id == Perpetrator.case_id))}
        assert set(rows) == {"R0", "R1"}
        first = perpetrator_view(rows["R0"], True)
        assert first["roles"] == ["recruiter", "exploiter"] and first["names"] == ["Vortigan Hal", "V. Hal"]
        assert first["grouped"] is False and first["relation"] == ["family_intimate_partner"]
        assert b"Vortigan" not in rows["R0"].names_enc
        grouped = perpetrator_view(rows["R1"], True)
        assert grouped["sex"] == ["female", "male"] and grouped["grouped"] is True and grouped["region"] == ["europe"]
    again = import_standard(tmp_path)
    assert again.tables["perpetrators"]["already_present"] == 2
    assert again.tables["perpetrators"]["inserted"] == 0

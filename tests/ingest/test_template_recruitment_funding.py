"""Round trip through the exchange template: the empty template carries the recruitment, legal,
funding and follow-up columns; a partner's files filled in under those headers are stored as the
case services store them, and an inconsistent assistance row is quarantined with the standard's reason."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select, text

from ctdata.ingest.standard_import import import_standard
from ctdata.ingest.template_files import write_template
from ctdata.store import db
from ctdata.store.fields import unseal
from ctdata.store.models import Assistance, CaseRecord, ReturnRecord

from .helpers import record, write_records

NEW = {
    "records": ["recruitment_tactics", "promised_job", "promised_sector"],
    "assistance": ["legal_types", "funding_source", "funding_name"],
    "returns": ["follow_up_date", "reintegration_status"],
}


def _fill(blank: Path, folder: Path) -> Path:
    """Fill the empty template's files under their own headers (as a partner does)."""
    def header(table: str) -> list[str]:
        with (blank / f"{table}.csv").open(encoding="utf-8") as fh:
            return next(csv.reader(fh))

    rec = record(0, recruitment_tactics="job_offer;marriage_or_relationship",
                 promised_job="Nanny for the Quellbrandt family", promised_sector="domestic_work")
    write_records(folder / "records.csv", [rec, record(1)], header("records"))
    items = [
        {"record_id": "R0", "assistance_type": "legal", "legal_types": "documents;restitution",
         "funding_source": "project", "funding_name": "CT-UA-2011"},
        {"record_id": "R0", "assistance_type": "medical", "funding_source": "fund", "funding_name": "Emergency fund"},
        {"record_id": "R1", "assistance_type": "medical", "legal_types": "compensation"},  # not legal: quarantined
    ]
    write_records(folder / "assistance.csv", items, header("assistance"))
    ret = [{"record_id": "R0", "status": "travelled", "travel_date": "2011-06-01", "follow_up_date": "2011-12",
            "reintegration_status": "in_progress"}]
    write_records(folder / "returns.csv", ret, header("returns"))
    return folder


def test_template_round_trip_of_the_new_fields(store, tmp_path: Path) -> None:
    blank = tmp_path / "blank"
    write_template(blank)
    for table, names in NEW.items():
        with (blank / f"{table}.csv").open(encoding="utf-8") as fh:
            assert set(names) <= set(next(csv.reader(fh))), table
    result = import_standard(_fill(blank, tmp_path / "filled"))
    assert result.inserted == 2 and result.tables["assistance"]["inserted"] == 2
    assert result.tables["assistance"]["quarantined"] == 1
    with db.engine().connect() as c:
        assert "Quellbrandt" not in repr(c.execute(text("SELECT * FROM case_records")).all())
    with db.session_scope() as s:
        case = s.execute(select(CaseRecord).where(CaseRecord.source_record_id == "R0")).scalar_one()
        assert case.recruitment_tactics == ["job_offer", "marriage_or_relationship"]
        assert case.promised_sector == "domestic_work"
        assert unseal(case.promised_job_enc, "case_records", "promised_job_enc") == "Nanny for the Quellbrandt family"
        items = {a.assistance_type: a for a in s.execute(select(Assistance)).scalars()}
        assert items["legal"].legal_types == ["documents", "restitution"]
        assert (items["legal"].funding_source, items["legal"].funding_name) == ("project", "CT-UA-2011")
        assert (items["medical"].funding_source, items["medical"].funding_name) == ("fund", "Emergency fund")
        ret = s.execute(select(ReturnRecord)).scalar_one()
        assert (ret.follow_up_date, ret.reintegration_status) == ("2011-12", "in_progress")
        reasons = [r[0] for r in s.execute(text("SELECT reason FROM quarantine"))]
        assert any("only legal assistance" in r for r in reasons), reasons

"""A voided case leaves the warehouse, and so the indicators, by the same rule as the case list."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ctdata.analytics.indicators import headline
from ctdata.cases import closure
from ctdata.cases.access import SYSTEM
from ctdata.ingest.standard_import import import_standard
from ctdata.store import db
from ctdata.store.models import CaseRecord
from ctdata.warehouse.build import build
from tests.ingest.helpers import record, write_records


def test_voided_case_leaves_the_warehouse_and_the_indicators(store, tmp_path: Path) -> None:
    rows = [record(i, registration_date=f"{2010 + i % 2}-05-0{i % 9 + 1}") for i in range(20)]
    import_standard(write_records(tmp_path / "records.csv", rows))
    assert build(progress=False)["cases"] == 20 and headline()["instances"] == 20
    with db.session_scope() as s:
        cid = s.execute(select(CaseRecord.id).where(CaseRecord.registration_year == 2011).limit(1)).scalar_one()
        closure.void_case(s, SYSTEM, cid, "registered by mistake")
    again = build(progress=False)
    assert again["rewritten"] == ["2011"] and again["cases"] == 19
    assert headline()["instances"] == 19

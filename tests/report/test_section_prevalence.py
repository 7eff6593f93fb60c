from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from ctdata.analytics.filters import Filters
from ctdata.ingest.standard_import import import_standard
from ctdata.report.model import ReportContext
from ctdata.report.section_prevalence import prevalence_section
from ctdata.simulate.generator import simulate
from ctdata.store import db
from ctdata.store.crypto import keyring
from ctdata.store.models import CaseRecord
from ctdata.warehouse.build import build
from ctdata.warehouse.query import connect


def test_prevalence_section_needs_linkage_then_estimates(sqlite_store, tmp_path: Path) -> None:
    simulate(3000, 5, tmp_path / "sim", progress=False)
    import_standard(tmp_path / "sim" / "records.csv")
    build(progress=False)
    ctx = ReportContext(con=connect(), year=2011, filters=Filters())
    sec = prevalence_section(ctx)
    assert sec.empty_note and "ctdata link" in sec.empty_note

    truth = pd.read_csv(tmp_path / "sim" / "truth.csv")
    person = dict(zip(truth.record_id, truth.person_id, strict=True))
    with db.session_scope() as s:
        rows = s.execute(select(CaseRecord.id, CaseRecord.source_record_id)).all()
    table = pa.table(
        {"record_key": keyring().record_keys([r[0] for r in rows]), "individual_id": [str(person[r[1]]) for r in rows]}
    )
    pq.write_table(table, sqlite_store.data_dir / "warehouse" / "individuals.parquet")
    con = connect()
    sec = prevalence_section(ReportContext(con=con, year=2011, filters=Filters()))
    assert not sec.empty_note
    observed = con.execute(
        "SELECT count(DISTINCT individual_id) FROM cases JOIN individuals USING (record_key) "
        "WHERE registration_year = 2011"
    ).fetchone()[0]
    data = sec.figures[0].table.data
    assert (data["count"] >= observed).all() and (data["ci_low"] <= data["count"]).all()
    assert f"{observed:,} individuals" in sec.paragraphs[0]
    assert "Closed population" in sec.paragraphs[1] and "Linkage errors" in sec.paragraphs[1]

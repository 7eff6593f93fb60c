from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
from sqlalchemy import select, update

from ctdata.analytics.indicators import headline
from ctdata.ingest.standard_import import import_standard
from ctdata.store import db
from ctdata.store.models import CaseRecord
from ctdata.warehouse.build import build
from tests.ingest.helpers import record, write_records

CANARY_GIVEN = "Zqxcanarygiven"
CANARY_FAMILY = "Wvbcanaryfamily"


def _rows() -> list[dict]:
    rows = []
    for i in range(60):
        year = 2009 + i % 3
        rows.append(
            record(
                i,
                registration_date=f"{year}-03-0{i % 9 + 1}",
                given_name=CANARY_GIVEN,
                family_name=CANARY_FAMILY,
                date_of_birth="1987-11-23",
                id_document_number="PX998877",
                sex=["female", "male", ""][i % 3],
                citizenship=["UA", "RU", ""][i % 3],
                country_of_exploitation=["RU", "RU", "PL"][i % 3],
                exploitation_types=["forced_labour", "sexual_exploitation;forced_labour", ""][i % 3],
            )
        )
    return rows


def test_warehouse_has_no_identifiers_and_matches_records(store, tmp_path: Path) -> None:
    import_standard(write_records(tmp_path / "records.csv", _rows()))
    res = build(progress=False)
    assert res["cases"] == 60 and sorted(res["rewritten"]) == ["2009", "2010", "2011"]
    root = store.data_dir / "warehouse"
    for f in root.rglob("*.parquet"):
        blob = f.read_bytes()
        for canary in (CANARY_GIVEN, CANARY_FAMILY, "1987-11-23", "PX998877", "R17"):
            assert canary.encode() not in blob, (canary, f)
        df = pd.read_parquet(f)
        assert not {"given_name", "family_name", "date_of_birth", "id_document_number"} & set(df.columns)
    cases = duckdb.sql(f"SELECT * FROM read_parquet('{root.as_posix()}/cases/*.parquet')").df()
    assert len(cases) == 60 and cases.record_key.is_unique
    src = pd.DataFrame(_rows())
    assert (
        cases.sex.fillna("unknown").value_counts().to_dict() == src.sex.replace("", "unknown").value_counts().to_dict()
    )
    assert int(cases.cross_border.sum()) == int(
        ((src.citizenship != "") & (src.citizenship != src.country_of_exploitation)).sum()
    )
    h = headline()
    assert h["by_exploitation_type"] == {"forced_labour": 40, "sexual_exploitation": 20}
    assert h["exploitation_unknown"] == 20 and h["instances"] == 60


def test_incremental_rebuild_touches_only_changed_years(store, tmp_path: Path) -> None:
    import_standard(write_records(tmp_path / "records.csv", _rows()))
    build(progress=False)
    assert build(progress=False)["rewritten"] == []
    with db.session_scope() as s:
        cid = s.execute(select(CaseRecord.id).where(CaseRecord.registration_year == 2010).limit(1)).scalar_one()
        s.execute(
            update(CaseRecord).where(CaseRecord.id == cid).values(status="closed", version=CaseRecord.version + 1)
        )
    again = build(progress=False)
    assert again["rewritten"] == ["2010"]
    assert headline()["instances"] == 60


def test_headline_closes_the_connection_it_opened_and_leaves_a_callers_open(store, tmp_path, monkeypatch) -> None:
    """An indicators call that opened the warehouse closes it (the web app calls it on every page view;
    open connections pile up and keep the Parquet files mapped); a caller's own connection stays usable."""
    import pytest

    from ctdata.analytics import indicators
    from ctdata.warehouse.query import connect

    import_standard(write_records(tmp_path / "records.csv", _rows()))
    build(progress=False)
    opened: list[duckdb.DuckDBPyConnection] = []

    def tracked(root=None):  # type: ignore[no-untyped-def]
        opened.append(connect(root))
        return opened[-1]

    monkeypatch.setattr(indicators, "connect", tracked)
    assert indicators.headline()["instances"] == 60
    with pytest.raises(duckdb.ConnectionException):
        opened[0].execute("SELECT 1")
    mine = connect()
    assert indicators.headline(con=mine)["instances"] == 60
    assert mine.execute("SELECT count(*) FROM cases").fetchone() == (60,)

"""The warehouse built on Spark equals the one built on DuckDB: the same files, schemas, rows and order.

The store (SQLite and PostgreSQL) holds simulated cases with journeys, assistance,
returns and perpetrators; it is built once with each engine into two folders, and
every yearly file must be equal, column for column. One Spark session (the `spark`
fixture, local[2]) serves the test run.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ctdata.errors import CtdataError
from ctdata.ingest.standard_import import import_standard
from ctdata.simulate.generator import simulate
from ctdata.warehouse.build import TABLES, build

RECORDS = 300


def test_the_spark_built_warehouse_equals_the_duckdb_built_one(store, spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    simulate(records=RECORDS, seed=5, out=tmp_path / "sim", progress=False)
    import_standard(tmp_path / "sim")
    duck = build(progress=False, root=tmp_path / "duck")
    on_spark = build(progress=False, root=tmp_path / "spark", engine="spark")
    assert (duck["cases"], sorted(duck["rewritten"])) == (on_spark["cases"], sorted(on_spark["rewritten"]))
    assert duck["cases"] == RECORDS and len(duck["rewritten"]) >= 2
    rows = dict.fromkeys(TABLES, 0)
    for name in TABLES:
        files = sorted(p.name for p in (tmp_path / "duck" / name).glob("*.parquet"))
        assert files == sorted(p.name for p in (tmp_path / "spark" / name).glob("*.parquet")), name
        for f in files:
            a, b = pq.read_table(tmp_path / "duck" / name / f), pq.read_table(tmp_path / "spark" / name / f)
            assert a.schema.equals(b.schema), (name, f)
            assert a.equals(b), (name, f)
            rows[name] += a.num_rows
    # the comparison is of tables with rows: every table the simulator fills
    assert all(rows[name] > 0 for name in ("cases", "journey_legs", "assistance", "returns", "perpetrators")), rows
    assert not list((tmp_path / "spark").glob(".spark-staging-*"))  # the staged raw rows are removed
    # and the Spark build is incremental like DuckDB's: nothing changed, nothing rewritten
    assert build(progress=False, root=tmp_path / "spark", engine="spark")["rewritten"] == []


def test_an_unknown_warehouse_engine_is_a_clear_error(sqlite_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CtdataError, match="unknown warehouse engine 'spork'"):
        build(progress=False, root=tmp_path / "wh", engine="spork")

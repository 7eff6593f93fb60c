"""The report tables on Spark equal DuckDB's on the same warehouse.

Every registered indicator runs on both engines over the same Parquet files
(DuckDB's SQL, translated for Spark by sqlglot); the tables, their known and
unknown counts and individuals must be equal. One Spark session (the `spark`
fixture) serves the whole test run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ctdata.analytics.indicators import headline
from ctdata.analytics.registry import list_indicators, run
from ctdata.errors import CtdataError
from ctdata.warehouse.query import connect
from ctdata.warehouse.spark import to_spark_sql
from tests.analytics.demo import copy_with_extras

YEAR = 2011
PROJECTS = [
    {"project": "P1", "countries": ["UA", "PL"], "donor": "D1", "amount": 100000.0, "year": YEAR},
    {"project": "P2", "countries": ["NG"], "donor": None, "amount": 50000.0, "year": YEAR},
]


@pytest.fixture(scope="module")
def linked_warehouse(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse with individuals and projects, so that every indicator has rows to count."""
    return copy_with_extras(warehouse, tmp_path_factory.mktemp("wh") / "wh", individuals=True, projects=PROJECTS)


@pytest.fixture(scope="module")
def engines(spark, linked_warehouse: Path):  # type: ignore[no-untyped-def]
    duck = connect(linked_warehouse)
    on_spark = connect(linked_warehouse, engine="spark")
    yield duck, on_spark
    duck.close()
    on_spark.close()


def _normalised(df: pd.DataFrame) -> pd.DataFrame:
    """Values as plain Python values (Spark and DuckDB hand back different integer and array types)."""
    out = df.reset_index(drop=True).astype(object)
    return out.map(lambda v: v.tolist() if isinstance(v, np.ndarray) else v.item() if hasattr(v, "item") else v)


@pytest.mark.parametrize("filters", [{}, {"year_from": YEAR, "year_to": YEAR}, {"regional_office": "Brussels"}])
def test_every_report_table_is_the_same_on_spark(engines, filters: dict) -> None:  # type: ignore[no-untyped-def]
    duck, on_spark = engines
    names = [i["name"] for i in list_indicators()]
    assert len(names) > 20
    nonempty = 0
    for name in names:
        a, b = run(name, duck, filters), run(name, on_spark, filters)
        shape = (a.known, a.unknown, a.individuals, a.note, a.title)
        assert shape == (b.known, b.unknown, b.individuals, b.note, b.title), name
        assert list(a.data.columns) == list(b.data.columns), name
        pd.testing.assert_frame_equal(_normalised(a.data), _normalised(b.data), check_dtype=False, obj=name)
        nonempty += not a.empty
    assert nonempty > len(names) // 2  # the comparison is of tables with rows, not of empty ones


def test_headline_indicators_are_the_same_on_spark(engines) -> None:  # type: ignore[no-untyped-def]
    duck, on_spark = engines
    a, b = headline(con=duck), headline(con=on_spark)
    assert a == b and a["instances"] > 0 and a["individuals"]


def test_duckdb_sql_is_translated_for_spark() -> None:
    sql = to_spark_sql("SELECT list_contains(c.t, 'x'), count(*) FILTER (WHERE child) FROM cases c WHERE c.y = ?")
    assert "ARRAY_CONTAINS" in sql.upper() and "?" in sql and "LIST_CONTAINS" not in sql.upper()
    # Spark 4 would read `FROM cases WHERE (TRUE)` as a table aliased WHERE: every table gets an alias
    assert "FROM cases AS cases WHERE (TRUE)" in to_spark_sql("SELECT count(*) FROM cases WHERE (TRUE)")
    # len() of a list is Spark's size(); length() of text stays length()
    assert to_spark_sql("SELECT len(coalesce(c.t, [])), length(c.s), c.len FROM cases c").upper().startswith(
        "SELECT SIZE(COALESCE(C.T, ARRAY())), LENGTH(C.S), C.LEN"
    )


def test_unknown_engine_is_a_clear_error(linked_warehouse: Path) -> None:
    with pytest.raises(CtdataError, match="unknown analytics engine 'presto'"):
        connect(linked_warehouse, engine="presto")


def test_cli_report_indicators_on_spark(spark, sqlite_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`ctdata report indicators --engine spark` gives DuckDB's figures; an unknown engine is one clear line."""
    import json

    import typer
    from typer.testing import CliRunner

    from ctdata.cli.report import app as report_app
    from ctdata.ingest.standard_import import import_standard
    from ctdata.simulate.generator import simulate

    simulate(150, 4, tmp_path / "sim", progress=False)
    import_standard(tmp_path / "sim" / "records.csv")
    app = typer.Typer()
    app.add_typer(report_app, name="report")
    runner = CliRunner()
    on_spark = runner.invoke(app, ["report", "indicators", "--engine", "spark", "--json"])
    assert on_spark.exit_code == 0, on_spark.output
    on_duckdb = runner.invoke(app, ["report", "indicators", "--json"])
    assert json.loads(on_spark.stdout) == json.loads(on_duckdb.stdout)
    assert json.loads(on_spark.stdout)["instances"] == 150
    bad = runner.invoke(app, ["report", "indicators", "--engine", "presto", "--json"])
    assert bad.exit_code != 0 and "unknown analytics engine" in str(bad.exception)

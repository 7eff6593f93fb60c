"""The warehouse on Spark: the same Parquet files, the same views, the same SQL as on DuckDB.

Analytics writes its SQL once, in DuckDB's dialect (every indicator carries
that SQL so a reader can re-run a figure by hand). On Spark the query is
translated by sqlglot (DuckDB -> Spark SQL: ``list_contains`` becomes
``array_contains``, ``unnest`` ``explode``, ``count(*) FILTER`` a conditional
count, ...) and run over views of the same Parquet files, so a collaborative
whose warehouse outgrows one machine gets the same tables from its cluster.

`SparkWarehouse` offers the part of DuckDB's connection that analytics uses
(``execute(sql, params)`` then ``df()``, ``fetchone()``, ``fetchall()``), so an
indicator function runs unchanged on either engine; `warehouse.query.connect`
chooses the engine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlglot

from ctdata.errors import CtdataError

__all__ = ["SparkResult", "SparkWarehouse", "to_spark_sql"]

_LEN = re.compile(r"(?<![\w.])len\(", re.IGNORECASE)


def to_spark_sql(sql: str) -> str:
    """A query written in DuckDB SQL, in Spark SQL (positional ``?`` parameters kept).

    Every table gets an alias (``FROM cases AS cases``): Spark 4 reads ``FROM cases WHERE (x)``
    as the table aliased ``WHERE`` with a column list, where DuckDB reads a filter. DuckDB's
    ``len`` and ``length`` both parse as one length, which Spark computes for text only; the
    warehouse's SQL writes ``len`` for lists (``length`` for text), so ``len`` becomes Spark's
    ``size``.
    """
    try:
        tree = sqlglot.parse_one(_LEN.sub("array_length(", sql), read="duckdb")
    except sqlglot.errors.ParseError as exc:  # our own SQL: a bug, but say which query
        raise CtdataError(f"cannot translate a warehouse query to Spark SQL: {exc}") from exc
    for table in tree.find_all(sqlglot.exp.Table):
        if not table.alias and table.name:
            table.set("alias", sqlglot.exp.TableAlias(this=sqlglot.exp.to_identifier(table.name)))
    return tree.sql(dialect="spark")


class SparkResult:
    """A query's rows, read the ways DuckDB's results are read."""

    def __init__(self, frame: Any):
        self._frame = frame
        self._rows: list[tuple] | None = None

    def df(self) -> pd.DataFrame:
        pdf = self._frame.toPandas()
        for col in pdf.columns:  # Spark hands arrays back as numpy arrays; DuckDB as lists
            if pdf[col].dtype == object and len(pdf) and any(hasattr(v, "tolist") for v in pdf[col].head(20)):
                pdf[col] = [v.tolist() if hasattr(v, "tolist") else v for v in pdf[col]]
        return pdf

    def _all(self) -> list[tuple]:
        if self._rows is None:
            self._rows = [tuple(r) for r in self._frame.collect()]
        return self._rows

    def fetchall(self) -> list[tuple]:
        return self._all()

    def fetchone(self) -> tuple | None:
        rows = self._all()
        return rows[0] if rows else None


class SparkWarehouse:
    """One temporary view per warehouse table over its Parquet files, in the process's Spark session."""

    def __init__(self, root: Path, views: Sequence[str], spark: Any):
        self.root = Path(root)
        self.spark = spark
        self._views: set[str] = set()
        for name in views:
            files = sorted((self.root / name).glob("*.parquet"))
            if files:
                self._view(name, [p.as_posix() for p in files])
        for name in ("projects", "individuals"):
            path = self.root / f"{name}.parquet"
            if path.exists():
                self._view(name, [path.as_posix()])

    def _view(self, name: str, paths: list[str]) -> None:
        # mergeSchema: the yearly files of one table may differ in columns, as DuckDB's union_by_name allows
        self.spark.read.option("mergeSchema", "true").parquet(*paths).createOrReplaceTempView(name)
        self._views.add(name)

    def has_table(self, name: str) -> bool:
        return name in self._views

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> SparkResult:
        spark_sql = to_spark_sql(sql)
        args = [_param(p) for p in params] if params else None
        return SparkResult(self.spark.sql(spark_sql, args=args) if args else self.spark.sql(spark_sql))

    def close(self) -> None:
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self._views.clear()


def _param(value: Any) -> Any:
    """A query parameter as Spark takes it (lists become arrays; numpy scalars plain values)."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, tuple | list):
        from pyspark.sql.functions import array, lit

        return array(*[lit(_param(v)) for v in value])
    return value

"""The warehouse build on Spark: the same files as the DuckDB build, with the tables shaped on the cluster.

A collaborative whose store is PostgreSQL and whose cases run into millions builds
its warehouse with ``ctdata warehouse build --engine spark``. The split of the work
follows what can travel:

- The store is one database, read through one connection: the driver reads it,
  year by year (the build's unit, as for the incremental rebuild), with the same
  queries as the DuckDB build (`build.table_steps`'s fetch). Whatever needs a key
  is done there too: the records' keyed pseudonyms and the perpetrators'
  identifiers, decrypted only to be keyed. No key and no name leaves the driver.
- Each table's raw columns are staged as Parquet, one file per year (the export in
  chunks), in a staging folder inside the warehouse folder: on a cluster that
  folder must be on storage the executors share, as the warehouse already must be
  for the report tables on Spark.
- Spark reads the staged files and runs the table's shape, the very function the
  DuckDB build calls (lists, age bands, regions, flags: one rule in one place), on
  its executors with ``mapInArrow``, and writes the shaped rows partitioned by year.
- The driver writes each year's file from Spark's output with the schema and row
  order of the DuckDB build, so no reader can tell (or needs to know) which engine
  built a year, and an incremental rebuild may mix them.

What this does not do: read PostgreSQL in parallel over JDBC. The fetch is the
build's single-connection part on either engine; it is also where the keys are,
which is the reason to keep it on one trusted machine. The executors need ctdata
installed (the ``spark`` extra), since they run its shaping functions.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from ctdata.store.crypto import KeyRing
from ctdata.warehouse.build import _write, table_steps

__all__ = ["build_years"]

#: the staged rows' year (Spark's output partition) and place in the year (the file's row order)
PART, ORDER = "part_year", "_order"


def build_years(session: Session, years: list[str], keys: KeyRing, root: Path, spark: Any = None) -> None:
    """Write every yearly table of `years` into `root` (`<table>/<year>.parquet`), shaped on Spark."""
    if not years:
        return
    if spark is None:
        from ctdata import spark_session

        spark = spark_session.session()
    steps = table_steps()
    staging = Path(tempfile.mkdtemp(prefix=".spark-staging-", dir=root))
    try:
        for y in years:  # the driver: the store and the keys, one year at a time
            memo: dict[int, str] = {}
            for name, (fetch, _shape) in steps.items():
                raw = fetch(session, y, keys, memo)
                raw = raw.append_column(PART, pa.array([y] * raw.num_rows, pa.string()))
                (staging / "raw" / name).mkdir(parents=True, exist_ok=True)
                pq.write_table(raw, staging / "raw" / name / f"{y}.parquet")
        for name, (_fetch, shape) in steps.items():
            _shape_on_spark(spark, shape, staging / "raw" / name, staging / "shaped" / name)
            schema = shape(_bare(pq.read_schema(staging / "raw" / name / f"{years[0]}.parquet").empty_table())).schema
            for y in years:
                _write(_year_of(staging / "shaped" / name, y, schema), root / name / f"{y}.parquet")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _shape_on_spark(spark: Any, shape: Any, raw_dir: Path, out_dir: Path) -> None:
    """Spark runs `shape` over the staged raw rows of one table and writes them partitioned by year."""
    from pyspark.sql.pandas.types import from_arrow_schema

    raw_schema = pq.read_schema(next(raw_dir.glob("*.parquet")))
    out = shape(_bare(raw_schema.empty_table())).schema
    out = out.append(raw_schema.field(ORDER)).append(raw_schema.field(PART))

    def shape_batches(batches: Any) -> Any:
        for batch in batches:
            raw = pa.Table.from_batches([batch])
            shaped = shape(_bare(raw)).append_column(ORDER, raw.column(ORDER)).append_column(PART, raw.column(PART))
            yield from shaped.cast(out).to_batches()

    frame = spark.read.parquet(raw_dir.as_posix()).mapInArrow(shape_batches, from_arrow_schema(out))
    frame.write.mode("overwrite").partitionBy(PART).parquet(out_dir.as_posix())


def _bare(raw: pa.Table) -> pa.Table:
    """The raw columns as the DuckDB build's shape gets them (the staging's own columns dropped)."""
    return raw.drop_columns([ORDER, PART])


def _year_of(shaped_dir: Path, year: str, schema: pa.Schema) -> pa.Table:
    """One year's shaped rows from Spark's output, in the store's order, with the DuckDB build's schema."""
    files = sorted((shaped_dir / f"{PART}={year}").glob("*.parquet"))
    if not files:
        return schema.empty_table()
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
    table = table.sort_by(ORDER)
    return table.select(schema.names).cast(schema)

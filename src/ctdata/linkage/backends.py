"""The database that runs Splink's SQL: DuckDB by default, Spark when asked for and installed.

One place chooses the backend, so that the rest of the engine only ever talks
to a Splink database API object and a registered table.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ctdata.errors import ConfigError, CtdataError
from ctdata.linkage import _splink_compat as compat


class BackendUnavailable(CtdataError):
    """The requested linkage backend cannot run here (e.g. PySpark is not installed)."""


@dataclass
class Backend:
    name: str
    db_api: Any
    dialect: str
    owned_spill_dir: str | None = None  # a temporary directory this backend made, removed on close

    def register(self, features: pd.DataFrame, table_name: str = "ctdata_link_features") -> Any:
        """Hand the features table to the backend (through Arrow for DuckDB: no pandas copies)."""
        arrow = _with_row_ids(_to_arrow(features))
        if self.name == "duckdb":
            return self.db_api.register(arrow, table_name=table_name)
        sdf = self.db_api.spark.createDataFrame(arrow)  # Arrow batches to the JVM, no pandas round trip
        return self.db_api.register(_detach(sdf, self.db_api), table_name=table_name)

    def materialise(self, sql: str, name: str) -> str:
        """Run a query into a table the backend keeps (DuckDB table, Spark cached view); returns its name."""
        if self.name == "duckdb":
            self.db_api.duckdb_con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")
        else:
            self.db_api.spark.sql(sql).persist().createOrReplaceTempView(name)
        return name

    def close(self) -> None:
        if self.name == "duckdb":
            try:
                self.db_api.duckdb_con.close()
            except Exception:  # noqa: BLE001 - closing twice is harmless
                pass
        elif self.name == "spark":
            _release_spark_tables(self.db_api.spark)
        if self.owned_spill_dir:
            shutil.rmtree(self.owned_spill_dir, ignore_errors=True)
            self.owned_spill_dir = None


def _detach(sdf: Any, api: Any) -> Any:
    """The features as a Spark table of their own, partitioned, with no local data left in its plan.

    `createDataFrame` from Arrow (or pandas) makes a LocalRelation: the whole table sits inside the
    query plan on the driver, and every query that reads it re-plans those rows and ships them to
    the tasks again, one slice per task, from the driver. Linkage reads the features table in
    well over a hundred queries (u sampling, each EM pass, the sure pairs, each of the candidate-pair
    rules), so that cost grows with records x queries: at 1,000,000 records training did not end
    within an hour on `local[2]`, with the driver's heap full. The table is therefore split into the
    session's partitions and cut from that plan once, as the settings' `break_lineage` says:
    ``persist`` keeps it in the executors (a local checkpoint, memory then disk), ``checkpoint`` and
    ``parquet`` write it to the checkpoint directory (reliable on a cluster).
    """
    parts = max(1, int(getattr(api, "num_partitions_on_repartition", 0) or 1))
    sdf = sdf.repartition(parts)
    method = getattr(api, "break_lineage_method", "persist")
    if method == "persist":
        return sdf.localCheckpoint(eager=True)
    if method == "checkpoint":
        return sdf.checkpoint(eager=True)
    checkpoint_dir = api.spark.sparkContext.getCheckpointDir()
    if not checkpoint_dir:
        return sdf.localCheckpoint(eager=True)
    path = os.path.join(checkpoint_dir, f"ctdata_features_{uuid.uuid4().hex}")
    sdf.write.mode("overwrite").parquet(path)
    return api.spark.read.parquet(path)


def _release_spark_tables(spark: Any) -> None:
    """Drop this run's temporary views and their cached data; the session itself is shared and stays."""
    for t in spark.catalog.listTables():
        if t.isTemporary and (t.name.startswith("__splink") or t.name.startswith("ctdata_")):
            try:
                spark.catalog.uncacheTable(t.name)
            except Exception:  # noqa: BLE001 - a view that was never cached
                pass
            spark.catalog.dropTempView(t.name)


#: Integer record id the linkage model uses as its unique id (numbered in record_key order).
ROW_ID = "rid_"


def _with_row_ids(table: pa.Table) -> pa.Table:
    """Add ROW_ID: 0..n-1 in record_key order, so that `l.rid_ < r.rid_` orders a pair as the keys do.

    Candidate pairs are held as two integers instead of two record keys (55M pairs at 1,000,000
    records: 1.1 GB instead of 3.3 GB), and joins on them are cheaper.
    """
    keys = table.column("record_key").to_numpy(zero_copy_only=False).astype(str)
    rid = np.empty(len(keys), dtype=np.int64)
    rid[np.argsort(keys, kind="stable")] = np.arange(len(keys), dtype=np.int64)
    return table.append_column(ROW_ID, pa.array(rid))


def _to_arrow(df: pd.DataFrame) -> pa.Table:
    fields = []
    for c in df.columns:
        if c == "citizenship":
            fields.append(pa.field(c, pa.list_(pa.string())))
        elif c in ("dob_y", "dob_m", "dob_d", "reg_days", "by_lo", "by_hi", "exp_y"):
            fields.append(pa.field(c, pa.int32()))
        elif pd.api.types.is_integer_dtype(df[c].dtype):  # block keys (blocking.BLOCK_KEY)
            fields.append(pa.field(c, pa.int64()))
        else:
            fields.append(pa.field(c, pa.string()))
    cols = []
    for f in fields:
        s = df[f.name]
        if pa.types.is_integer(f.type):
            cols.append(
                pa.array(
                    pd.array(s, dtype="Int64").to_numpy(dtype="float64", na_value=float("nan")),
                    from_pandas=True,
                ).cast(f.type)
            )
        elif pa.types.is_list(f.type):
            cols.append(
                pa.array([list(v) if v is not None and not isinstance(v, float) else None for v in s], type=f.type)
            )
        else:
            cols.append(pa.array(s.tolist(), type=pa.string(), from_pandas=True))
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def make_backend(
    name: str = "duckdb",
    threads: int | None = None,
    memory_limit: str | None = None,
    spill_dir: str | None = None,
) -> Backend:
    """Build the Splink database API for `name` ('duckdb' or 'spark').

    With a `memory_limit`, DuckDB's joins and aggregations spill to `spill_dir` (a temporary
    directory of this backend's own when not given) instead of growing past it.
    """
    if name == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect(":memory:")
        owned = None
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            if not spill_dir:
                spill_dir = owned = tempfile.mkdtemp(prefix="ctdata-link-spill-")
        if spill_dir:
            os.makedirs(spill_dir, exist_ok=True)
            con.execute(f"SET temp_directory = '{spill_dir}'")
        con.execute("SET preserve_insertion_order = false")
        return Backend("duckdb", DuckDBAPI(connection=con), "duckdb", owned_spill_dir=owned)
    if name == "spark":
        from ctdata import spark_session

        try:
            from splink.backends.spark import SparkAPI  # noqa: F401 - only whether PySpark is there
        except ImportError as exc:
            raise BackendUnavailable(
                "the spark linkage backend needs PySpark: install ctdata with the 'spark' extra"
            ) from exc
        try:
            spark = spark_session.session()
        except spark_session.SparkUnavailable as exc:
            raise BackendUnavailable(f"the spark linkage backend cannot run: {exc}") from exc
        s = spark_session.active_settings() or spark_session.spark_settings()
        api = compat.spark_api(spark, s.break_lineage, s.shuffle_partitions)
        return Backend("spark", api, "spark")
    raise ConfigError(f"unknown linkage backend {name!r} (choose from duckdb, spark)")


# Function names that differ between DuckDB and Spark SQL in the conditions we write.
_SPARK_FUNCS = {
    "jaro_winkler_similarity(": "jaro_winkler(",
    "damerau_levenshtein(": "damerau_levenshtein(",
    "list_has_any(": "arrays_overlap(",
    "list_contains(": "array_contains(",
}


def sql_for(dialect: str, sql: str) -> str:
    """Write a condition in DuckDB SQL once; translate the few functions that Spark names differently."""
    if dialect == "duckdb":
        return sql
    for a, b in _SPARK_FUNCS.items():
        sql = sql.replace(a, b)
    return sql

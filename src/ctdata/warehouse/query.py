"""DuckDB (or Spark) over the warehouse's Parquet files: the one way analytics reads data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ctdata.config import settings
from ctdata.errors import CtdataError

VIEWS = ("cases", "journey_legs", "assistance", "returns", "transfers", "perpetrators")
ENGINES = ("duckdb", "spark")


def connect(root: Path | None = None, engine: str = "duckdb") -> Any:
    """One view per warehouse table (none when absent): in-memory DuckDB, or Spark with `engine='spark'`.

    Both answer the same SQL (DuckDB's; see warehouse.spark), so analytics runs unchanged on either.
    """
    root = Path(root or settings().warehouse_dir)
    if engine not in ENGINES:
        raise CtdataError(f"unknown analytics engine {engine!r} (choose from {', '.join(ENGINES)})")
    if not (root / "manifest.json").exists():
        raise CtdataError(f"no warehouse at {root}: run `ctdata warehouse build` first")
    if engine == "spark":
        from ctdata import spark_session
        from ctdata.warehouse.spark import SparkWarehouse

        return SparkWarehouse(root, VIEWS, spark_session.session())
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    for name in VIEWS:
        files = sorted((root / name).glob("*.parquet"))
        if files:
            paths = ", ".join(f"'{p.as_posix()}'" for p in files)
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{paths}], union_by_name=true)")
    if (root / "projects.parquet").exists():
        con.execute(f"CREATE VIEW projects AS SELECT * FROM read_parquet('{(root / 'projects.parquet').as_posix()}')")
    persons = root / "perpetrator_persons.parquet"  # ctdata link perpetrators
    if persons.exists():
        con.execute(f"CREATE VIEW perpetrator_persons AS SELECT * FROM read_parquet('{persons.as_posix()}')")
    ind = root / "individuals.parquet"
    if ind.exists():
        con.execute(f"CREATE VIEW individuals AS SELECT * FROM read_parquet('{ind.as_posix()}')")
    return con


#: Joins a query's records (alias ``c``) to their linked individuals (alias ``i``); pair it with `individual_of`.
INDIVIDUALS_JOIN = "LEFT JOIN individuals i USING (record_key)"


def individual_of(record_key: str = "c.record_key", ind: str = "i") -> str:
    """The SQL naming who a record is: its linked individual, else the record itself.

    A record imported since linkage last ran (or one linkage could not read) has no row in
    `individuals`; counted by an inner join it would vanish from every individuals figure, every
    list of a capture-recapture estimate and every release of one row per individual. Until
    linkage says otherwise, it is one individual of its own. Used with a LEFT JOIN of the
    individuals view (`INDIVIDUALS_JOIN`) by every count of individuals.
    """
    return f"coalesce({ind}.individual_id, 'record:' || {record_key})"


def has_view(con: Any, name: str) -> bool:
    """Whether the warehouse connection (DuckDB or Spark) has this table."""
    if hasattr(con, "has_table"):
        return bool(con.has_table(name))
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])

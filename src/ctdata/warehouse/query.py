"""DuckDB over the warehouse's Parquet files: the one way analytics reads data."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ctdata.config import settings
from ctdata.errors import CtdataError

VIEWS = ("cases", "journey_legs", "assistance", "returns", "transfers", "perpetrators")


def connect(root: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per warehouse table (empty views when absent)."""
    root = Path(root or settings().warehouse_dir)
    if not (root / "manifest.json").exists():
        raise CtdataError(f"no warehouse at {root}: run `ctdata warehouse build` first")
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


def has_view(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])

"""A small demo warehouse (simulator -> standard importer -> warehouse build), built once per test session.

The store lives in a temporary CTDATA_DATA_DIR; the environment and the cached
settings, engines and keyrings are restored afterwards, so tests only ever
hold the warehouse path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

RECORDS = 4000
SEED = 11
_CACHE: dict[str, Path] = {}


def _reset() -> None:
    from ctdata.config import reset_settings
    from ctdata.store.crypto import keyring_for
    from ctdata.store.db import engine_for

    reset_settings()
    engine_for.cache_clear()
    keyring_for.cache_clear()


def demo_warehouse(base: Path) -> Path:
    """Path of the demo warehouse (built on first call)."""
    if "wh" in _CACHE:
        return _CACHE["wh"]
    from ctdata.ingest.standard_import import import_standard
    from ctdata.simulate.generator import simulate
    from ctdata.warehouse.build import build

    old = os.environ.get("CTDATA_DATA_DIR")
    os.environ["CTDATA_DATA_DIR"] = str(base / "data")
    _reset()
    try:
        simulate(records=RECORDS, seed=SEED, out=base / "sim", progress=False)
        import_standard(base / "sim")
        result = build(progress=False)
    finally:
        if old is None:
            os.environ.pop("CTDATA_DATA_DIR", None)
        else:
            os.environ["CTDATA_DATA_DIR"] = old
        _reset()
    _CACHE["wh"] = Path(result["path"])
    return _CACHE["wh"]


def copy_with_extras(src: Path, dst: Path, *, individuals: bool = False, projects: list[dict] | None = None) -> Path:
    """A copy of a warehouse with an individuals table (individual = person_key) and/or projects."""
    shutil.copytree(src, dst)
    if individuals:
        cases = pq.read_table(dst / "cases", columns=["record_key", "person_key"]).to_pandas()
        pq.write_table(
            pa.table({"record_key": cases["record_key"], "individual_id": cases["person_key"]}),
            dst / "individuals.parquet",
        )
    if projects is not None:
        pq.write_table(
            pa.table(
                {
                    "project": [p["project"] for p in projects],
                    "countries": pa.array([p["countries"] for p in projects], pa.list_(pa.string())),
                    "donor": [p.get("donor") for p in projects],
                    "amount": pa.array([p["amount"] for p in projects], pa.float64()),
                    "year": pa.array([p["year"] for p in projects], pa.int32()),
                }
            ),
            dst / "projects.parquet",
        )
    return dst

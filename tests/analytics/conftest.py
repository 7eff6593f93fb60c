from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.analytics.demo import demo_warehouse


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_warehouse(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def frames(warehouse: Path) -> dict[str, pd.DataFrame]:
    """The warehouse tables read independently with pandas (no DuckDB)."""
    return {name: pd.read_parquet(warehouse / name) for name in ("cases", "journey_legs", "assistance", "returns")}


@pytest.fixture()
def con(warehouse: Path):
    from ctdata.warehouse.query import connect

    c = connect(warehouse)
    yield c
    c.close()

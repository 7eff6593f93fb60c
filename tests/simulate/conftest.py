"""Shared generated data sets: generated once per test session, small enough to be quick."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ctdata.simulate import simulate


@pytest.fixture(scope="session")
def target_year(tmp_path_factory) -> Path:
    """40,000 records of the target year only: the calibration data set."""
    out = tmp_path_factory.mktemp("sim_target")
    simulate(40_000, 11, out, years=(2011, 2011), progress=False)
    return out


@pytest.fixture(scope="session")
def three_years(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim_years")
    simulate(20_000, 5, out, years=(2009, 2011), progress=False)
    return out


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)

"""Comparing a figure across years: change, percentage change and the sentence a report prints.

"up 27% from 2008" is written here once, so the report, the portal and the
CLI phrase the same numbers the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import duckdb
import pandas as pd

from ctdata.analytics.filters import Filters
from ctdata.analytics.table import IndicatorTable


def change(now: float | None, before: float | None) -> tuple[float | None, float | None]:
    """(absolute change, relative change as a fraction); the relative change is None when before is 0/None."""
    if now is None or before is None:
        return None, None
    diff = now - before
    return diff, (diff / before if before else None)


def sentence(now: float | None, before: float | None, year_before: int | str, *, decimals: int = 0) -> str:
    """'up 27% from 2008', 'down 7% from 2010', 'unchanged from 2010', or why there is no comparison."""
    if before is None or now is None or (isinstance(before, float) and math.isnan(before)):
        return f"no comparison with {year_before} (no data)"
    if before == 0:
        return f"none in {year_before}" if now == 0 else f"up from none in {year_before}"
    _, pct = change(now, before)
    assert pct is not None
    rounded = round(abs(pct) * 100, decimals)
    if rounded == 0:
        return f"unchanged from {year_before}"
    num = f"{rounded:.{decimals}f}" if decimals else f"{int(rounded)}"
    return f"{'up' if pct > 0 else 'down'} {num}% from {year_before}"


def compare_tables(now: IndicatorTable, before: IndicatorTable, year_before: int | str) -> pd.DataFrame:
    """Join two runs of one indicator on value: counts, shares, change, pct_change and sentence."""
    a = now.data[["value", "label", "count", "share"]]
    b = before.data[["value", "count", "share"]].rename(columns={"count": "count_before", "share": "share_before"})
    df = a.merge(b, on="value", how="outer")
    if df["label"].isna().any():
        lab = dict(zip(before.data["value"], before.data["label"], strict=False))
        df["label"] = [lab.get(v, str(v)) if pd.isna(x) else x for v, x in zip(df["value"], df["label"], strict=True)]
    df["count"] = df["count"].fillna(0)
    df["count_before"] = df["count_before"].fillna(0)
    ch = [change(float(n), float(p)) for n, p in zip(df["count"], df["count_before"], strict=True)]
    df["change"] = [c[0] for c in ch]
    df["pct_change"] = [c[1] for c in ch]
    df["sentence"] = [
        sentence(float(n), float(p), year_before) for n, p in zip(df["count"], df["count_before"], strict=True)
    ]
    return df.sort_values("count", ascending=False).reset_index(drop=True)


def compare_years(
    fn: Callable[..., IndicatorTable],
    con: duckdb.DuckDBPyConnection,
    year: int,
    year_before: int,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Run an indicator for two registration years under the same other filters and compare them."""
    f = filters or Filters()
    return compare_tables(fn(con, f.for_year(year)), fn(con, f.for_year(year_before)), year_before)

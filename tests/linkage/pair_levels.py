"""Which level of one comparison a pair of records reaches: the question several linkage tests ask."""

from __future__ import annotations

import duckdb
import pandas as pd

from ctdata.linkage.comparisons import comparisons_for, gamma_case, pair_select
from ctdata.linkage.features import build_features


def comparison(name: str, cols: set[str]) -> dict:
    """The comparison `name` the model builds for feature columns `cols`."""
    return next(c for c in comparisons_for(cols, "duckdb") if c["output_column_name"] == name)


def level_label(name: str, records: pd.DataFrame) -> str:
    """The label of the level of comparison `name` that records 'a' and 'b' (record_key) reach."""
    f = build_features(records)
    cols = set(f.columns)
    comp = comparison(name, cols)
    con = duckdb.connect()
    con.register("f", f)
    g = con.execute(
        f"SELECT {gamma_case(comp)} FROM (SELECT {pair_select(cols)} FROM f l, f r"
        " WHERE l.record_key = 'a' AND r.record_key = 'b')"
    ).fetchone()[0]
    levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
    return "no value" if g == -1 else levels[len(levels) - 1 - g]["label_for_charts"]


def rank(name: str, label: str, cols: set[str]) -> int:
    """Position of the level `label` in comparison `name`, strongest first (0 is the null level)."""
    return [lv["label_for_charts"] for lv in comparison(name, cols)["comparison_levels"]].index(label)

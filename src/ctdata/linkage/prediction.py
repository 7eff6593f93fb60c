"""Scoring candidate pairs with the trained model, and re-estimating the prior from the scores.

The candidate pairs are computed by ctdata (blocking.blocked_pairs_sql) and
handed to Splink, which only scores them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ctdata.linkage import _splink_compat as compat
from ctdata.linkage.backends import ROW_ID, Backend
from ctdata.linkage.blocking import blocked_pairs_sql

__all__ = ["predict", "recalibrate_prior", "register_blocked_pairs"]

log = logging.getLogger(__name__)


def register_blocked_pairs(linker: Any, backend: Backend, table: str, rules: Sequence[str]) -> Any:
    """Compute the candidate pairs of `rules` on `table` and hand them to Splink's predict.

    Returns Splink's handle on the table: drop it (drop_table_from_database_and_remove_from_cache)
    once scored, so that a later predict blocks afresh instead of reading a stale table.
    """
    name = backend.materialise(blocked_pairs_sql(table, rules), "ctdata_blocked_pairs")
    return linker.table_management.register_blocked_pairs_for_predict(backend.db_api.register(name))


def predict(
    linker: Any,
    table: str,
    floor: float,
    n_records: int | None = None,
    recalibrate: bool = True,
    *,
    backend: Backend | None = None,
    rules: Sequence[str] | None = None,
    calibrate: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Scored candidate pairs at or above `floor` (record_key_l, record_key_r, weight, probability).

    `table` is the features table the model was built on. With `backend` and
    `rules`, the candidate pairs are computed here (see register_blocked_pairs)
    and Splink only scores them; otherwise Splink blocks on the rules in its
    settings. With `recalibrate`, the prior (probability that two random
    records match) is re-estimated from the scored candidates themselves
    before filtering; see `recalibrate_prior`. `calibrate` (e.g. on reviewed pairs) maps the
    scores once more, also before filtering, so that pairs it raises above `floor` are kept.
    """
    low = min(floor, 1e-4) if (recalibrate and n_records) or calibrate is not None else floor
    blocked = register_blocked_pairs(linker, backend, table, rules) if backend is not None and rules else None
    try:
        sdf = linker.inference.predict(threshold_match_probability=low, warning_mode="never")
    finally:
        if blocked is not None:
            blocked.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
    sql = f"""
        SELECT kl.record_key AS record_key_l, kr.record_key AS record_key_r, p.match_weight, p.match_probability
        FROM {sdf.physical_name} AS p
        JOIN {table} AS kl ON kl.{ROW_ID} = p.{ROW_ID}_l JOIN {table} AS kr ON kr.{ROW_ID} = p.{ROW_ID}_r
    """
    out = linker.misc.query_sql(sql, output_type="pandas")
    sdf.drop_table_from_database_and_remove_from_cache()
    if recalibrate and n_records and len(out):
        out = recalibrate_prior(linker, out, n_records)
    if calibrate is not None and len(out):
        out = calibrate(out)
    return out[out["match_probability"] >= floor].reset_index(drop=True)


def recalibrate_prior(linker: Any, pairs: pd.DataFrame, n_records: int, iterations: int = 50) -> pd.DataFrame:
    """Re-estimate the prior as the expected number of matching pairs over all pairs (EM on lambda).

    The first estimate comes from deterministic rules and an assumed recall;
    when many dates of birth are missing that recall is much lower than
    assumed and the prior too small, which costs recall everywhere. With m and
    u fixed, the expected share of matches among all pairs is a fixed point
    that a few iterations find; changing the prior shifts every match weight
    by the same amount, so this needs no new SQL.
    """
    total = n_records * (n_records - 1) / 2
    p0 = compat.prior(linker)
    w = pairs["match_weight"].to_numpy(dtype="float64")
    logit0 = np.log2(p0 / (1 - p0))
    lam = p0
    for _ in range(iterations):
        shift = np.log2(lam / (1 - lam)) - logit0
        expected = float((1.0 / (1.0 + np.exp2(-(w + shift)))).sum())
        new = min(max(expected / total, 1e-12), 0.5)
        if abs(new - lam) <= 1e-4 * lam:
            lam = new
            break
        lam = new
    shift = np.log2(lam / (1 - lam)) - logit0
    compat.set_prior(linker, lam)
    out = pairs.copy()
    out["match_weight"] = w + shift
    out["match_probability"] = 1.0 / (1.0 + np.exp2(-out["match_weight"].to_numpy()))
    log.info("prior recalibrated from %.3g to %.3g", p0, lam)
    return out

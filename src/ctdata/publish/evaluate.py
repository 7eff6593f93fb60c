"""How close a synthetic (or otherwise perturbed) table is to the real one.

Both tables must use the same categories (``SyntheticResult.real_projected``
is the real data mapped onto the released categories). Missing values are a
category like any other. The figures are computed on confidential data: a
release publishes them as aggregate error figures only (see the README caveat).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

INDICATORS: tuple[str, ...] = ("sex", "child", "age_band", "exploitation_types")
TOP_COUNTRY_COLUMNS: tuple[str, ...] = ("citizenship", "country_of_exploitation")


def _keys(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    return (
        df[cols].astype("string").fillna("\x00NA").agg("\x1f".join, axis=1)
        if len(cols) > 1
        else df[cols[0]].astype("string").fillna("\x00NA")
    )


def marginal(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Share of records in each combination of ``cols`` (missing is a category)."""
    return df.groupby(cols, dropna=False, observed=True).size() / max(len(df), 1)


def tvd(real: pd.DataFrame, synth: pd.DataFrame, cols: list[str]) -> float:
    """Total variation distance of the ``cols`` marginal: half the L1 distance of the shares."""
    a = marginal(_as_str(real[cols]), cols)
    b = marginal(_as_str(synth[cols]), cols)
    a, b = a.align(b, fill_value=0.0)
    return float(0.5 * np.abs(a - b).sum())


def _as_str(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype("string").fillna("<NA>")


def combination_shares(real: pd.DataFrame, synth: pd.DataFrame, cols: list[str]) -> dict[str, float]:
    """Real combinations absent from the synthetic data, and synthetic ones absent from the real.

    ``suppressed_share``: share of real combinations (distinct) that the synthetic data lacks;
    ``fabricated_share``: share of synthetic combinations (distinct) that no real record has;
    ``fabricated_records``: share of synthetic records that fall in such combinations.
    """
    a = marginal(_as_str(real[cols]), cols)
    b = marginal(_as_str(synth[cols]), cols)
    ra, rb = set(a.index), set(b.index)
    fab = rb - ra
    return {
        "suppressed_share": len(ra - rb) / max(len(ra), 1),
        "fabricated_share": len(fab) / max(len(rb), 1),
        "fabricated_records": float(b[list(fab)].sum()) if fab else 0.0,
    }


def indicator_errors(real: pd.DataFrame, synth: pd.DataFrame, top: int = 10) -> dict[str, Any]:
    """Absolute error (percentage points) of published indicator shares computed on synthetic data."""
    out: dict[str, Any] = {}
    for col in [c for c in INDICATORS if c in real.columns]:
        out[col] = _share_errors(real[col], synth[col])
    for col in [c for c in TOP_COUNTRY_COLUMNS if c in real.columns]:
        top_vals = real[col].dropna().value_counts().head(top).index
        out[f"top{top}_{col}"] = _share_errors(real[col], synth[col], list(top_vals))
    return out


def _share_errors(r: pd.Series, s: pd.Series, values: list | None = None) -> dict[str, float]:
    r, s = r.astype("string"), s.astype("string")
    pr = r.value_counts(normalize=True, dropna=True)  # shares of known values, as the counting rules say
    ps = s.value_counts(normalize=True, dropna=True)
    vals = values if values is not None else list(pr.index.union(ps.index))
    err = np.array([abs(pr.get(v, 0.0) - ps.get(v, 0.0)) for v in vals]) * 100
    return {
        "max_abs_error_pp": float(err.max()) if len(err) else 0.0,
        "mean_abs_error_pp": float(err.mean()) if len(err) else 0.0,
    }


def evaluate(real: pd.DataFrame, synth: pd.DataFrame, ways: tuple[int, ...] = (1, 2, 3)) -> dict[str, Any]:
    """Mean TVD of all k-way marginals, suppressed and fabricated combinations, indicator errors."""
    cols = [c for c in real.columns if c in synth.columns]
    real, synth = real[cols], synth[cols]
    out: dict[str, Any] = {
        "tvd": {},
        "tvd_max": {},
        "combinations": {},
        "rows_real": len(real),
        "rows_synthetic": len(synth),
    }
    codes_r, codes_s = _codes(real, synth)
    for k in ways:
        tv, comb = [], []
        for cl in itertools.combinations(range(len(cols)), k):
            tv.append(_tvd_codes(codes_r, codes_s, cl))
            comb.append(_comb_codes(codes_r, codes_s, cl))
        if not tv:
            continue
        out["tvd"][str(k)] = float(np.mean(tv))
        out["tvd_max"][str(k)] = float(np.max(tv))
        out["combinations"][str(k)] = {key: float(np.mean([c[key] for c in comb])) for key in comb[0]}
    out["indicators"] = indicator_errors(real, synth)
    return out


def _codes(real: pd.DataFrame, synth: pd.DataFrame) -> tuple[list[tuple[np.ndarray, int]], list[np.ndarray]]:
    """Shared integer codes per column (fast path for many marginals)."""
    cr, cs = [], []
    for c in real.columns:
        both = pd.concat([real[c].astype("string"), synth[c].astype("string")], ignore_index=True)
        codes, uniq = pd.factorize(both, use_na_sentinel=False)
        cr.append((codes[: len(real)], len(uniq)))
        cs.append(codes[len(real) :])
    return cr, cs


def _hist(codes: list[np.ndarray], cards: list[int]) -> np.ndarray:
    flat = np.ravel_multi_index(tuple(codes), cards)
    return np.bincount(flat, minlength=int(np.prod(cards))).astype(float)


def _tvd_codes(cr, cs, cl) -> float:
    cards = [cr[j][1] for j in cl]
    a = _hist([cr[j][0] for j in cl], cards)
    b = _hist([cs[j] for j in cl], cards)
    return float(0.5 * np.abs(a / max(a.sum(), 1) - b / max(b.sum(), 1)).sum())


def _comb_codes(cr, cs, cl) -> dict[str, float]:
    cards = [cr[j][1] for j in cl]
    a = _hist([cr[j][0] for j in cl], cards) > 0
    bh = _hist([cs[j] for j in cl], cards)
    b = bh > 0
    fab = b & ~a
    return {
        "suppressed_share": float((a & ~b).sum() / max(a.sum(), 1)),
        "fabricated_share": float(fab.sum() / max(b.sum(), 1)),
        "fabricated_records": float(bh[fab].sum() / max(bh.sum(), 1)),
    }

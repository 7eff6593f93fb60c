"""Why two records were (or were not) linked: a waterfall of match weights.

A data manager reviewing a pair needs to see which evidence moved the score:
the prior, then one step per comparison (names, date of birth, offices...),
with the term-frequency adjustment for common names shown as its own step.
Weights are log2 Bayes factors, so the steps add up to the final weight.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ctdata.linkage import _splink_compat as compat


def _row_for(linker: Any, table: str, key: str) -> dict:
    from ctdata.errors import NotFound

    safe = str(key).replace("'", "''")
    df = linker.misc.query_sql(f"SELECT * FROM {table} WHERE record_key = '{safe}'", output_type="pandas")
    if df.empty:
        raise NotFound(f"no record with key {key!r} in this linkage")
    row = df.iloc[0].to_dict()
    return {
        k: (None if _isnull(v) else (list(v) if hasattr(v, "tolist") and not isinstance(v, str) else v))
        for k, v in row.items()
    }


def _isnull(v: Any) -> bool:
    try:
        return v is None or (not hasattr(v, "__len__") and bool(pd.isna(v)))
    except (TypeError, ValueError):
        return False


def waterfall(linker: Any, table: str, key_l: str, key_r: str) -> pd.DataFrame:
    """One row per step: step, comparison, level, bayes_factor, match_weight, cumulative, probability.

    `linker` is a trained Splink linker, `table` the features table it reads.
    """
    left, right = _row_for(linker, table, key_l), _row_for(linker, table, key_r)
    scored = linker.inference.score_pair(left, right).as_pandas_dataframe().iloc[0].to_dict()
    prior = compat.prior(linker)
    labels: dict[str, dict[int, str]] = {}
    for lv in compat.levels(linker, include_null=True):
        labels.setdefault(lv.comparison, {})[lv.vector_value] = lv.label
    prior_w = math.log2(prior / (1 - prior))
    rows = [
        {
            "step": 0,
            "comparison": "prior",
            "level": "probability two random records match",
            "bayes_factor": prior / (1 - prior),
            "match_weight": prior_w,
        }
    ]
    for i, (out, by_gamma) in enumerate(labels.items(), start=1):
        gamma = scored.get(f"gamma_{out}")
        label = by_gamma.get(gamma, str(gamma))  # type: ignore[arg-type]
        w = scored.get(f"mw_{out}")
        w = 0.0 if w is None or _isnull(w) else float(w)
        rows.append({"step": i, "comparison": out, "level": label, "bayes_factor": 2.0**w, "match_weight": w})
        tf = scored.get(f"mw_tf_adj_{out}")
        if tf is not None and not _isnull(tf) and float(tf) != 0.0:
            rows.append(
                {
                    "step": i,
                    "comparison": f"{out} (name frequency)",
                    "level": "term frequency adjustment",
                    "bayes_factor": 2.0 ** float(tf),
                    "match_weight": float(tf),
                }
            )
    df = pd.DataFrame(rows)
    df["cumulative"] = df["match_weight"].cumsum()
    df["probability"] = 1 / (1 + 2 ** (-df["cumulative"]))
    df.attrs["record_key_l"], df.attrs["record_key_r"] = str(key_l), str(key_r)
    df.attrs["match_probability"] = float(scored.get("match_probability", df["probability"].iloc[-1]))
    return df


def waterfall_chart(table: pd.DataFrame):
    """Altair waterfall: each bar spans the cumulative weight before and after its step."""
    import altair as alt

    t = table.copy().reset_index(drop=True)
    t["order"] = range(len(t))
    t["start"] = t["cumulative"] - t["match_weight"]
    t["label"] = t["comparison"] + ": " + t["level"].astype(str)
    t["sign"] = t["match_weight"].map(lambda w: "for a match" if w >= 0 else "against")
    bars = (
        alt.Chart(t)
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("start:Q", title="match weight (log2 Bayes factor)"),
            y2="cumulative:Q",
            color=alt.Color("sign:N", scale=alt.Scale(domain=["for a match", "against"], range=["#1b7837", "#b2182b"])),
            tooltip=[
                "comparison",
                "level",
                alt.Tooltip("match_weight:Q", format=".2f"),
                alt.Tooltip("probability:Q", format=".4f"),
            ],
        )
    )
    title = f"Why {table.attrs.get('record_key_l', '')} and {table.attrs.get('record_key_r', '')}"
    return bars.properties(title=title, width=520, height=280)

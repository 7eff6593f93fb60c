"""The review queue: pairs the model is unsure about, and the labels reviewers give them.

Labels are kept as plain rows (record_key_l, record_key_r, decision, reason, by,
at) that the store persists. They override the model: a 'match' becomes a
forced link and a 'not_match' a link that clustering may never make; 'unsure'
changes nothing. The same labels are used to evaluate the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from ctdata.errors import ValidationError

DECISIONS = ("match", "not_match", "unsure")
LABEL_COLUMNS = ["record_key_l", "record_key_r", "decision", "reason", "by", "at"]


def empty_labels() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in LABEL_COLUMNS})


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def normalise_labels(labels: pd.DataFrame | None) -> pd.DataFrame:
    """Order each pair's keys, check decisions, keep the latest decision per pair."""
    if labels is None or len(labels) == 0:
        return empty_labels()
    missing = [c for c in ("record_key_l", "record_key_r", "decision") if c not in labels.columns]
    if missing:
        raise ValidationError(f"labels lack column(s): {', '.join(missing)}")
    df = labels.copy()
    for c in LABEL_COLUMNS:
        if c not in df.columns:
            df[c] = None
    bad = sorted(set(df["decision"]) - set(DECISIONS))
    if bad:
        raise ValidationError(f"unknown review decision(s) {bad}; use one of {', '.join(DECISIONS)}")
    pairs = [_ordered(str(a), str(b)) for a, b in zip(df["record_key_l"], df["record_key_r"], strict=True)]
    df["record_key_l"] = [p[0] for p in pairs]
    df["record_key_r"] = [p[1] for p in pairs]
    df["_order"] = range(len(df))
    df = df.sort_values(["at", "_order"], na_position="first", kind="stable")
    df = df.drop_duplicates(["record_key_l", "record_key_r"], keep="last").drop(columns="_order")
    return df[LABEL_COLUMNS].reset_index(drop=True)


def make_label(record_key_l: str, record_key_r: str, decision: str, by: str, reason: str = "") -> dict:
    if decision not in DECISIONS:
        raise ValidationError(f"unknown review decision {decision!r}; use one of {', '.join(DECISIONS)}")
    a, b = _ordered(str(record_key_l), str(record_key_r))
    return {
        "record_key_l": a,
        "record_key_r": b,
        "decision": decision,
        "reason": reason,
        "by": by,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@dataclass
class ReviewQueue:
    """Uncertain pairs, most uncertain first, with the already-labelled ones left out."""

    pairs: pd.DataFrame

    def __len__(self) -> int:
        return len(self.pairs)

    def next(self, n: int = 1) -> pd.DataFrame:
        return self.pairs.head(n)

    def page(self, offset: int = 0, limit: int = 50) -> pd.DataFrame:
        return self.pairs.iloc[offset : offset + limit]


def review_queue(pairs: pd.DataFrame, band: tuple[float, float], labels: pd.DataFrame | None = None) -> ReviewQueue:
    """Pairs with match_probability in [low, high), closest to 0.5 (most uncertain) first."""
    lo, hi = band
    p = pairs["match_probability"]
    q = pairs[(p >= lo) & (p < hi)].copy()
    ordered = [_ordered(str(a), str(b)) for a, b in zip(q["record_key_l"], q["record_key_r"], strict=True)]
    q["record_key_l"] = [o[0] for o in ordered]
    q["record_key_r"] = [o[1] for o in ordered]
    lab = normalise_labels(labels)
    if len(lab):
        done = set(zip(lab["record_key_l"], lab["record_key_r"], strict=True))
        keep = [(a, b) not in done for a, b in zip(q["record_key_l"], q["record_key_r"], strict=True)]
        q = q[keep]
    q["uncertainty"] = (q["match_probability"] - 0.5).abs()
    q = q.sort_values(["uncertainty", "record_key_l", "record_key_r"]).drop(columns="uncertainty")
    return ReviewQueue(q.reset_index(drop=True))


def constraints(labels: pd.DataFrame | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(must_link, cannot_link) pairs from labels; 'unsure' gives neither."""
    lab = normalise_labels(labels)
    must = lab[lab["decision"] == "match"]
    cannot = lab[lab["decision"] == "not_match"]
    return (
        list(zip(must["record_key_l"], must["record_key_r"], strict=True)),
        list(zip(cannot["record_key_l"], cannot["record_key_r"], strict=True)),
    )


def apply_labels_to_pairs(pairs: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
    """Scored pairs with the reviewers' decisions written over the model (probability 1 or 0)."""
    lab = normalise_labels(labels)
    out = pairs.copy()
    out["decision"] = None
    if not len(lab) or not len(out):
        return out
    ordered = [_ordered(str(a), str(b)) for a, b in zip(out["record_key_l"], out["record_key_r"], strict=True)]
    dec = {(a, b): d for a, b, d in zip(lab["record_key_l"], lab["record_key_r"], lab["decision"], strict=True)}
    out["decision"] = [dec.get(o) for o in ordered]
    out.loc[out["decision"] == "match", "match_probability"] = 1.0
    out.loc[out["decision"] == "not_match", "match_probability"] = 0.0
    return out

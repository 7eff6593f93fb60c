"""The networkx formulation of complementary suppression that ``suppression.suppress_array`` replaced.

Kept verbatim (as of commit 38f022c) as the oracle of the property test: the fast
path must hide exactly the same cells as this one on any table.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from ctdata.errors import ValidationError

TOTAL = "Total"


def _with_margins(table: pd.DataFrame) -> pd.DataFrame:
    t = table.copy()
    t[TOTAL] = t.sum(axis=1)
    t.loc[TOTAL] = t.sum(axis=0)
    return t


def _bridges(mask: np.ndarray) -> list[tuple[int, int]]:
    g = nx.Graph()
    rows, cols = np.nonzero(mask)
    g.add_edges_from((("r", int(i)), ("c", int(j))) for i, j in zip(rows, cols, strict=True))
    out = []
    for a, b in nx.bridges(g):
        r, c = (a, b) if a[0] == "r" else (b, a)
        out.append((r[1], c[1]))
    return out


def _side(mask: np.ndarray, bridge: tuple[int, int]) -> tuple[set[int], set[int], set[int], set[int]]:
    g = nx.Graph()
    rows, cols = np.nonzero(mask)
    g.add_edges_from((("r", int(i)), ("c", int(j))) for i, j in zip(rows, cols, strict=True))
    g.remove_edge(("r", bridge[0]), ("c", bridge[1]))
    a = nx.node_connected_component(g, ("r", bridge[0]))
    b = nx.node_connected_component(g, ("c", bridge[1]))
    pick = lambda comp, kind: {n[1] for n in comp if n[0] == kind}  # noqa: E731
    return pick(a, "r"), pick(a, "c"), pick(b, "r"), pick(b, "c")


def _cost(values: np.ndarray) -> np.ndarray:
    cost = values.astype(float).copy()
    cost[values == 0] += 1e12
    cost[-1, :] += 1e9
    cost[:, -1] += 1e9
    return cost


def reference_suppress(table: pd.DataFrame, k: int = 11, suppress_zeros: bool = False) -> tuple[np.ndarray, ...]:
    """``(values with margins, primary, secondary)`` as numpy arrays."""
    if k < 1:
        raise ValidationError(f"k must be at least 1, not {k}")
    if table.ndim != 2 or table.size == 0:
        raise ValidationError("suppress needs a non-empty two-dimensional table of counts")
    if (table.to_numpy() < 0).any():
        raise ValidationError("counts cannot be negative")
    full = _with_margins(table.astype(np.int64))
    v = full.to_numpy()
    low = (v < k) if suppress_zeros else ((v > 0) & (v < k))
    primary = low.copy()
    mask = primary.copy()
    cost = _cost(v)
    while True:
        bridges = _bridges(mask)
        if not bridges:
            break
        r, c = bridges[0]
        ar, ac, br, bc = _side(mask, (r, c))
        cand = np.zeros_like(mask)
        if ar and bc:
            cand[np.ix_(sorted(ar), sorted(bc))] = True
        if br and ac:
            cand[np.ix_(sorted(br), sorted(ac))] = True
        cand &= ~mask
        if not cand.any():
            cand[r, :] = True
            cand &= ~mask
            if not cand.any():
                cand[:, c] = True
                cand &= ~mask
        if not cand.any():
            raise ValidationError("table too small to protect: every cell would be suppressed")
        masked_cost = np.where(cand, cost, np.inf)
        i, j = np.unravel_index(int(np.argmin(masked_cost)), v.shape)
        mask[i, j] = True
    return v, primary, mask & ~primary

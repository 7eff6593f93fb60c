"""Small-cell suppression of aggregate tables, with complementary suppression.

Primary suppression hides every cell (margins included) with 0 < count < k.
Complementary suppression then hides further cells so that no hidden cell can
be worked out from the published ones and the totals.

Why the rule below is the right one: write the table with its margins as an
(R+1) x (C+1) matrix and negate the total row and the total column (the corner
flips twice). Every row and every column of that matrix then sums to zero.
The hidden cells are the edges of a bipartite graph (rows - columns); the
values they can take, given everything published, differ from the truth by a
*circulation* on that graph. A hidden cell is therefore exactly disclosed if
and only if it lies on no cycle, i.e. it is a *bridge*. So we add hidden cells
(cheapest first: smallest non-zero interior counts) until the graph has no
bridge. With every hidden cell non-zero, each can move by at least one in both
directions, which the tests confirm with a linear programme.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from ctdata.errors import ValidationError

TOTAL = "Total"


@dataclass
class SuppressedTable:
    """A table with margins; ``values`` has <NA> where a cell is suppressed."""

    values: pd.DataFrame
    primary: pd.DataFrame
    secondary: pd.DataFrame
    k: int

    @property
    def suppressed(self) -> pd.DataFrame:
        return self.primary | self.secondary

    def report(self) -> dict[str, int]:
        return {
            "k": self.k,
            "cells": int(self.values.size),
            "primary": int(self.primary.to_numpy().sum()),
            "secondary": int(self.secondary.to_numpy().sum()),
        }


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
    """Cheapest first: small non-zero interior cells; margins and zeros only when nothing else will do."""
    cost = values.astype(float).copy()
    cost[values == 0] += 1e12
    cost[-1, :] += 1e9
    cost[:, -1] += 1e9
    return cost


def suppress(table: pd.DataFrame, k: int = 11, suppress_zeros: bool = False) -> SuppressedTable:
    """Suppress a 2-D table of counts (rows x columns, no margins) and add its margins."""
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
        if not cand.any():  # extend the component from the bridge's row instead
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
    secondary = mask & ~primary
    values = full.astype("Int64").mask(pd.DataFrame(mask, index=full.index, columns=full.columns))
    return SuppressedTable(
        values,
        pd.DataFrame(primary, index=full.index, columns=full.columns),
        pd.DataFrame(secondary, index=full.index, columns=full.columns),
        k,
    )


def crosstab(df: pd.DataFrame, rows: str, cols: str, k: int = 11) -> SuppressedTable:
    """Counts of records by two columns (missing shown as 'Unknown'), suppressed."""
    r = df[rows].astype("string").fillna("Unknown")
    c = df[cols].astype("string").fillna("Unknown")
    return suppress(pd.crosstab(r, c), k=k)


def attack_bounds(published: pd.DataFrame) -> dict[tuple[object, object], tuple[float, float]]:
    """What an attacker can infer: min and max of each hidden cell given the published cells and totals.

    ``published`` is ``SuppressedTable.values`` (margins included). Used by the
    tests as the proof that totals cannot recover a suppressed cell.
    """
    from scipy.optimize import linprog

    v = published.to_numpy(dtype=float, na_value=np.nan)
    n_r, n_c = v.shape
    hidden = [(i, j) for i in range(n_r) for j in range(n_c) if np.isnan(v[i, j])]
    if not hidden:
        return {}
    idx = {cell: n for n, cell in enumerate(hidden)}
    a_eq, b_eq = [], []

    def relation(cells_plus: list[tuple[int, int]], cell_minus: tuple[int, int]) -> None:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for cell, sign in [(c, 1.0) for c in cells_plus] + [(cell_minus, -1.0)]:
            if cell in idx:
                row[idx[cell]] += sign
            else:
                rhs -= sign * v[cell]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)

    for i in range(n_r):
        relation([(i, j) for j in range(n_c - 1)], (i, n_c - 1))
    for j in range(n_c):
        relation([(i, j) for i in range(n_r - 1)], (n_r - 1, j))
    out = {}
    for cell, n in idx.items():
        obj = np.zeros(len(hidden))
        obj[n] = 1.0
        lo = linprog(obj, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-obj, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        upper = -hi.fun if hi.status == 0 else np.inf
        out[(published.index[cell[0]], published.columns[cell[1]])] = (float(lo.fun), float(upper))
    return out

"""Log-linear models over capture patterns: terms, design matrices and their checks.

A model is the main effects of every list plus a chosen set of two-list
interactions. Following Chan, Silverman and Vincent (2021), a chosen pair of
lists that never overlap in the data gets the boundary value -infinity for
its interaction: the patterns containing both lists are dropped from the fit
and the term is not estimated (it still counts as a parameter in AIC/BIC,
as in SparseMSE's ``modelfit``).

Before a model is fitted it must pass the two checks of the same authors:
the Fienberg-Rinaldo linear program (does the extended maximum likelihood
estimate exist?) and a rank test of the design matrix (is it identifiable?).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import linprog

from ctdata.errors import ValidationError
from ctdata.prevalence.patterns import PatternTable, all_patterns

Pair = tuple[int, int]


class ModelError(ValidationError):
    """A model cannot be used on these data (not estimable, or not understood)."""


def all_pairs(t: int) -> list[Pair]:
    return [(i, j) for i in range(t) for j in range(i + 1, t)]


def model_name(pairs: Iterable[Pair], lists: tuple[str, ...]) -> str:
    """Readable model text, e.g. ``main effects + A:B + C:D`` (parseable by parse_model)."""
    terms = [f"{lists[i]}:{lists[j]}" for i, j in sorted(pairs)]
    return " + ".join(["main effects", *terms]) if terms else "main effects"


def parse_model(text: str | None, lists: tuple[str, ...]) -> tuple[Pair, ...]:
    """Parse a model given as two-list interactions.

    Accepted forms: ``"A*B + C*D"``, ``"A:B, C:D"``, ``"A:B + C:D"``, the
    notation of MultipleSystemsEstimation with list numbers (``"[12,34,5]"``,
    up to 9 lists), and ``"main"`` / ``""`` for main effects only. ``A*B*C``
    means the three pairs among A, B and C (only two-list terms are fitted).
    """
    if text is None:
        return ()
    raw = text.strip()
    if raw.lower() in ("", "main", "main effects", "main-effects", "[]"):
        return ()
    index = {name: k for k, name in enumerate(lists)}
    pairs: set[Pair] = set()
    if raw.startswith("[") and raw.endswith("]"):
        if len(lists) > 9:
            raise ModelError("list-number notation [12,34] works only up to 9 lists; use names (A:B)")
        for chunk in raw[1:-1].split(","):
            chunk = chunk.strip()
            if not chunk:
                continue
            if not chunk.isdigit() or any(not 1 <= int(c) <= len(lists) for c in chunk):
                raise ModelError(f"model {text!r}: {chunk!r} is not a set of list numbers 1..{len(lists)}")
            members = sorted({int(c) - 1 for c in chunk})
            if len(members) > 2:
                raise ModelError(f"model {text!r}: only two-list interactions are supported, not {chunk}")
            if len(members) == 2:
                pairs.add((members[0], members[1]))
        return tuple(sorted(pairs))
    name_of = "main effects"
    for chunk in re.split(r"[+,]", raw):
        chunk = chunk.strip()
        if not chunk or chunk.lower() == name_of:
            continue
        parts = [p.strip() for p in re.split(r"[*:]", chunk)]
        for part in parts:
            if part not in index:
                known = ", ".join(lists)
                raise ModelError(f"model {text!r}: {part!r} is not one of the lists ({known})")
        members = sorted({index[p] for p in parts})
        if ":" in chunk and len(members) > 2:
            raise ModelError(f"model {text!r}: only two-list interactions are supported, not {chunk!r}")
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                pairs.add((members[a], members[b]))
    return tuple(sorted(pairs))


@dataclass(frozen=True)
class Design:
    """The Poisson regression for one model on one table."""

    pairs: tuple[Pair, ...]  # all two-list terms of the model
    empty_pairs: tuple[Pair, ...]  # terms whose lists never overlap (fixed at -inf)
    keep: np.ndarray  # which of the 2^t - 1 patterns are in the fit
    X: np.ndarray  # design over kept patterns: intercept, main effects, estimated pairs
    y: np.ndarray  # counts of kept patterns
    columns: tuple[str, ...]

    @property
    def n_params(self) -> int:
        """Parameters for AIC/BIC: the estimated ones plus the boundary (-inf) ones."""
        return self.X.shape[1] + len(self.empty_pairs)


def build_design(table: PatternTable, pairs: Iterable[Pair]) -> Design:
    pairs = tuple(sorted(set(pairs)))
    pat = table.patterns.astype(np.float64)
    counts = table.counts
    keep = np.ones(len(counts), dtype=bool)
    estimated: list[Pair] = []
    empty: list[Pair] = []
    for i, j in pairs:
        both = (pat[:, i] * pat[:, j]) > 0
        if counts[both].sum() == 0:
            empty.append((i, j))
            keep &= ~both
        else:
            estimated.append((i, j))
    cols = [np.ones(len(counts)), *(pat[:, i] for i in range(table.t))]
    cols += [pat[:, i] * pat[:, j] for i, j in estimated]
    X = np.column_stack(cols)[keep]
    names = ("(Intercept)", *table.lists, *(f"{table.lists[i]}:{table.lists[j]}" for i, j in estimated))
    return Design(pairs, tuple(empty), keep, X, counts[keep].astype(np.float64), names)


@dataclass(frozen=True)
class CheckResult:
    exists: bool
    identifiable: bool
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.exists and self.identifiable

    @property
    def code(self) -> int:
        """The error code of SparseMSE's ``checkident``: 0 fine, 1 no MLE, 2 not identifiable, 3 both."""
        return (0 if self.exists else 1) + (0 if self.identifiable else 2)


def _lp_exists(X: np.ndarray, y: np.ndarray) -> bool:
    """Fienberg and Rinaldo's linear program: is there x > 0 with X'x = X'y?

    The extended MLE exists exactly when the maximum of min_j x_j over
    x >= 0 with X'x = X'y is strictly positive.
    """
    if np.all(y > 0):
        return True  # x = y itself is strictly positive
    nobs, npar = X.shape
    c = np.zeros(nobs + 1)
    c[-1] = -1.0
    a_eq = np.hstack([X.T, np.zeros((npar, 1))])
    b_eq = X.T @ y
    a_ub = np.hstack([-np.eye(nobs), np.ones((nobs, 1))])  # s - x_j <= 0
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(nobs), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        return False
    return -res.fun > 1e-9 * max(1.0, float(y.sum()))


@lru_cache(maxsize=65536)
def _check_cached(t: int, support: bytes, pairs: tuple[Pair, ...]) -> tuple[bool, bool, int, int]:
    # Existence and identifiability depend only on which patterns are zero,
    # so the answer is cached on that support (bootstrap replicates repeat it).
    nonzero = np.frombuffer(support, dtype=np.bool_)
    table = PatternTable(tuple(f"L{k}" for k in range(t)), nonzero.astype(np.int64))
    design = build_design(table, pairs)
    rank = int(np.linalg.matrix_rank(design.X))
    exists = _lp_exists(design.X, design.y)
    return exists, rank == design.X.shape[1], rank, design.X.shape[1]


def check_model(table: PatternTable, pairs: Iterable[Pair]) -> CheckResult:
    """Existence and identifiability of the MLE (SparseMSE ``checkident``), with the reason when refused."""
    pairs = tuple(sorted(set(pairs)))
    support = (table.counts > 0).tobytes()
    exists, identifiable, rank, ncol = _check_cached(table.t, support, pairs)
    name = model_name(pairs, table.lists)
    reasons = []
    if not exists:
        reasons.append(
            f"the maximum likelihood estimate does not exist for {name}: the zero counts force some fitted "
            "counts to zero (Fienberg-Rinaldo linear-programming test)"
        )
    if not identifiable:
        reasons.append(
            f"{name} is not identifiable: its {ncol} parameters have only {rank} independent "
            "directions in the data (too few overlapping lists to separate the interactions)"
        )
    return CheckResult(exists, identifiable, "; ".join(reasons))


def informative_problems(table: PatternTable) -> list[str]:
    """Lists that make every model fail: empty lists and lists holding every observed person."""
    problems = []
    n = table.observed
    for name, total in table.list_totals().items():
        if total == 0:
            problems.append(f"list {name!r} has no cases; drop it before estimating")
        elif total == n:
            problems.append(f"list {name!r} holds every observed case, so it tells nothing about the unseen")
    return problems


__all__ = [
    "CheckResult",
    "Design",
    "ModelError",
    "Pair",
    "all_pairs",
    "all_patterns",
    "build_design",
    "check_model",
    "informative_problems",
    "model_name",
    "parse_model",
]

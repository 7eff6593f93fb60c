"""Choosing the model: stepwise (Chan, Silverman and Vincent 2021), AIC, BIC, main effects, or named.

The stepwise rule is the one of SparseMSE's ``stepwisefit``: start from main
effects; for each two-list interaction not yet in the model, the statistic is
the number of persons on both lists, whose null distribution is Poisson with
the mean fitted by the current model; its one-sided p-value is
min(P(X <= n), P(X >= n)). Candidates whose model would fail the existence or
identifiability check get p = 1. The interaction with the smallest p-value
(the first on ties) is added while that p-value is below the threshold.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import poisson

from ctdata.errors import CtdataError
from ctdata.prevalence.fitting import Fit, FitFailed, fit_model
from ctdata.prevalence.models import (
    ModelError,
    Pair,
    all_pairs,
    check_model,
    informative_problems,
    parse_model,
)
from ctdata.prevalence.patterns import PatternTable
from ctdata.prevalence.settings import DEFAULT_PTHRESH, METHODS

MAX_EXHAUSTIVE_PAIRS = 15  # six lists: 2^15 = 32,768 models


@dataclass(frozen=True)
class Selection:
    fit: Fit
    method: str
    steps: list[dict] = field(default_factory=list)  # stepwise: what was added, with its p-value
    ranking: list[dict] = field(default_factory=list)  # aic/bic: admissible models best first
    refused: int = 0  # models skipped by the existence/identifiability checks


def require_estimable(table: PatternTable) -> None:
    problems = informative_problems(table)
    if problems:
        raise ModelError("; ".join(problems))


def stepwise(table: PatternTable, pthresh: float = DEFAULT_PTHRESH) -> Selection:
    """Forward stepwise selection by Poisson p-values (SparseMSE ``stepwisefit``)."""
    if not 0 <= pthresh <= 1:
        raise CtdataError(f"p-value threshold must be between 0 and 1, got {pthresh}")
    require_estimable(table)
    pairs = all_pairs(table.t)
    if pthresh == 1 and check_model(table, pairs).ok:
        return Selection(fit_model(table, pairs, check=False), "stepwise")
    current = fit_model(table, ())
    if pthresh == 0:
        return Selection(current, "stepwise")
    pat = table.patterns
    nstar = [int((pat[:, i] * pat[:, j]) @ table.counts) for i, j in pairs]
    chosen: list[Pair] = []
    steps: list[dict] = []
    refused = 0
    while len(chosen) < len(pairs):
        mu = current.mu
        kept = pat[current.design.keep]
        best_p, best_k = 1.0, -1
        for k, (i, j) in enumerate(pairs):
            if (i, j) in chosen:
                continue
            pstar = float(mu[(kept[:, i] * kept[:, j]) > 0].sum())
            pval = float(min(poisson.cdf(nstar[k], pstar), poisson.sf(nstar[k] - 1, pstar)))
            # Only a candidate that could be chosen needs the (costlier) checks; this
            # picks the same term as checking all of them first.
            if pval >= pthresh or pval >= best_p:
                continue
            if not check_model(table, (*chosen, (i, j))).ok:
                refused += 1
                continue
            best_p, best_k = pval, k
        if best_k < 0:
            break
        chosen.append(pairs[best_k])
        current = fit_model(table, chosen, check=False)
        i, j = pairs[best_k]
        steps.append({"added": f"{table.lists[i]}:{table.lists[j]}", "p_value": best_p})
    return Selection(current, "stepwise", steps=steps, refused=refused)


def exhaustive(table: PatternTable, criterion: str, keep_ranking: int = 20) -> Selection:
    """Best model by AIC or BIC over all main-effects-plus-two-list-interaction models passing the checks."""
    if criterion not in ("aic", "bic"):
        raise CtdataError(f"unknown criterion {criterion!r}")
    require_estimable(table)
    pairs = all_pairs(table.t)
    if len(pairs) > MAX_EXHAUSTIVE_PAIRS:
        raise CtdataError(
            f"exhaustive search over {table.t} lists means 2^{len(pairs)} models; use --method stepwise"
        )
    results: list[tuple[float, int, tuple[Pair, ...], Fit]] = []
    refused = 0
    order = 0
    for size in range(len(pairs) + 1):
        for subset in itertools.combinations(pairs, size):
            if not check_model(table, subset).ok:
                refused += 1
                continue
            try:
                fit = fit_model(table, subset, check=False)
            except FitFailed:
                refused += 1
                continue
            score = fit.aic if criterion == "aic" else fit.bic
            results.append((score, order, subset, fit))
            order += 1
    if not results:
        raise ModelError("no model passes the existence and identifiability checks on these data")
    results.sort(key=lambda r: (r[0], r[1]))
    ranking = [
        {"model": r[3].name, criterion: r[0], "estimate": r[3].estimate} for r in results[:keep_ranking]
    ]
    return Selection(results[0][3], criterion, ranking=ranking, refused=refused)


def select(
    table: PatternTable, method: str, model: str | None = None, pthresh: float = DEFAULT_PTHRESH
) -> Selection:
    """Choose and fit the model by the named method."""
    method = method.lower()
    if method == "stepwise":
        return stepwise(table, pthresh)
    if method in ("aic", "bic"):
        return exhaustive(table, method)
    if method == "main":
        require_estimable(table)
        return Selection(fit_model(table, ()), "main")
    if method == "model":
        if model is None or not model.strip():
            raise CtdataError('method "model" needs a model, e.g. --model "A*B+C*D" or "A:B,C:D"')
        require_estimable(table)
        return Selection(fit_model(table, parse_model(model, table.lists)), "model")
    raise CtdataError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def log_dark_se(fit: Fit) -> float:
    """Standard error of the intercept (log of the dark figure) from the observed information."""
    X, mu = fit.design.X, fit.mu
    info = (X * mu[:, None]).T @ X
    try:
        return math.sqrt(float(np.linalg.inv(info)[0, 0]))
    except (np.linalg.LinAlgError, ValueError):
        return math.nan

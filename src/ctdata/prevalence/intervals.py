"""Confidence intervals for the population size.

- ``profile``: profile likelihood for the population size N with the chosen
  model held fixed (the multinomial profile of Cormack 1992, as in
  Rcapture's ``closedpCI``): the set of N whose likelihood-ratio statistic,
  maximised over all other parameters, stays below the chi-square(1)
  quantile. It does not carry the uncertainty of choosing the model; the
  bootstrap does.
- ``bootstrap``: parametric bootstrap. Each replicate draws every observable
  pattern count from Poisson(fitted count) and re-runs the whole method
  (model selection included, so its uncertainty is in the interval); the
  interval is the percentile interval of the replicate estimates. Seeded:
  all replicate tables come from one numpy Generator, so the result does not
  depend on how many processes share the work.
- ``wald``: the normal interval on the log dark figure used by SparseMSE's
  ``estimatepopulation.0``; cheap, shown for comparison.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln
from scipy.stats import chi2, norm

from ctdata.errors import CtdataError
from ctdata.prevalence.fitting import Fit, FitFailed, newton_poisson
from ctdata.prevalence.models import ModelError
from ctdata.prevalence.patterns import PatternTable
from ctdata.prevalence.selection import log_dark_se, select
from ctdata.prevalence.settings import EstimateSettings


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None
    method: str
    level: float
    detail: dict = field(default_factory=dict)


def wald_interval(fit: Fit, alpha: float = 0.05) -> Interval:
    se = log_dark_se(fit)
    z = norm.ppf(1 - alpha / 2)
    b = fit.beta[0]
    return Interval(
        fit.table.observed + math.exp(b - z * se),
        fit.table.observed + math.exp(b + z * se),
        "wald",
        1 - alpha,
        {"se_log_dark": se},
    )


def _multinomial_profile(fit: Fit) -> Callable[[float], float]:
    """Profile log-likelihood of N for the chosen model, with N fixed (Cormack 1992, as in Rcapture).

    For a given N the unseen count N - n is put in the all-zero cell and the
    model is fitted to the complete table; with the total fixed, the Poisson
    fit is the multinomial maximum, and
    l(N) = log N! - log (N - n)! + sum over cells of y log(mu / N).
    """
    X, y = fit.design.X, fit.design.y
    n = float(y.sum())
    zero_row = np.zeros((1, X.shape[1]))
    zero_row[0, 0] = 1.0
    X_full = np.vstack([zero_row, X])
    warm = {"start": fit.beta.copy()}

    def loglik(N: float) -> float:
        y_full = np.concatenate([[N - n], y])
        try:
            beta, _ = newton_poisson(X_full, y_full, start=warm["start"])
        except FitFailed:
            beta, _ = newton_poisson(X_full, y_full)
        warm["start"] = beta
        mu = np.exp(X_full @ beta)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(y_full > 0, y_full * np.log(mu / N), 0.0)
        return float(gammaln(N + 1) - gammaln(N - n + 1) + terms.sum())

    return loglik


def profile_interval(fit: Fit, alpha: float = 0.05) -> Interval:
    """Profile-likelihood interval for the population size N, the chosen model held fixed."""
    loglik = _multinomial_profile(fit)
    n = fit.table.observed
    crit = float(chi2.ppf(1 - alpha, df=1))

    # Work on u = log(N - n) so that the search spans orders of magnitude.
    def at(u: float) -> float:
        return loglik(n + math.exp(u))

    u0 = math.log(max(fit.dark, 1e-6))
    best = minimize_scalar(lambda u: -at(u), bracket=(u0 - 0.1, u0 + 0.1), tol=1e-10)
    u_hat, ll_max = float(best.x), -float(best.fun)

    def excess(u: float) -> float:
        return 2 * (ll_max - at(u)) - crit

    se = log_dark_se(fit)
    step = se if math.isfinite(se) and se > 0 else 0.5
    notes: list[str] = []

    def search(direction: int) -> float | None:
        inner, width = u_hat, step
        for _ in range(60):
            outer = u_hat + direction * width
            if outer < -20 or outer > 40:
                return None
            if excess(outer) > 0:
                return brentq(excess, min(inner, outer), max(inner, outer), xtol=1e-10)
            inner, width = outer, width * 1.6
        return None

    lo_u, hi_u = search(-1), search(+1)
    low = n + math.exp(lo_u) if lo_u is not None else float(n)
    if lo_u is None:
        notes.append("the lower limit is the observed total: the data cannot rule out that all were seen")
    high = n + math.exp(hi_u) if hi_u is not None else None
    if hi_u is None:
        notes.append("the upper limit is unbounded: the data cannot bound the number unseen under this model")
    detail: dict = {"profile_mle": n + math.exp(u_hat)}
    if notes:
        detail["notes"] = notes
    return Interval(low, high, "profile", 1 - alpha, detail)


# --- bootstrap -------------------------------------------------------------------------------


def _replicate_estimate(args: tuple[tuple[str, ...], np.ndarray, str, str | None, float]) -> float:
    lists, counts, method, model, pthresh = args
    try:
        table = PatternTable(lists, counts)
        return select(table, method, model=model, pthresh=pthresh).fit.estimate
    except (ModelError, FitFailed, CtdataError, np.linalg.LinAlgError, ValueError, OverflowError):
        return math.nan


def _run_chunk(chunk: list[tuple]) -> list[float]:
    return [_replicate_estimate(a) for a in chunk]


def bootstrap_interval(
    fit: Fit,
    settings: EstimateSettings,
    progress: bool = True,
    workers: int = 1,
    on_advance: Callable[[int], None] | None = None,
) -> Interval:
    """Seeded parametric bootstrap percentile interval, re-running the whole method in each replicate.

    The settings give the method (and model, pthresh) re-run, the replicates (``bootstrap``), seed and alpha.
    """
    method, model, pthresh = settings.method, settings.model, settings.pthresh
    replicates, seed, alpha = settings.bootstrap, settings.seed, settings.alpha
    if replicates < 2:
        raise CtdataError(f"bootstrap needs at least 2 replicates, got {replicates}")
    rng = np.random.default_rng(seed)
    mu = fit.mu_all()
    draws = rng.poisson(mu, size=(replicates, mu.size))
    if method in ("aic", "bic") and fit.table.t > 5:
        # Exhaustive search per replicate is too slow beyond five lists; keep the chosen model.
        refit_method, refit_model = "model", fit.name
        note = f"{method} selection over {fit.table.t} lists is not repeated per replicate; model held fixed"
    else:
        refit_method, refit_model = method, (fit.name if method == "model" else model)
        note = ""
    lists = fit.table.lists
    jobs = [(lists, row, refit_method, refit_model, pthresh) for row in draws]
    estimates = np.full(replicates, math.nan)
    workers = max(1, min(int(workers), os.cpu_count() or 1))
    chunk = 25
    chunks = [jobs[k : k + chunk] for k in range(0, replicates, chunk)]

    def advance(k: int) -> None:
        if on_advance is not None:
            on_advance(k)

    with _progress(progress, replicates) as bump:
        if workers == 1:
            for k, part in enumerate(chunks):
                estimates[k * chunk : k * chunk + len(part)] = _run_chunk(part)
                bump(len(part))
                advance(len(part))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for k, values in enumerate(pool.map(_run_chunk, chunks)):
                    estimates[k * chunk : k * chunk + len(values)] = values
                    bump(len(values))
                    advance(len(values))
    ok = estimates[np.isfinite(estimates)]
    failed = int(replicates - ok.size)
    detail: dict = {"replicates": replicates, "failed": failed, "seed": seed}
    detail["reselect"] = refit_method == method
    if note:
        detail["notes"] = [note]
    if ok.size < max(10, replicates // 2):
        raise CtdataError(f"bootstrap failed: only {ok.size} of {replicates} replicates could be fitted")
    low, high = np.quantile(ok, [alpha / 2, 1 - alpha / 2])
    detail["median"] = float(np.median(ok))
    return Interval(float(low), float(high), "bootstrap", 1 - alpha, detail)


class _progress:
    """A Rich progress bar on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self._bar = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.enabled:
            return lambda k: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("bootstrap"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        task = self._bar.add_task("bootstrap", total=self.total)
        return lambda k: self._bar.advance(task, k)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

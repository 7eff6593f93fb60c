"""One call from a capture-pattern table to a population estimate with its interval and diagnostics."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ctdata.errors import CtdataError
from ctdata.prevalence.fitting import glm_summary
from ctdata.prevalence.intervals import (
    Interval,
    bootstrap_interval,
    profile_interval,
    wald_interval,
)
from ctdata.prevalence.patterns import PatternTable
from ctdata.prevalence.selection import Selection, select
from ctdata.prevalence.settings import DEFAULTS, EstimateSettings


@dataclass(frozen=True)
class MSEResult:
    estimate: float
    ci_low: float | None
    ci_high: float | None
    ci_method: str
    ci_level: float
    method: str
    model: str
    terms: dict[str, float | None]
    std_errors: dict[str, float | None]
    observed: int
    dark_figure: float
    lists: list[str]
    list_totals: dict[str, int]
    diagnostics: dict
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready: non-finite numbers become None (JSON has no infinity)."""
        return _clean(asdict(self))


def _clean(value: object) -> object:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def estimate(
    table: PatternTable,
    method: str = DEFAULTS.method,
    model: str | None = DEFAULTS.model,
    ci: str = DEFAULTS.ci,
    alpha: float = DEFAULTS.alpha,
    pthresh: float = DEFAULTS.pthresh,
    bootstrap: int = DEFAULTS.bootstrap,
    seed: int = DEFAULTS.seed,
    progress: bool = False,
    workers: int = 1,
) -> MSEResult:
    """Estimate the population size (observed plus unseen) from a capture-pattern table.

    ``method``: stepwise | aic | bic | main | model (``model`` then names the
    interactions, e.g. "A*B+C*D"). ``ci``: profile | bootstrap | wald | none.
    """
    settings = EstimateSettings(method=method.lower(), model=model, ci=ci.lower(), alpha=alpha, pthresh=pthresh,
                                bootstrap=bootstrap, seed=seed)
    selection = select(table, settings.method, model=model, pthresh=pthresh)
    fit = selection.fit
    interval = _interval(selection, settings, progress, workers)
    glm = glm_summary(fit)
    lists = table.lists
    terms: dict[str, float | None] = dict(glm.coefficients)
    ses: dict[str, float | None] = dict(glm.std_errors)
    for i, j in fit.design.empty_pairs:
        terms[f"{lists[i]}:{lists[j]}"] = -math.inf
        ses[f"{lists[i]}:{lists[j]}"] = None
    warnings = _warnings(table, selection, interval, glm.converged)
    diagnostics = {
        "deviance": glm.deviance,
        "df": glm.df_resid,
        "aic": fit.aic,
        "bic": fit.bic,
        "loglik": glm.loglik,
        "n_params": fit.design.n_params,
        "empty_overlaps": [f"{lists[i]}:{lists[j]}" for i, j in fit.design.empty_pairs],
        "never_overlapping_pairs": [f"{a}:{b}" for (a, b), n in table.overlaps().items() if n == 0],
        "models_refused": selection.refused,
        "warnings": warnings,
    }
    if selection.steps:
        diagnostics["steps"] = selection.steps
    if selection.ranking:
        diagnostics["ranking"] = selection.ranking[:10]
    if interval.detail:
        diagnostics["interval"] = {k: v for k, v in interval.detail.items() if k != "notes"}
    return MSEResult(
        estimate=fit.estimate,
        ci_low=interval.low,
        ci_high=interval.high,
        ci_method=interval.method,
        ci_level=interval.level,
        method=settings.method,
        model=fit.name,
        terms=terms,
        std_errors=ses,
        observed=table.observed,
        dark_figure=fit.dark,
        lists=list(lists),
        list_totals=table.list_totals(),
        diagnostics=diagnostics,
        settings=settings.to_dict(),
    )


def _interval(selection: Selection, s: EstimateSettings, progress: bool, workers: int) -> Interval:
    fit = selection.fit
    if s.ci == "profile":
        return profile_interval(fit, s.alpha)
    if s.ci == "wald":
        return wald_interval(fit, s.alpha)
    if s.ci == "bootstrap":
        return bootstrap_interval(fit, s, progress=progress, workers=workers)
    return Interval(None, None, "none", 1 - s.alpha)


def _warnings(table: PatternTable, selection: Selection, interval: Interval, converged: bool) -> list[str]:
    out: list[str] = []
    fit = selection.fit
    if fit.design.empty_pairs:
        names = ", ".join(f"{table.lists[i]}:{table.lists[j]}" for i, j in fit.design.empty_pairs)
        out.append(f"lists that never overlap are in the model with interaction -infinity: {names}")
    if fit.df_resid == 0:
        out.append("the model is saturated (no residual degrees of freedom); its fit cannot be checked")
    if not converged:
        out.append("statsmodels reported a convergence problem for the chosen model")
    if fit.dark > 10 * table.observed:
        out.append("the estimated unseen number is over ten times the observed: treat it with great caution")
    if table.observed < 50:
        out.append(f"only {table.observed} observed cases: estimates from so few are unstable")
    out.extend(interval.detail.get("notes", []))
    failed = interval.detail.get("failed", 0)
    if failed:
        out.append(f"{failed} bootstrap replicates could not be fitted and were left out")
    return out


def estimate_across_methods(
    table: PatternTable,
    methods: tuple[str, ...] = ("main", "stepwise", "aic", "bic"),
    ci: str = DEFAULTS.ci,
    alpha: float = DEFAULTS.alpha,
    pthresh: float = DEFAULTS.pthresh,
) -> list[MSEResult]:
    """The estimate by each method, for the comparison plot; methods that fail are left out."""
    out = []
    for method in methods:
        if method in ("aic", "bic") and table.t > 6:
            continue
        try:
            out.append(estimate(table, method=method, ci=ci, alpha=alpha, pthresh=pthresh))
        except CtdataError:
            continue
    return out

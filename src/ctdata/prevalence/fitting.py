"""Fitting Poisson log-linear models to capture patterns.

The reported fit of the chosen model uses statsmodels' GLM (Poisson family,
log link), so its coefficients, standard errors, deviance and AIC are those
of a standard, reviewed implementation. Model search, profile likelihood and
the bootstrap call the same likelihood thousands of times; for them a small
Newton solver on the same design is used, which the tests hold to the
statsmodels answer.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from ctdata.prevalence.models import Design, ModelError, Pair, build_design, check_model, model_name
from ctdata.prevalence.patterns import PatternTable


class FitFailed(ModelError):
    """The Newton iterations did not converge."""


def poisson_loglik(y: np.ndarray, eta: np.ndarray) -> float:
    return float(np.sum(y * eta - np.exp(eta) - gammaln(y + 1.0)))


def newton_poisson(
    X: np.ndarray,
    y: np.ndarray,
    offset: float | np.ndarray = 0.0,
    start: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> tuple[np.ndarray, float]:
    """Maximise the Poisson log-likelihood with log link; returns (coefficients, log-likelihood)."""
    if X.shape[1] == 0:
        return np.zeros(0), poisson_loglik(y, np.broadcast_to(offset, y.shape).astype(float))
    if start is None:
        start = np.linalg.lstsq(X, np.log(y + 0.5) - offset, rcond=None)[0]
    beta = start.copy()
    eta = X @ beta + offset
    ll = poisson_loglik(y, eta)
    for _ in range(max_iter):
        mu = np.exp(eta)
        grad = X.T @ (y - mu)
        hess = (X * mu[:, None]).T @ X
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        scale = 1.0
        while True:
            cand = beta + scale * step
            eta_c = X @ cand + offset
            if np.all(eta_c < 700):
                ll_c = poisson_loglik(y, eta_c)
                if ll_c >= ll - 1e-12 * abs(ll):
                    break
            scale /= 2
            if scale < 1e-10:
                raise FitFailed("the Poisson fit did not converge (step halving failed)")
        beta, eta, gain, ll = cand, eta_c, ll_c - ll, ll_c
        if np.max(np.abs(scale * step)) < tol or abs(gain) < tol * (1 + abs(ll)) * 1e-3:
            return beta, ll
    raise FitFailed(f"the Poisson fit did not converge in {max_iter} iterations")


@dataclass(frozen=True)
class Fit:
    """One fitted model: enough for selection, intervals and the report."""

    table: PatternTable
    design: Design
    beta: np.ndarray
    loglik: float

    @property
    def pairs(self) -> tuple[Pair, ...]:
        return self.design.pairs

    @property
    def name(self) -> str:
        return model_name(self.pairs, self.table.lists)

    @property
    def mu(self) -> np.ndarray:
        """Fitted counts of the kept patterns."""
        return np.exp(self.design.X @ self.beta)

    def mu_all(self) -> np.ndarray:
        """Fitted counts of all 2^t - 1 patterns (zero where a never-overlapping pair forces it)."""
        out = np.zeros(len(self.table.counts))
        out[self.design.keep] = self.mu
        return out

    @property
    def dark(self) -> float:
        """Fitted count of the unobserved (all-zero) pattern: exp(intercept)."""
        return math.exp(self.beta[0])

    @property
    def estimate(self) -> float:
        return self.table.observed + self.dark

    @property
    def deviance(self) -> float:
        y, mu = self.design.y, self.mu
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu), 0.0)
        return float(2 * np.sum(term - (y - mu)))

    @property
    def df_resid(self) -> int:
        return self.design.X.shape[0] - self.design.X.shape[1]

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.design.n_params

    @property
    def bic(self) -> float:
        return -2 * self.loglik + math.log(self.table.observed) * self.design.n_params


def fit_model(table: PatternTable, pairs: Iterable[Pair], check: bool = True) -> Fit:
    """Fit one model (fast solver); refused with the reason if the MLE does not exist or is unidentifiable."""
    pairs = tuple(sorted(set(pairs)))
    if check:
        result = check_model(table, pairs)
        if not result.ok:
            raise ModelError(result.reason)
    design = build_design(table, pairs)
    beta, ll = newton_poisson(design.X, design.y)
    return Fit(table, design, beta, ll)


@dataclass(frozen=True)
class GLMSummary:
    """The statsmodels fit of the chosen model, for reporting."""

    coefficients: dict[str, float]
    std_errors: dict[str, float]
    deviance: float
    df_resid: int
    loglik: float
    converged: bool
    dark: float
    dark_se_log: float


def glm_summary(fit: Fit) -> GLMSummary:
    """Refit the chosen model with statsmodels' GLM and return its coefficients and fit statistics."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    design = fit.design
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sm.GLM(design.y, design.X, family=sm.families.Poisson())
        res = model.fit(start_params=fit.beta, tol=1e-12, maxiter=200)
    converged = bool(getattr(res, "converged", True)) and not any(
        issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning)) for w in caught
    )
    names = design.columns
    params = np.asarray(res.params, dtype=float)
    bse = np.asarray(res.bse, dtype=float)
    return GLMSummary(
        coefficients=dict(zip(names, params.tolist(), strict=True)),
        std_errors=dict(zip(names, bse.tolist(), strict=True)),
        deviance=float(res.deviance),
        df_resid=int(round(res.df_resid)),
        loglik=float(res.llf),
        converged=converged,
        dark=float(math.exp(params[0])),
        dark_se_log=float(bse[0]),
    )

"""The estimator: models, fits, checks, intervals, results, the CLI body and the chart."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from scipy.optimize import minimize

from ctdata.cli.estimate import estimate_command
from ctdata.errors import CtdataError
from ctdata.prevalence import ModelError, estimate, estimate_across_methods, parse_model
from ctdata.prevalence.chart import CAVEATS, CAVEATS_TEXT, estimates_frame, methods_chart
from ctdata.prevalence.fitting import fit_model, glm_summary
from ctdata.prevalence.intervals import bootstrap_interval, profile_interval, wald_interval
from ctdata.prevalence.patterns import PatternTable, all_patterns
from ctdata.prevalence.settings import EstimateSettings

from .published import ARTIFICIAL_3, KOREA, WESTERN


def test_parse_model_forms() -> None:
    lists = ("A", "B", "C", "D")
    assert parse_model("A*B+C*D", lists) == ((0, 1), (2, 3))
    assert parse_model("A:B,C:D", lists) == ((0, 1), (2, 3))
    assert parse_model(" C:D + A:B ", lists) == ((0, 1), (2, 3))
    assert parse_model("A*B*C", lists) == ((0, 1), (0, 2), (1, 2))
    assert parse_model("[12,34]", lists) == ((0, 1), (2, 3))
    assert parse_model("main", lists) == ()
    assert parse_model("main effects + A:B", lists) == ((0, 1),)
    with pytest.raises(ModelError, match="'E' is not one of the lists"):
        parse_model("A:E", lists)
    with pytest.raises(ModelError, match="only two-list"):
        parse_model("A:B:C", lists)


def test_newton_fit_agrees_with_statsmodels_and_an_independent_solver() -> None:
    # Cross-check (not a published number): the Western A:E model by a hand-built
    # design matrix and scipy's general-purpose optimiser on the Poisson likelihood.
    fit = fit_model(WESTERN, parse_model("A:E", WESTERN.lists))
    glm = glm_summary(fit)
    assert glm.converged
    assert np.allclose(list(glm.coefficients.values()), fit.beta, atol=1e-7)
    assert glm.deviance == pytest.approx(fit.deviance, abs=1e-8)
    pat = all_patterns(5).astype(float)
    X = np.column_stack([np.ones(31), pat, pat[:, 0] * pat[:, 4]])
    y = WESTERN.counts.astype(float)

    def nll(b: np.ndarray) -> float:
        eta = X @ b
        return float(np.sum(np.exp(eta) - y * eta))

    def grad(b: np.ndarray) -> np.ndarray:
        return X.T @ (np.exp(X @ b) - y)

    res = minimize(nll, np.zeros(7), jac=grad, method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
    assert WESTERN.observed + math.exp(res.x[0]) == pytest.approx(fit.estimate, rel=1e-5)


def test_never_overlapping_pairs_are_boundary_terms() -> None:
    # A:C and B:C never overlap in Artificial_3; A:C in the model is fixed at -inf.
    result = estimate(ARTIFICIAL_3, method="model", model="A:C + B:C", ci="profile")
    assert result.terms["A:C"] == -math.inf
    assert result.terms["B:C"] == -math.inf
    assert set(result.diagnostics["empty_overlaps"]) == {"A:C", "B:C"}
    assert set(result.diagnostics["never_overlapping_pairs"]) == {"A:C", "B:C"}
    assert any("never overlap" in w for w in result.diagnostics["warnings"])
    out = result.to_dict()
    assert out["terms"]["A:C"] is None  # JSON has no -inf
    json.dumps(out)
    # Boundary terms count as parameters (SparseMSE modelfit adds 2 per empty overlap to the AIC).
    fit = fit_model(ARTIFICIAL_3, parse_model("A:C+B:C", ARTIFICIAL_3.lists))
    assert fit.design.n_params == 6
    assert fit.design.X.shape == (4, 4)  # patterns AC, BC, ABC dropped; 4 estimated parameters


def test_empty_list_is_refused_with_reason() -> None:
    table = PatternTable(("A", "B", "C"), np.array([5, 3, 2, 0, 0, 0, 0]))
    with pytest.raises(ModelError, match="list 'C' has no cases"):
        estimate(table, method="main")


def test_interval_methods_bracket_the_estimate() -> None:
    fit = fit_model(KOREA, parse_model("b:c", KOREA.lists))
    for interval in (profile_interval(fit), wald_interval(fit)):
        assert KOREA.observed <= interval.low < fit.estimate < interval.high
    narrow = profile_interval(fit, alpha=0.2)
    wide = profile_interval(fit, alpha=0.01)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_bootstrap_is_seeded_and_worker_independent() -> None:
    fit = fit_model(KOREA, ())
    a = bootstrap_interval(fit, EstimateSettings(bootstrap=60, seed=7), progress=False)
    b = bootstrap_interval(fit, EstimateSettings(bootstrap=60, seed=7), progress=False, workers=2)
    c = bootstrap_interval(fit, EstimateSettings(bootstrap=60, seed=8), progress=False)
    assert (a.low, a.high) == (b.low, b.high)
    assert (a.low, a.high) != (c.low, c.high)
    assert a.method == "bootstrap" and a.detail["replicates"] == 60 and a.detail["reselect"]
    assert a.low < a.high


def test_bootstrap_progress_bar_can_run() -> None:
    fit = fit_model(KOREA, ())
    seen: list[int] = []
    main = EstimateSettings(method="main", bootstrap=30, seed=1)
    bootstrap_interval(fit, main, progress=True, on_advance=seen.append)
    assert sum(seen) == 30


def test_result_dict_has_the_promised_keys() -> None:
    out = estimate(KOREA, method="bic", ci="wald").to_dict()
    for key in (
        "estimate",
        "ci_low",
        "ci_high",
        "ci_method",
        "method",
        "model",
        "terms",
        "observed",
        "lists",
    ):
        assert key in out
    for key in ("deviance", "df", "aic", "bic", "warnings"):
        assert key in out["diagnostics"]
    assert out["method"] == "bic" and out["ci_method"] == "wald" and out["observed"] == 123
    assert out["settings"]["seed"] == 1234
    assert out["diagnostics"]["ranking"][0]["model"] == out["model"]


def test_bad_arguments_are_user_errors() -> None:
    with pytest.raises(CtdataError, match="unknown method"):
        estimate(KOREA, method="magic")
    with pytest.raises(CtdataError, match="unknown interval"):
        estimate(KOREA, ci="guess")
    with pytest.raises(CtdataError, match="needs a model"):
        estimate(KOREA, method="model")
    with pytest.raises(CtdataError, match="between 0 and 1"):
        estimate(KOREA, pthresh=2)


def test_pthresh_extremes_follow_sparsemse() -> None:
    # pthresh = 0 is the main-effects model; a larger threshold can only add terms.
    assert estimate(WESTERN, pthresh=0, ci="none").model == "main effects"
    loose = estimate(WESTERN, pthresh=0.5, ci="none")
    assert "A:E" in loose.model


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=7, max_size=7), st.sampled_from(["stepwise", "main", "bic"]))
def test_estimate_is_at_least_observed_and_interval_contains_it(counts: list[int], method: str) -> None:
    table = PatternTable(("A", "B", "C"), np.array(counts))
    result = estimate(table, method=method, ci="profile")
    assert result.estimate >= result.observed == sum(counts)
    assert result.ci_low <= result.estimate
    assert result.ci_high is None or result.estimate <= result.ci_high
    assert result.ci_low >= result.observed


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=15, max_size=15), st.integers(1, 5))
def test_scaling_all_counts_scales_main_effects_estimate(counts: list[int], k: int) -> None:
    # Under main effects the unseen estimate is linear in the counts (a general log-linear rule).
    counts = [c + 1 for c in counts]
    table = PatternTable(("A", "B", "C", "D"), np.array(counts))
    scaled = table.with_counts(table.counts * k)
    one = estimate(table, method="main", ci="none").estimate
    assert estimate(scaled, method="main", ci="none").estimate == pytest.approx(k * one, rel=1e-6)


def test_estimate_command_json_and_table(tmp_path: Path) -> None:
    path = tmp_path / "korea.csv"
    KOREA.to_csv(path)
    buf = io.StringIO()
    estimate_command(
        path, "stepwise", None, "profile", 100, 1, 0.05, True, console=Console(file=buf, width=200)
    )
    data = json.loads(buf.getvalue())
    assert data["estimate"] == pytest.approx(268.7778, abs=1e-4)
    assert data["ci_low"] < data["estimate"] < data["ci_high"]
    assert data["model"] == "main effects + b:c"
    buf = io.StringIO()
    estimate_command(
        path, "model", "b*c+c*d", "wald", 100, 1, 0.05, False, console=Console(file=buf, width=200)
    )
    text = buf.getvalue()
    assert "157" in text and "wald" in text and "b:c" in text
    with pytest.raises(CtdataError, match="give a capture-pattern CSV"):
        estimate_command(None, "main", None, "profile", 10, 1, 0.05, True)
    buf = io.StringIO()
    estimate_command(
        None, "main", None, "none", 10, 1, 0.05, True, table=KOREA, console=Console(file=buf, width=200)
    )
    assert json.loads(buf.getvalue())["ci_method"] == "none"


def test_chart_and_caveats() -> None:
    results = estimate_across_methods(KOREA)
    assert [r.method for r in results] == ["main", "stepwise", "aic", "bic"]
    frame = estimates_frame(results)
    assert (frame["ci_low"] <= frame["estimate"]).all()
    spec = methods_chart(results).to_dict()
    assert "layer" in spec and len(spec["layer"]) == 3
    titles = {title for title, _ in CAVEATS}
    assert {"Closed population", "Lists are not equal", "Linkage errors"} <= titles
    assert "same person" in CAVEATS_TEXT

"""The threshold and the review band come from the scored pairs of the run, not from a constant."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctdata.errors import ConfigError
from ctdata.linkage import blocking, calibration
from ctdata.linkage.settings import LinkageSettings

_probs = st.lists(st.floats(min_value=1e-6, max_value=1.0, allow_nan=False), min_size=1, max_size=60)


@given(p=_probs)
def test_chosen_threshold_has_the_highest_expected_f1_of_any_cut(p):
    t = calibration.expected_f1_threshold(p)
    assert t in p
    best = calibration.expected_f1(p, t)
    for cut in set(p):
        assert calibration.expected_f1(p, cut) <= best + 1e-12


def test_threshold_follows_the_data():
    # mostly certain matches and clear non-matches: the cut sits between them
    sure = [0.99] * 50 + [0.01] * 500
    assert calibration.expected_f1_threshold(sure) == 0.99
    # many middling pairs: accepting those above about half the expected F1 pays
    middling = list(np.linspace(0.05, 0.95, 19))
    t = calibration.expected_f1_threshold(middling)
    f1 = calibration.expected_f1(middling, t)
    assert math.isclose(t, f1 / 2, abs_tol=0.05)


def test_no_pairs_give_even_odds():
    assert calibration.expected_f1_threshold([]) == calibration.EVEN_ODDS
    assert calibration.expected_f1_threshold([0.0, 0.0]) == calibration.EVEN_ODDS


@given(t=st.floats(min_value=1e-4, max_value=1 - 1e-4))
def test_review_band_is_a_bayes_factor_either_side_of_the_threshold(t):
    lo, hi = calibration.review_band(t)
    assert lo < t < hi
    odds = t / (1 - t)
    assert math.isclose(lo / (1 - lo), odds / calibration.REVIEW_FACTOR, rel_tol=1e-9)
    assert math.isclose(hi / (1 - hi), odds * calibration.REVIEW_FACTOR, rel_tol=1e-9)


def test_review_band_at_even_odds_is_the_usual_one():
    lo, hi = calibration.review_band(0.5)
    assert math.isclose(lo, 0.2) and math.isclose(hi, 0.8)


def test_settings_from_the_data_and_a_fixed_value_wins():
    """The review band defaults to the data's (it was a constant (0.2, 0.8) whatever the threshold)."""
    assert LinkageSettings().uncertain_band is None
    s = LinkageSettings(threshold=None)
    p = [0.99] * 10 + [0.3] * 5 + [0.03] * 100
    assert calibration.threshold_for(s, p) == calibration.expected_f1_threshold(p)
    fixed = LinkageSettings(threshold=0.7, uncertain_band=(0.1, 0.9))
    assert calibration.threshold_for(fixed, p) == 0.7
    assert calibration.band_for(fixed, 0.7) == (0.1, 0.9)
    assert calibration.band_for(s, 0.5) == calibration.review_band(0.5)
    assert LinkageSettings.from_dict(s.to_dict()) == s
    with pytest.raises(ConfigError):
        LinkageSettings(threshold=0.0)


# -- blocking that adapts to the data ----------------------------------------------------------------


def _table(n: int, **cols: list) -> pd.DataFrame:
    return pd.DataFrame({"record_key": [str(i) for i in range(n)], **cols})


def test_net_pairs_counts_pairs_within_blocks_and_skips_missing():
    f = _table(6, dob_full=["1990-01-01"] * 3 + ["1991-02-02"] * 2 + [None])
    assert blocking.net_pairs(f, ["dob_full"]) == 3 + 1


def test_nets_stand_in_where_citizenship_is_absent_and_within_budget():
    n = 100
    # every record shares one birth date (its pairs explode), names are distinct in pairs
    f = _table(
        n,
        name_var=[f"n{i // 2}" for i in range(n)],
        tok_a=[f"t{i // 2}" for i in range(n)],
        dob_full=["1990-01-01"] * n,
    )
    nets = blocking.affordable_nets(f)
    assert "l.name_var = r.name_var" in nets and "l.tok_a = r.tok_a" in nets
    assert not any("dob_full" in r for r in nets)  # n(n-1)/2 pairs: over budget
    assert blocking.affordable_nets(f.assign(citizenship="UA")) == []
    s = LinkageSettings()
    cols = [c for c in f.columns if c != "record_key"]
    assert set(nets) <= set(blocking.prediction_rules(cols, s, f))
    assert blocking.prediction_rules(cols, s) == blocking.default_blocking_rules(cols)
    own = LinkageSettings(blocking_rules=("l.tok_a = r.tok_a",))
    assert blocking.prediction_rules(cols, own, f) == ["l.tok_a = r.tok_a"]


def test_nets_total_stays_within_budget():
    n = 40
    f = _table(n, name_var=["a"] * 10 + [f"x{i}" for i in range(30)], tok_a=["b"] * 8 + [f"y{i}" for i in range(32)])
    # name_var: 45 pairs, tok_a: 28 pairs; a budget of 2 pairs per record (80) takes both, of 1 (40) the cheaper
    assert blocking.affordable_nets(f, budget=2) == ["l.tok_a = r.tok_a", "l.name_var = r.name_var"]
    assert blocking.affordable_nets(f, budget=1) == ["l.tok_a = r.tok_a"]


# -- reviewed pairs as labels -------------------------------------------------------------------------


def test_the_fit_recovers_a_known_miscalibration():
    """Weights whose true log-odds are 0.5 * w + 2 (in nats): the fit finds that map."""
    rng = np.random.default_rng(3)
    w = rng.uniform(-12, 12, 20_000)  # bits
    truth = 1 / (1 + np.exp(-(0.5 * w * math.log(2) + 2.0)))
    cal = calibration.fit_calibration(w, rng.random(len(w)) < truth)
    assert abs(cal.slope - 0.5) < 0.05 and abs(cal.intercept - 2.0) < 0.15
    assert cal.labels == 20_000
    assert np.allclose(cal.probabilities(w), truth, atol=0.03)


@given(
    st.lists(st.floats(min_value=-15, max_value=15, allow_nan=False), min_size=1, max_size=40),
    st.booleans(),
)
def test_decisions_all_one_way_move_the_probabilities_that_way_and_no_further_than_the_prior_lets(w, match):
    """A logistic fit alone would run to infinity on decisions all one way; the prior keeps it finite."""
    cal = calibration.fit_calibration(w, [match] * len(w))
    assert math.isfinite(cal.slope) and math.isfinite(cal.intercept)
    model = 1 / (1 + np.exp2(-np.asarray(w)))
    moved = cal.probabilities(np.asarray(w))
    # the fit (the prior's mode is the model's own map) explains the decisions at least as well as the
    # model did: their log-likelihood does not fall. (The mean probability need not rise: a flatter
    # slope lifts the low ones and lowers the high ones, e.g. weights 4, 4, 5, 6, -13 all "match".)
    def loglik(p: np.ndarray) -> float:
        p = np.clip(p, 1e-300, 1 - 1e-16)
        return float(np.sum(np.log(p) if match else np.log1p(-p)))

    assert loglik(moved) >= loglik(model) - 1e-6 * (1 + abs(loglik(model)))


def _scored(n: int) -> pd.DataFrame:
    w = np.linspace(-6, 6, n)
    return pd.DataFrame(
        {
            "record_key_l": [f"a{i}" for i in range(n)],
            "record_key_r": [f"b{i}" for i in range(n)],
            "match_weight": w,
            "match_probability": 1 / (1 + np.exp2(-w)),
        }
    )


def test_reviews_calibrate_only_once_there_are_enough_of_them():
    pairs = _scored(80)
    labels = pd.DataFrame(
        {
            # written the other way round, as a reviewer's page may: the keys are ordered on reading
            "record_key_l": pairs["record_key_r"],
            "record_key_r": pairs["record_key_l"],
            "decision": ["match" if w > 3 else "not_match" for w in pairs["match_weight"]],
        }
    )
    assert len(calibration.reviewed_outcomes(pairs, labels)) == 80
    assert calibration.from_reviews(pairs, labels.head(49), 50) is None
    assert calibration.from_reviews(pairs, labels, 0) is None  # 0: calibration off
    cal = calibration.from_reviews(pairs, labels, 50)
    assert cal is not None and cal.labels == 80 and cal.matches == int((pairs["match_weight"] > 3).sum())
    out = calibration.calibrate_pairs(pairs, cal)
    # the reviewers said pairs under 3 bits are not one person: calibrated, they are less likely than the model said
    low = pairs["match_weight"].between(0, 2.5)
    assert (out.loc[low, "match_probability"] < pairs.loc[low, "match_probability"]).all()
    unsure = labels.assign(decision="unsure")
    assert calibration.from_reviews(pairs, unsure, 1) is None  # 'unsure' is no outcome


def test_a_calibrated_run_chooses_its_threshold_from_the_calibrated_probabilities():
    s = LinkageSettings()  # threshold fixed at its default
    p = [0.99] * 10 + [0.3] * 5 + [0.03] * 100
    assert calibration.threshold_for(s, p) == s.threshold
    assert calibration.threshold_for(s, p, calibrated=True) == calibration.expected_f1_threshold(p)
    with pytest.raises(ConfigError):
        LinkageSettings(review_calibration_min=-1)

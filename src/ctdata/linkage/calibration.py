"""The match threshold and the review band, from the scored pairs of the run at hand.

A fixed threshold is a fact about the data it was chosen on: how many records a
person has, how often fields are missing, how rare names are. The model's own
match probabilities already carry that (the prior is re-estimated from the
scored pairs, m from EM on this data), so the threshold is chosen from them:

- threshold: the cut that maximises the F1 the model itself expects. Accepting
  the pairs at or above a cut gives, in expectation, sum(p) true links among
  them, and the data hold sum(p) over all scored pairs true links in all, so
  expected F1 = 2 * sum(p >= cut) / (count(p >= cut) + sum(p)). No constant of
  any data set enters; where the probabilities are calibrated this is the
  cut that maximises F1, and it lies at about half that F1 (a pair is worth
  accepting when its probability exceeds F1 / 2).
- review band: pairs whose posterior odds lie within a Bayes factor of
  REVIEW_FACTOR of the threshold's odds, either side: the decisions that
  one more piece of 'substantial' evidence (Jeffreys' scale) would flip.
  With a threshold of 0.5 that is [0.2, 0.8).

Reviewed pairs are labels (forced and forbidden links). Where the settings ask for it
(settings.review_calibration_min, off by default: measured, it helped one data set of five), once
reviewers have decided enough pairs the model's match weights are mapped onto
their decisions by a logistic fit (`fit_calibration`: logit p = slope * weight +
intercept, Platt scaling), and the threshold is the expected-F1 cut of the
calibrated probabilities. The fit has a weak prior centred on the model's own
probabilities (slope 1, intercept 0, one standard deviation of 1 on each, in
natural log-odds): with a handful of decisions, or decisions all one way
(which alone would drive a logistic fit to infinity), the probabilities move
only as far as the decisions justify. Reviewed pairs come from the review band,
chosen by their weight; that is selection on the predictor, which leaves the
fitted P(match | weight) unbiased.

Pure functions of the probabilities: the same pairs give the same threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ctdata.linkage.review import normalise_labels
from ctdata.linkage.settings import LinkageSettings

__all__ = [
    "EVEN_ODDS",
    "PRIOR_SD",
    "REVIEW_FACTOR",
    "Calibration",
    "band_for",
    "calibrate_pairs",
    "expected_f1",
    "expected_f1_threshold",
    "fit_calibration",
    "from_reviews",
    "review_band",
    "reviewed_outcomes",
    "threshold_for",
]

#: Bayes factor either side of the threshold's odds that bounds the review band ('substantial' evidence).
REVIEW_FACTOR = 4.0

#: Threshold when there is nothing to choose from (no scored pairs): even odds.
EVEN_ODDS = 0.5


def expected_f1(probabilities: Iterable[float], threshold: float) -> float:
    """F1 the model expects of accepting the pairs at or above `threshold` (see the module docstring)."""
    p = np.asarray(list(probabilities), dtype="float64")
    total = float(p.sum())
    accepted = p[p >= threshold]
    if total <= 0 or len(accepted) == 0:
        return 0.0
    return 2.0 * float(accepted.sum()) / (len(accepted) + total)


def expected_f1_threshold(probabilities: Iterable[float]) -> float:
    """The match probability at or above which accepting pairs maximises the model's expected F1.

    Ties and plateaus resolve to the highest such probability (the fewest links for the same
    expected F1). With no pair of positive probability, even odds.
    """
    p = np.sort(np.asarray(list(probabilities), dtype="float64"))[::-1]
    p = p[p > 0]
    if len(p) == 0:
        return EVEN_ODDS
    tp = np.cumsum(p)
    f1 = 2.0 * tp / (np.arange(1, len(p) + 1) + tp[-1])
    # the cut after position k accepts p[0..k]; only cuts between distinct values are real cuts
    last_of_value = np.r_[p[1:] != p[:-1], True]
    f1 = np.where(last_of_value, f1, -1.0)
    k = int(np.argmax(f1))
    return float(p[k])


def review_band(threshold: float, factor: float = REVIEW_FACTOR) -> tuple[float, float]:
    """[low, high): probabilities whose odds are within `factor` of the threshold's odds."""
    t = min(max(threshold, 1e-12), 1 - 1e-12)
    odds = t / (1 - t)
    lo, hi = odds / factor, odds * factor
    return (lo / (1 + lo), hi / (1 + hi))


def threshold_for(settings: LinkageSettings, probabilities: Iterable[float], calibrated: bool = False) -> float:
    """The settings' threshold if fixed, else the one the scored pairs' probabilities give.

    calibrated: the probabilities were calibrated on reviewed pairs; then they, not the fixed
    threshold (chosen before any review), decide.
    """
    if settings.threshold is not None and not calibrated:
        return settings.threshold
    return expected_f1_threshold(probabilities)


def band_for(settings: LinkageSettings, threshold: float) -> tuple[float, float]:
    """The settings' review band if fixed, else the one around `threshold`."""
    return settings.uncertain_band if settings.uncertain_band is not None else review_band(threshold)


#: Standard deviation (natural log-odds) of the prior on the calibration's slope and intercept.
PRIOR_SD = 1.0

_LN2 = float(np.log(2.0))


@dataclass(frozen=True)
class Calibration:
    """logit P(match) = slope * (match weight in nats) + intercept, fitted on `labels` reviewed pairs."""

    slope: float = 1.0
    intercept: float = 0.0
    labels: int = 0
    matches: int = 0

    def weights(self, match_weight: np.ndarray) -> np.ndarray:
        """Calibrated match weights (bits) for the model's weights (bits)."""
        w = np.asarray(match_weight, dtype="float64")
        return self.slope * w + self.intercept / _LN2

    def probabilities(self, match_weight: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp2(-self.weights(match_weight)))

    def as_dict(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def fit_calibration(match_weight: Iterable[float], outcomes: Iterable[bool], prior_sd: float = PRIOR_SD) -> Calibration:
    """Maximum a posteriori logistic fit of the outcomes on the weights (Newton's method).

    The prior (slope 1, intercept 0, sd `prior_sd` each) is the model itself; see the module docstring.
    """
    x = np.asarray(list(match_weight), dtype="float64") * _LN2
    y = np.asarray(list(outcomes), dtype="float64")
    if len(x) != len(y):
        raise ValueError("one outcome per weight")
    prior = np.array([1.0, 0.0])
    precision = 1.0 / prior_sd**2
    design = np.column_stack([x, np.ones_like(x)])

    def log_posterior(t: np.ndarray) -> float:
        z = design @ t
        return float((y * z - np.logaddexp(0.0, z)).sum() - 0.5 * precision * ((t - prior) ** 2).sum())

    theta = prior.copy()
    value = log_posterior(theta)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ theta, -500, 500)))
        grad = design.T @ (y - p) - precision * (theta - prior)
        hess = (design.T * (p * (1 - p))) @ design + precision * np.eye(2)
        step = np.linalg.solve(hess, grad)
        for _ in range(50):  # Newton's step, halved until the posterior does not fall (it can overshoot)
            new = log_posterior(theta + step)
            if new >= value - 1e-12:
                break
            step = step / 2
        theta, value = theta + step, new
        if np.abs(step).max() < 1e-9:
            break
    return Calibration(float(theta[0]), float(theta[1]), int(len(y)), int(y.sum()))


def reviewed_outcomes(pairs: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
    """The scored pairs reviewers decided (match or not match): match_weight and outcome (True: one person)."""
    lab = normalise_labels(labels)
    lab = lab[lab["decision"].isin(("match", "not_match"))]
    if not len(lab) or not len(pairs):
        return pd.DataFrame({"match_weight": pd.Series(dtype="float64"), "outcome": pd.Series(dtype=bool)})
    a = pairs["record_key_l"].astype(str).to_numpy()
    b = pairs["record_key_r"].astype(str).to_numpy()
    keyed = pd.DataFrame(
        {
            "record_key_l": np.where(a <= b, a, b),
            "record_key_r": np.where(a <= b, b, a),
            "match_weight": pairs["match_weight"].to_numpy(dtype="float64"),
        }
    )
    m = lab.merge(keyed, on=["record_key_l", "record_key_r"], how="inner")
    outcome = (m["decision"] == "match").to_numpy()
    return pd.DataFrame({"match_weight": m["match_weight"].to_numpy(), "outcome": outcome})


def from_reviews(pairs: pd.DataFrame, labels: pd.DataFrame | None, min_labels: int) -> Calibration | None:
    """The calibration the reviewed pairs among `pairs` give, or None with fewer than `min_labels` of them
    (or `min_labels` 0: calibration off)."""
    if min_labels <= 0:
        return None
    seen = reviewed_outcomes(pairs, labels)
    if len(seen) < min_labels:
        return None
    return fit_calibration(seen["match_weight"], seen["outcome"])


def calibrate_pairs(pairs: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """The pairs with calibrated match weights and probabilities."""
    out = pairs.copy()
    w = cal.weights(out["match_weight"].to_numpy(dtype="float64"))
    out["match_weight"] = w
    out["match_probability"] = 1.0 / (1.0 + np.exp2(-w))
    return out

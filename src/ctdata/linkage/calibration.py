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

Pure functions of the probabilities: the same pairs give the same threshold.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ctdata.linkage.settings import LinkageSettings

__all__ = [
    "EVEN_ODDS",
    "REVIEW_FACTOR",
    "band_for",
    "expected_f1",
    "expected_f1_threshold",
    "review_band",
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


def threshold_for(settings: LinkageSettings, probabilities: Iterable[float]) -> float:
    """The settings' threshold if fixed, else the one the scored pairs' probabilities give."""
    return settings.threshold if settings.threshold is not None else expected_f1_threshold(probabilities)


def band_for(settings: LinkageSettings, threshold: float) -> tuple[float, float]:
    """The settings' review band if fixed, else the one around `threshold`."""
    return settings.uncertain_band if settings.uncertain_band is not None else review_band(threshold)

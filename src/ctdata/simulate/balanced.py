"""Balanced draws: each unit keeps its probability, a group's count loses the multinomial noise.

The generator is calibrated so that its figures hold in expectation; drawn independently, a country
of a hundred persons in a year misses its published count by 10% one seed in three, and a regional
office's children share by 5 points. Systematic sampling (one uniform start, units in random order,
a unit drawn where an integer falls in its stretch of the running sum of probabilities) keeps every
unit's own probability but rounds each group's count to its expectation, up or down.
"""

from __future__ import annotations

import numpy as np


def balanced_counts(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """How many of n draws fall in each category of p: n p_k rounded down or up (systematic sampling).

    Each count has the multinomial's expectation n p_k, but not its noise: the counts of a data set
    follow the calibrated shares within one unit instead of within sqrt(n p_k).
    """
    cut = np.floor(rng.random() + n * np.concatenate([[0.0], np.cumsum(p) / np.sum(p)]))
    return np.diff(cut).astype(np.int64)


def balanced_bernoulli(rng: np.random.Generator, p: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Draw unit i with probability p_i, so that every stratum draws sum(p) of its units, rounded.

    Systematic sampling: the units in random order within strata, one uniform start, a unit drawn when
    an integer falls in its stretch of the running sum of p. Each unit keeps its own probability; only
    the count of a stratum (and of any run of strata) loses its binomial noise.
    """
    order = np.lexsort((rng.random(len(p)), strata))
    edges = np.floor(rng.random() + np.concatenate([[0.0], np.cumsum(np.asarray(p, dtype=float)[order])]))
    out = np.zeros(len(p), dtype=bool)
    out[order] = np.diff(edges) > 0
    return out


def balanced_choice(rng: np.random.Generator, p: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """One of len(p) categories per unit, with probabilities p, each stratum's counts balanced_counts."""
    strata = np.asarray(strata)
    out = np.zeros(len(strata), dtype=np.int64)
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        out[idx] = rng.permutation(np.repeat(np.arange(len(p)), balanced_counts(rng, len(idx), np.asarray(p))))
    return out

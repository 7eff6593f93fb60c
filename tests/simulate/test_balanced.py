"""Balanced draws keep each unit's probability and round each stratum's count to its expectation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdata.simulate.balanced import balanced_bernoulli, balanced_choice, balanced_counts


@given(st.integers(0, 5_000), st.lists(st.floats(0.001, 1.0), min_size=1, max_size=30), st.integers(0, 2**32 - 1))
@settings(max_examples=200, deadline=None)
def test_counts_are_the_expectation_rounded(n, weights, seed):
    p = np.array(weights) / np.sum(weights)
    counts = balanced_counts(np.random.default_rng(seed), n, p)
    assert counts.sum() == n
    assert np.all(np.abs(counts - n * p) < 1)


@given(st.integers(1, 400), st.integers(1, 6), st.integers(0, 2**32 - 1))
@settings(max_examples=100, deadline=None)
def test_each_stratum_draws_its_expected_count(n, k, seed):
    rng = np.random.default_rng(seed)
    p, strata = rng.random(n), rng.integers(0, k, size=n)
    drawn = balanced_bernoulli(rng, p, strata)
    for s in range(k):
        m = strata == s
        assert abs(drawn[m].sum() - p[m].sum()) < 1
    labels = balanced_choice(rng, np.array([0.5, 0.3, 0.2]), strata)
    for s in range(k):
        m = strata == s
        assert np.all(np.abs(np.bincount(labels[m], minlength=3) - m.sum() * np.array([0.5, 0.3, 0.2])) < 1)


def test_every_unit_keeps_its_own_probability():
    # 20,000 repetitions: each unit's frequency within 4 standard errors of its probability
    p = np.array([0.05, 0.5, 0.95, 0.3, 0.3, 0.7, 0.01, 0.99, 0.5, 0.2])
    strata = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    rng = np.random.default_rng(3)
    reps = 20_000
    hits = sum(balanced_bernoulli(rng, p, strata).astype(int) for _ in range(reps))
    assert np.all(np.abs(hits / reps - p) < 4 * np.sqrt(p * (1 - p) / reps) + 1e-3)

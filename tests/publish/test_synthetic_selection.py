"""Which noisy pairs enter the synthesiser's model (post-processing of DP counts)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdata.publish.synthetic import independence_excess, select_pairs

excesses = st.dictionaries(
    st.integers(0, 40), st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False), max_size=30
)
sizes = st.dictionaries(st.integers(0, 40), st.floats(0.0, 10.0, allow_nan=False), min_size=41, max_size=41)


@settings(max_examples=200, deadline=None)
@given(excesses, sizes, st.floats(0.0, 40.0, allow_nan=False))
def test_selected_pairs_carry_excess_fit_the_limit_and_come_strongest_first(excess, size, limit):
    def model_mb(idx):
        return sum(size[i] for i in idx)

    chosen = select_pairs(excess, model_mb, limit)
    assert len(set(chosen)) == len(chosen)
    assert all(excess[i] > 0 for i in chosen)
    assert model_mb(chosen) <= limit
    assert [excess[i] for i in chosen] == sorted((excess[i] for i in chosen), reverse=True)
    # greedy: a positive pair left out did not fit beside the ones chosen before it
    for i in excess:
        if excess[i] > 0 and i not in chosen:
            before = [j for j in chosen if (-excess[j], j) < (-excess[i], i)]
            assert model_mb(before + [i]) > limit


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(1.0, 100.0), min_size=2, max_size=6),
    st.lists(st.floats(1.0, 100.0), min_size=2, max_size=6),
    st.floats(0.5, 50.0),
)
def test_a_product_table_has_no_excess_and_its_noise_is_discounted(a, b, std):
    a, b = np.asarray(a), np.asarray(b)
    total = 1000.0
    product = np.outer(a / a.sum(), b / b.sum()).ravel() * total
    assert independence_excess(product, a, b, total, 0.0) < 1e-6
    assert independence_excess(product, a, b, total, std) < 0


def test_a_dependent_pair_has_excess_and_noise_alone_has_none_on_average():
    rng = np.random.default_rng(0)
    n, std = 10_000, 20.0
    one = np.full(4, n / 4)
    diagonal = np.diag([n / 4] * 4).ravel() + rng.normal(0, std, 16)
    assert independence_excess(diagonal, one, one, n, std) > 0
    # an independent pair measured with noise: the discount is the noise's expected L1 norm
    draws = [independence_excess(np.full(16, n / 16) + rng.normal(0, std, 16), one, one, n, std) for _ in range(4000)]
    discount = np.sqrt(2 / np.pi) * std * 16
    assert abs(np.mean(draws)) < 0.02 * discount

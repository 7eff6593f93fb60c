import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdata.errors import CtdataError
from ctdata.publish.suppression import TOTAL, attack_bounds, crosstab, suppress, suppress_array
from tests.publish.suppression_reference import reference_suppress


def test_single_small_cell_gets_complements():
    t = pd.DataFrame([[50, 3, 40], [60, 70, 80], [20, 30, 90]], index=list("abc"), columns=list("xyz"))
    s = suppress(t, k=5)
    assert s.primary.loc["a", "y"]
    assert s.suppressed.to_numpy().sum() >= 4  # a cycle needs at least four cells
    assert s.values.loc[TOTAL, TOTAL] == t.to_numpy().sum()
    for lo, hi in attack_bounds(s.values).values():
        assert hi - lo >= 1


def test_margins_are_consistent_when_nothing_is_small():
    t = pd.DataFrame([[50, 30], [60, 70]])
    s = suppress(t, k=11)
    assert s.report()["primary"] == 0 and s.report()["secondary"] == 0
    assert s.values.iloc[-1, -1] == 210


def test_one_row_table_hides_matching_column_totals():
    t = pd.DataFrame([[3, 50, 40]], index=["only"])
    s = suppress(t, k=5)
    for lo, hi in attack_bounds(s.values).values():
        assert hi - lo >= 1


def test_crosstab_from_records(rows):
    s = crosstab(rows, "sex", "citizenship", k=11)
    assert s.values.shape[0] == rows["sex"].astype("string").fillna("Unknown").nunique() + 1
    bad = s.values.to_numpy(dtype=float, na_value=np.nan)
    assert not ((bad > 0) & (bad < 11)).any()


def test_rejects_bad_input():
    with pytest.raises(CtdataError):
        suppress(pd.DataFrame([[1, -2]]), k=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5), st.integers(1, 5), st.integers(2, 11), st.data())
def test_totals_cannot_recover_a_suppressed_cell(n_rows, n_cols, k, data):
    cells = data.draw(st.lists(st.integers(0, 40), min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    t = pd.DataFrame(np.array(cells).reshape(n_rows, n_cols))
    try:
        s = suppress(t, k=k)
    except CtdataError:
        return  # too small to protect: refused, nothing published
    published = s.values.to_numpy(dtype=float, na_value=np.nan)
    assert not ((published > 0) & (published < k)).any()
    # What must stay hidden is each small count. A complementary cell may be pinned down (a zero
    # under a zero margin, for one): it is hidden to protect the small ones, not for itself.
    for (row, col), (lo, hi) in attack_bounds(s.values).items():
        if s.primary.loc[row, col]:
            assert hi - lo >= 1, f"small cell {(row, col)} is determined by the published table"


def _same_as_reference(t: pd.DataFrame, k: int, suppress_zeros: bool) -> None:
    try:
        want = reference_suppress(t, k=k, suppress_zeros=suppress_zeros)
    except CtdataError:
        with pytest.raises(CtdataError):
            suppress_array(t.to_numpy(), k=k, suppress_zeros=suppress_zeros)
        with pytest.raises(CtdataError):
            suppress(t, k=k, suppress_zeros=suppress_zeros)
        return
    got = suppress_array(t.to_numpy(), k=k, suppress_zeros=suppress_zeros)
    for w, g, what in zip(want, got, ("values", "primary", "secondary"), strict=True):
        assert np.array_equal(w, g), f"{what} differ from the reference"
    s = suppress(t, k=k, suppress_zeros=suppress_zeros)
    assert np.array_equal(s.primary.to_numpy(), want[1]) and np.array_equal(s.secondary.to_numpy(), want[2])
    hidden = want[1] | want[2]
    shown = s.values.to_numpy(dtype=float, na_value=np.nan)
    assert np.array_equal(np.isnan(shown), hidden)
    assert np.array_equal(shown[~hidden], want[0][~hidden])
    assert list(s.values.index) == [*t.index, TOTAL] and list(s.values.columns) == [*t.columns, TOTAL]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 9), st.integers(1, 7), st.integers(1, 25), st.booleans(), st.data())
def test_fast_path_hides_exactly_the_cells_of_the_reference(n_rows, n_cols, k, suppress_zeros, data):
    """The numpy/integer-graph suppression makes the same choices as the networkx formulation it replaced."""
    small = st.one_of(st.integers(0, 3), st.integers(0, 2 * k), st.integers(0, 400))
    cells = data.draw(st.lists(small, min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    t = pd.DataFrame(np.array(cells, dtype=np.int64).reshape(n_rows, n_cols))
    _same_as_reference(t, k, suppress_zeros)


def test_fast_path_matches_the_reference_on_portal_shaped_tables():
    """Year x sex and country tables with many small cells, as narrow portal filters make them."""
    rng = np.random.default_rng(7)
    for _ in range(150):
        n_rows, n_cols = int(rng.integers(2, 20)), int(rng.integers(1, 6))
        t = pd.DataFrame(rng.negative_binomial(1, 0.08, size=(n_rows, n_cols)))
        _same_as_reference(t, int(rng.choice([5, 11, 20])), False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 6), st.integers(1, 5), st.integers(2, 15), st.data())
def test_cells_hidden_on_request_are_protected_like_small_ones(n_rows, n_cols, k, data):
    """``hide`` (a total withheld elsewhere) hides those non-zero cells and leaves none of them determined."""
    cells = data.draw(st.lists(st.integers(0, 60), min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    counts = np.array(cells, dtype=np.int64).reshape(n_rows, n_cols)
    hide = np.array(
        data.draw(st.lists(st.booleans(), min_size=(n_rows + 1) * (n_cols + 1), max_size=(n_rows + 1) * (n_cols + 1)))
    )
    hide = hide.reshape(n_rows + 1, n_cols + 1)
    try:
        values, primary, secondary = suppress_array(counts, k=k, hide=hide)
    except CtdataError:
        return  # too small to protect: the caller hides everything
    hidden = primary | secondary
    assert not (primary & secondary).any()
    assert (hidden >= (hide & (values > 0))).all()
    shown = pd.DataFrame(np.where(hidden, np.nan, values)).astype("Int64")
    for (row, col), (lo, hi) in attack_bounds(shown).items():
        if values[row, col] > 0 and (primary[row, col] or hide[row, col]):
            assert hi - lo >= 1, f"cell {(row, col)} is determined by the published table"

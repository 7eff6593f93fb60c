"""The model fit stops when it explains the noisy measurements as well as the true counts would."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st


def _problem(counts: np.ndarray, std: float, seed: int):
    import jax.numpy as jnp
    from mbi import CliqueVector, Domain, LinearMeasurement

    domain = Domain(["a", "b"], list(counts.shape))
    rng = np.random.default_rng(seed)
    tables = {("a",): counts.sum(1), ("b",): counts.sum(0), ("a", "b"): counts.ravel()}
    measurements = [
        LinearMeasurement(np.asarray(t, float) + rng.normal(0, std, np.size(t)), cl, stddev=std)
        for cl, t in tables.items()
    ]
    start = CliqueVector.zeros(domain, [("a",), ("b",)])
    return domain, measurements, start, jnp


def _weighted_loss(model, measurements) -> float:
    return 0.5 * sum(
        float(np.sum(((np.asarray(model.project(m.clique).datavector()) - m.noisy_measurement) / m.stddev) ** 2))
        for m in measurements
    )


@settings(max_examples=8, deadline=None)
@given(
    st.lists(st.integers(0, 400), min_size=4, max_size=4),
    st.floats(1.0, 30.0),
    st.integers(0, 1000),
)
def test_the_fit_stops_only_at_the_noise_level_or_at_the_step_limit(cells, std, seed):
    from ctdata.publish.synthetic import fit_until_noise_level

    counts = np.asarray(cells, float).reshape(2, 2) + 1
    domain, measurements, start, _ = _problem(counts, std, seed)
    model, steps = fit_until_noise_level(domain, measurements, start, 300)
    assert 1 <= steps <= 300
    cells_measured = sum(np.size(m.noisy_measurement) for m in measurements)
    if steps < 300:
        assert _weighted_loss(model, measurements) <= 0.5 * cells_measured * (1 + 1e-3)


def test_a_dependent_table_measured_with_noise_stops_early_and_keeps_the_dependence():
    from ctdata.publish.synthetic import fit_until_noise_level

    counts = np.array([[4000.0, 500.0], [500.0, 5000.0]])
    domain, measurements, start, _ = _problem(counts, 10.0, 0)
    model, steps = fit_until_noise_level(domain, measurements, start, 5000)
    assert steps < 5000
    fitted = np.asarray(model.project(("a", "b")).datavector()).reshape(2, 2)
    # far from the independent table (about 2,000 per cell off the diagonal), close to the truth
    assert np.abs(fitted - counts).max() < 0.05 * counts.sum()


def test_the_fit_takes_at_least_min_iters_steps_before_the_rule_may_stop_it():
    """The summed residual can reach its noise level while small tables that carry the structure are
    still under-fitted (a victim-perpetrator release: stopped at about 240 steps, the within-region share
    0.91 against 0.97); so the rule may end the fit only after ``min_iters`` steps, or at the limit."""
    from ctdata.publish.synthetic import fit_until_noise_level

    counts = np.array([[4000.0, 500.0], [500.0, 5000.0]])
    domain, measurements, start, _ = _problem(counts, 10.0, 0)
    _, free = fit_until_noise_level(domain, measurements, start, 5000)
    _, floored = fit_until_noise_level(domain, measurements, start, 5000, min_iters=free + 50)
    assert floored == free + 50
    _, capped = fit_until_noise_level(domain, measurements, start, free + 10, min_iters=free + 50)
    assert capped == free + 10


def test_momentum_reaches_the_noise_level_in_a_fraction_of_the_steps():
    """A skewed table measured with little noise: plain mirror descent (the fit before momentum) took
    913 steps to explain it as well as the truth would; with Nesterov momentum 127. On CTDC 2021 the
    plain fit stopped at its 2,000-step limit short of the noise level."""
    from ctdata.publish.synthetic import fit_until_noise_level

    counts = np.array([[9000.0, 10.0, 300.0], [20.0, 50.0, 4000.0]])
    domain, measurements, start, _ = _problem(counts, 1.0, 0)
    model, steps = fit_until_noise_level(domain, measurements, start, 20000)
    assert steps <= 300
    assert _weighted_loss(model, measurements) <= 0.5 * sum(np.size(m.noisy_measurement) for m in measurements) * (
        1 + 1e-3
    )


@settings(max_examples=6, deadline=None)
@given(st.lists(st.integers(0, 3000), min_size=6, max_size=6), st.integers(1, 40), st.integers(0, 1000))
def test_a_longer_fit_never_ends_with_a_larger_residual(cells, steps, seed):
    """Momentum may overshoot; a step that raises the loss is refused and the momentum restarts, so
    the residual after more steps is never larger (the shorter fit is a prefix of the longer one)."""
    from ctdata.publish.synthetic import fit_until_noise_level

    counts = np.asarray(cells, float).reshape(2, 3) + 1
    domain, measurements, start, _ = _problem(counts, 2.0, seed)
    short, _ = fit_until_noise_level(domain, measurements, start, steps, min_iters=steps)
    long, _ = fit_until_noise_level(domain, measurements, start, steps + 25, min_iters=steps + 25)
    assert _weighted_loss(long, measurements) <= _weighted_loss(short, measurements) * (1 + 1e-6) + 1e-6

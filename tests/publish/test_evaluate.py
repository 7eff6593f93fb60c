import pandas as pd
import pytest

from ctdata.publish.evaluate import combination_shares, evaluate, tvd


def test_tvd_sanity():
    a = pd.DataFrame({"x": ["a", "a", "b", "b"], "y": ["u", "v", "u", "v"]})
    b = pd.DataFrame({"x": ["c", "c"], "y": ["u", "u"]})
    assert tvd(a, a, ["x"]) == 0.0
    assert tvd(a, b, ["x"]) == pytest.approx(1.0)
    c = pd.DataFrame({"x": ["a", "a", "a", "b"], "y": ["u", "v", "u", "v"]})
    assert tvd(a, c, ["x"]) == pytest.approx(0.25)
    assert 0 <= tvd(a, c, ["x", "y"]) <= 1


def test_evaluate_identical_is_perfect(rows):
    cols = ["sex", "age_band", "citizenship", "exploitation_types"]
    ev = evaluate(rows[cols], rows[cols].sample(frac=1, random_state=1))
    assert ev["tvd"] == {"1": 0.0, "2": 0.0, "3": 0.0}
    assert ev["combinations"]["2"]["fabricated_share"] == 0.0
    assert ev["indicators"]["sex"]["max_abs_error_pp"] == pytest.approx(0.0)


def test_suppressed_and_fabricated_shares():
    real = pd.DataFrame({"x": ["a", "b", "c", "c"]})
    synth = pd.DataFrame({"x": ["a", "d", "d", "d"]})
    s = combination_shares(real, synth, ["x"])
    assert s["suppressed_share"] == pytest.approx(2 / 3)
    assert s["fabricated_share"] == pytest.approx(1 / 2)
    assert s["fabricated_records"] == pytest.approx(3 / 4)
    ev = evaluate(real, synth, ways=(1,))
    assert ev["combinations"]["1"]["fabricated_share"] == pytest.approx(1 / 2)

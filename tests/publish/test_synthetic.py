import pandas as pd
import pytest

from ctdata.errors import CtdataError
from ctdata.publish.evaluate import evaluate
from ctdata.publish.synthetic import SyntheticSettings, public_domain, rho_for, synthesise

COLS = ["sex", "age_band", "child", "citizenship"]


@pytest.fixture(scope="module")
def result():
    from .conftest import make_rows

    return synthesise(make_rows(4000, seed=3), SyntheticSettings(epsilon=1.0, columns=COLS, iters=100))


def test_schema_and_categories(result):
    out = result.data
    assert list(out.columns) == COLS
    assert len(out) > 0
    assert abs(len(out) - result.report["records_used"]) < 0.2 * result.report["records_used"]
    for c in COLS:
        allowed = set(result.report["categories"][c])
        seen = {str(v).lower() if c == "child" else v for v in out[c].dropna().unique()}
        assert seen <= {str(a) for a in allowed}, c
    assert set(out["sex"].dropna()) <= set(public_domain("sex", SyntheticSettings())) | {"*"}


def test_budget_accounting(result):
    p = result.privacy
    assert p["epsilon"] <= 1.0 + 1e-9
    assert p["delta"] == pytest.approx(1e-7)
    assert p["rho"] == pytest.approx(sum(p["spent"].values()), rel=1e-6)
    assert p["rho"] == pytest.approx(rho_for(1.0, 1e-7), rel=1e-6)
    assert rho_for(0.5, 1e-7) < p["rho"]


def test_utility_is_reasonable_even_small(result):
    ev = evaluate(result.real_projected, result.data, ways=(1, 2))
    assert ev["tvd"]["1"] < 0.1
    assert ev["tvd"]["2"] < 0.2


def test_settings_round_trip():
    s = SyntheticSettings(epsilon=0.5, columns=COLS, year_range=(2010, 2020))
    assert SyntheticSettings.from_json(s.to_json()) == s


def test_refusals(rows):
    with pytest.raises(CtdataError):
        synthesise(rows.assign(given_name="x"), SyntheticSettings(columns=["sex", "given_name"]))
    with pytest.raises(CtdataError):
        synthesise(rows, SyntheticSettings(columns=["sex", "no_such_column"]))
    with pytest.raises(CtdataError):
        SyntheticSettings(epsilon=0).validate()
    df = pd.DataFrame({"sex": ["female"], "age_band": ["18-20"], "consent_research": [False]})
    with pytest.raises(CtdataError):
        synthesise(df, SyntheticSettings(columns=["sex", "age_band"]))

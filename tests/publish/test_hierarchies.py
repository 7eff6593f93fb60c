import pandas as pd

from ctdata.publish import hierarchies as h


def test_age_levels():
    assert [h.AGE.label("9-17", lv) for lv in range(4)] == ["9-17", "0-17", "minor", "*"]
    assert [h.AGE.label("27-29", lv) for lv in range(4)] == ["27-29", "24-29", "adult", "*"]
    assert h.AGE.label(None, 1) is None and h.AGE.label(None, 3) == "*"


def test_year_levels():
    assert [h.YEAR.label(2019, lv) for lv in range(4)] == ["2019", "2018-2019", "2015-2019", "*"]


def test_country_levels_use_m49_and_hook(monkeypatch):
    c = h.country_hierarchy("citizenship")
    assert c.label("NG", 0) == "NG"
    assert [c.label("NG", lv) for lv in range(5)] == [
        "NG",
        "Western Africa",
        "Sub-Saharan Africa",
        "Africa",
        "*",
    ]
    assert c.label("FR", 1) == "Western Europe"  # no intermediate region: the sub-region
    monkeypatch.setattr(h, "m49_of", lambda a2: ("Somewhere", "Elsewhere"))
    monkeypatch.setattr(h, "intermediate_of", lambda a2: None)
    assert c.label("NG", 2) == "Somewhere" and c.label("NG", 3) == "Elsewhere"


def test_kosovo_falls_back_to_regional_office_table():
    assert h.m49_of("XK") is not None


def test_encode_precision_loss_bounds():
    enc = h.encode(pd.Series(["18-20", "21-23", "9-17", None], name="age_band"), h.AGE)
    assert enc.loss.shape == (4, 4)
    assert (enc.loss[0] == 0).all()
    assert enc.loss[3, :3].tolist() == [1.0, 1.0, 1.0] and enc.loss[3, 3] == 0.0
    assert (enc.loss[1] <= enc.loss[2]).all() and (enc.loss[2] <= enc.loss[3] + 1e-12).all()

"""The place of birth in linkage: compared transliterated, blocked on only where it is recorded."""

from __future__ import annotations

import pandas as pd

from ctdata.linkage.blocking import RULES
from ctdata.linkage.comparisons import comparisons_for
from ctdata.linkage.features import build_features


def _frame(places: list[str | None]) -> pd.DataFrame:
    n = len(places)
    return pd.DataFrame(
        {
            "record_key": [str(i) for i in range(n)],
            "given_name": ["Olena"] * n,
            "family_name": ["Shevchenko"] * n,
            "date_of_birth": ["1990-04-02"] * n,
            "place_of_birth": places,
        }
    )


def test_a_place_written_in_two_scripts_is_one_feature_value():
    f = build_features(_frame(["Одеса", "Odesa", "  ODESA ", None]))
    assert f["birth_place"].tolist()[:3] == ["odesa"] * 3 and f["birth_place"].isna().tolist()[3]


def test_the_comparison_and_its_blocking_rules_exist_only_where_places_are_recorded():
    with_place = build_features(_frame(["Odesa", "Kyiv"]))
    without = build_features(_frame([None, None]))
    assert "birth_place" in with_place.columns and "birth_place" not in without.columns
    names = lambda cols: [c["output_column_name"] for c in comparisons_for(cols)]  # noqa: E731
    assert "birth_place" in names(with_place.columns) and "birth_place" not in names(without.columns)
    comp = next(c for c in comparisons_for(with_place.columns) if c["output_column_name"] == "birth_place")
    exact = comp["comparison_levels"][1]
    assert exact.get("tf_adjustment_column") == "birth_place"  # a capital is everyone's birthplace
    place_rules = [r for r in RULES if "birth_place" in r.requires]
    assert place_rules
    assert not any(r.applies(set(without.columns)) for r in place_rules)
    assert any(r.applies(set(with_place.columns) | {"name_var"}) for r in place_rules)

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdata.errors import CtdataError
from ctdata.publish.kanon import (
    DEFAULT_QIS,
    KAnonSettings,
    check_k_anonymity,
    kanonymise,
    prosecutor_risk,
)

QI = list(DEFAULT_QIS)


def _independent_smallest(df: pd.DataFrame, qis: list[str]) -> int:
    return int(df.groupby(qis, dropna=False).size().min())


def test_default_release_is_k_anonymous_and_keeps_most(rows):
    res = kanonymise(rows, KAnonSettings(k=5))
    out = res.data
    assert _independent_smallest(out, QI) >= 5
    assert res.report["checks"]["k_anonymity"]["k_anonymous"]
    assert res.report["share_kept"] > 0.9
    assert 0 <= res.report["information_loss"]["loss_metric"] < 0.5
    assert res.report["checks"]["prosecutor_risk"]["max"] <= 1 / 5


def test_only_consented_records(rows):
    res = kanonymise(rows, KAnonSettings(k=3))
    eligible = int(rows["consent_research"].fillna(False).sum())
    assert res.report["records_eligible"] == eligible
    more = kanonymise(rows, KAnonSettings(k=3, include_unknown_consent=True))
    assert more.report["records_eligible"] == eligible + int(rows["consent_research"].isna().sum())


def test_public_release_rows_count_as_consented(rows):
    df = rows.assign(
        consent_research=pd.array([None] * len(rows), dtype="boolean"), source_kind="public_release"
    )
    assert kanonymise(df, KAnonSettings(k=3)).report["records_eligible"] == len(df)


def test_settings_round_trip():
    s = KAnonSettings(k=7, max_levels={"sex": 0}, l_diversity=2)
    assert KAnonSettings.from_json(s.to_json()) == s
    with pytest.raises(CtdataError):
        KAnonSettings.from_dict({"k": 3, "bogus": 1})


def test_max_levels_respected(rows):
    res = kanonymise(rows, KAnonSettings(k=5, max_levels={"sex": 0, "data_source": 0}))
    assert set(res.data["sex"].dropna()) <= {"female", "male"}
    assert _independent_smallest(res.data, QI) >= 5


def test_l_diversity_enforced(rows):
    res = kanonymise(rows, KAnonSettings(k=3, l_diversity=2))
    div = res.data.groupby(QI, dropna=False)["exploitation_types"].nunique(dropna=False)
    assert div.min() >= 2
    assert res.report["checks"]["l_diversity"]["exploitation_types"]["l"] >= 2


@pytest.mark.parametrize("column", ["given_name", "place_of_birth", "birthPlace", "Place of birth"])
def test_refuses_identifier_release_columns(rows, column):
    df = rows.assign(**{column: "x"})
    with pytest.raises(CtdataError):
        kanonymise(df, KAnonSettings(k=3, release_columns=[column]))


def test_missing_qi_is_a_user_error(rows):
    with pytest.raises(CtdataError):
        kanonymise(rows.drop(columns=["sex"]))


def test_checks_detect_violations():
    df = pd.DataFrame({"a": ["x", "x", "y"], "b": [1, 1, 2]})
    assert not check_k_anonymity(df, ["a", "b"], 2)["k_anonymous"]
    assert prosecutor_risk(df, ["a", "b"], 0.6)["max"] == 1.0


values = st.sampled_from
row_strategy = st.fixed_dictionaries(
    {
        "registration_year": st.integers(2015, 2021),
        "data_source": values(["hotline", "case_management"]),
        "sex": values(["female", "male", None]),
        "age_band": values(["0-8", "9-17", "18-20", "30-38", "48+", None]),
        "citizenship": values(["NG", "GH", "UA", "MD", "PH", "US", "BR", None]),
        "country_of_exploitation": values(["US", "RU", "TH", "NG", None]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row_strategy, min_size=0, max_size=120), st.integers(1, 12), st.booleans())
def test_output_is_k_anonymous_for_any_input(records, k, local):
    df = pd.DataFrame(records, columns=QI)
    df["consent_research"] = True
    res = kanonymise(df, KAnonSettings(k=k, local_recoding=local))
    out = res.data
    if len(out):
        assert _independent_smallest(out, QI) >= k
    assert len(out) <= len(df)
    assert res.report["records_released"] == len(out)

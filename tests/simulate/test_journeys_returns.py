"""Journey legs, returns and trends are internally consistent."""

from __future__ import annotations

import pandas as pd
import pytest

from ctdata.simulate.journeys import official_cell_probabilities
from ctdata.simulate.targets import targets
from tests.simulate.conftest import read


@pytest.fixture(scope="module")
def legs(three_years) -> pd.DataFrame:
    legs = read(three_years / "journey_legs.csv")
    rec = read(three_years / "records.csv")[["record_id", "citizenship", "country_of_exploitation"]]
    return legs.merge(rec, on="record_id")


def test_crossing_none_exactly_when_no_border(legs):
    internal = legs["from_country"] == legs["to_country"]
    assert ((legs["crossing"] == "none") == internal).all()
    assert (legs.loc[internal, "travel_document"] == "").all()
    assert (legs.loc[~internal, "travel_document"] != "").all()


def test_transport_matches_crossing(legs):
    assert (legs.loc[legs["crossing"] == "official_air", "transport_mode"] == "air").all()
    assert (legs.loc[legs["crossing"] == "official_sea", "transport_mode"] == "boat").all()
    assert (legs.loc[legs["crossing"] == "unofficial", "transport_mode"] != "air").all()


def test_legs_are_numbered_and_run_from_home_to_exploitation(legs):
    num = legs["leg_number"].astype(int)
    for _, g in legs.assign(n=num).groupby("record_id"):
        assert list(g["n"]) == list(range(1, len(g) + 1))
    first = legs[num == 1]
    known = first["citizenship"].str.fullmatch(r"[A-Z]{2}")
    assert (first.loc[known, "from_country"] == first.loc[known, "citizenship"]).mean() > 0.99


def test_exploitation_on_the_journey_is_in_order(legs):
    order = {"no": 0, "during": 1, "before": 2}
    for _, g in legs.groupby("record_id"):
        stages = [order[e] for e in g["exploited"]]
        assert stages == sorted(stages)
        assert stages.count(1) <= 1


def test_official_probabilities_solve_the_published_system():
    t = targets()
    p = official_cell_probabilities({"FA": 6000, "MA": 3500, "FC": 200, "MC": 150}, t)
    women = (6000 * p["FA"] + 200 * p["FC"]) / 6200
    men = (3500 * p["MA"] + 150 * p["MC"]) / 3650
    assert abs(women - t.official_women) < 0.01
    assert abs(men - t.official_men) < 0.01
    assert abs((150 * p["MC"] + 200 * p["FC"]) / 350 - t.official_children) < 0.02
    assert all(0 < v < 1 for v in p.values())


def test_returns_respect_the_gates(three_years):
    ret = read(three_years / "returns.csv")
    rec = read(three_years / "records.csv").set_index("record_id")
    done = ret[ret["status"].isin(["travelled", "approved"])]
    assert len(done) > 100
    assert (done["consent_written"] == "true").all()
    assert (done["risk_level"] != "").all()
    assert (done["reintegration_plan"] == "true").all()
    assert (done["receiving_office_country"] != "").all()
    child = done[done["best_interest_determination"] != ""]
    assert len(child) > 0
    for col in ("best_interest_determination", "guardian_willing", "guardian_able"):
        assert (child[col] == "true").all()
    travelled = ret[ret["status"] == "travelled"]
    assert (travelled["travel_date"] != "").all()
    assert (travelled["travel_date"] > travelled["requested_date"]).all()
    assert (ret.loc[ret["status"] != "travelled", "travel_date"] == "").all()
    requested = ret[ret["status"] == "requested"]
    gates = [
        "consent_written",
        "reintegration_plan",
        "best_interest_determination",
        "guardian_willing",
        "guardian_able",
    ]
    open_gate = (requested[gates] == "false").any(axis=1) | (requested["risk_level"] == "")
    assert open_gate.all()
    home = rec.loc[ret["record_id"], "citizenship"].str.split(";").str[0].to_numpy()
    assert (ret["receiving_office_country"].to_numpy() == home).mean() > 0.95


def test_reintegration_assistance_comes_after_return(three_years):
    ass = read(three_years / "assistance.csv")
    rec = read(three_years / "records.csv").set_index("record_id")
    reint = ass[ass["reintegration"] == "true"]
    assert len(reint) > 100
    office = rec.loc[reint["record_id"], "office_country"].to_numpy()
    home = rec.loc[reint["record_id"], "citizenship"].str.split(";").str[0].to_numpy()
    assert (office == home).mean() > 0.9  # given in the country of origin


def test_trends_run_the_published_way(three_years):
    rec = read(three_years / "records.csv")
    rec["year"] = rec["registration_date"].str.slice(0, 4)
    known = (rec["citizenship"].str.len() == 2) & (rec["country_of_exploitation"].str.len() == 2)
    internal = (rec["citizenship"] == rec["country_of_exploitation"])[known].groupby(rec["year"]).mean()
    assert internal["2009"] < internal["2011"] - 0.05
    typed = rec["exploitation_types"] != ""
    sexual = (rec["exploitation_types"] == "sexual_exploitation")[typed].groupby(rec["year"]).mean()
    assert sexual["2009"] > sexual["2011"] + 0.03


def test_some_cross_border_journeys_begin_inside_the_country_the_report_s_both(legs):
    # The report's third type of trafficking: a leg inside the country of citizenship, then across a border.
    kinds = legs.assign(inside=legs["from_country"] == legs["to_country"]).groupby("record_id")["inside"]
    both = kinds.any() & ~kinds.all()
    assert 0.01 < both.mean() < 0.10
    first = legs[legs["leg_number"] == "1"].set_index("record_id")
    home = first.loc[both[both].index]
    inside_first = home["from_country"] == home["to_country"]
    # the inside leg comes first (the rest: a transit country that is also the home or destination)
    assert inside_first.mean() > 0.9
    assert (home.loc[inside_first, "crossing"] == "none").all()

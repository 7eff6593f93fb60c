"""The simulator's recruitment, legal, funding and follow-up columns: plausible, consistent with the
rest of the row, and drawn from their own stream."""

from __future__ import annotations

import numpy as np

from ctdata.simulate import details
from ctdata.standard import vocab

from .conftest import read


def _codes(col):  # type: ignore[no-untyped-def]
    return [c for v in col for c in v.split(";") if c]


def test_recruitment_shares_are_those_drawn(three_years):
    rec = read(three_years / "records.csv")
    told = rec[rec["recruitment_tactics"] != ""]
    assert abs(len(told) / len(rec) - details.RECORDED) < 0.02
    assert set(_codes(told["recruitment_tactics"])) <= set(vocab.RECRUITMENT_TACTICS.codes)
    job = told["recruitment_tactics"].str.contains("job_offer").mean()
    assert 0.75 < job < 0.92  # 72% drawn, plus the ~60% of the rest given no other tactic (a job offer)
    # a sector and a job are promised exactly when a job was offered
    offered = told["recruitment_tactics"].str.contains("job_offer")
    assert (told.loc[offered, "promised_sector"] != "").all() and (told.loc[~offered, "promised_sector"] == "").all()
    assert set(told["promised_sector"]) - {""} <= set(vocab.PROMISED_SECTORS.codes)
    assert ((told["promised_job"] != "") == (told["promised_sector"] != "")).all()


def test_legal_types_only_on_legal_items_and_funds_are_named(three_years):
    aid = read(three_years / "assistance.csv")
    legal = aid["assistance_type"] == "legal"
    assert (aid.loc[legal, "legal_types"] != "").all() and (aid.loc[~legal, "legal_types"] == "").all()
    assert set(_codes(aid["legal_types"])) <= set(vocab.LEGAL_ASSISTANCE_TYPES.codes)
    named = aid["funding_source"].isin(["project", "fund"])
    assert (aid.loc[named, "funding_name"] != "").all() and (aid.loc[~named, "funding_name"] == "").all()
    assert set(aid.loc[aid["funding_source"] == "fund", "funding_name"]) == set(details.FUNDS)
    assert abs((aid["funding_source"] == "fund").mean() - details.FUNDING["fund"]) < 0.01


def test_a_project_funds_items_in_its_own_country_and_year(three_years):
    aid = read(three_years / "assistance.csv")
    rec = read(three_years / "records.csv").set_index("record_id")
    proj = read(three_years / "projects.csv")
    places = {(p, c, y) for p, cs, y in zip(proj["project"], proj["countries"], proj["year"], strict=True)
              for c in cs.split(";")}
    items = aid[aid["funding_source"] == "project"].head(2000)
    office = rec.loc[items["record_id"], "office_country"].to_numpy()
    year = rec.loc[items["record_id"], "registration_date"].str[:4].to_numpy()
    # partners spell some office countries otherwise; those with an alpha-2 code must match a project's place
    alpha2 = np.array([len(o) == 2 for o in office])
    ok = [(p, o, y) in places for p, o, y in zip(items["funding_name"],
                                                   office, year, strict=True)]
    assert alpha2.sum() > 100 and np.array(ok)[alpha2].mean() > 0.99


def test_follow_up_only_after_travel(three_years):
    ret = read(three_years / "returns.csv")
    followed = ret["reintegration_status"] != ""
    assert (ret.loc[followed, "status"] == "travelled").all()
    assert ((ret["follow_up_date"] != "") == followed).all()
    assert (ret.loc[followed, "follow_up_date"] > ret.loc[followed, "travel_date"]).all()
    share = followed[ret["status"] == "travelled"].mean()
    assert abs(share - details.FOLLOW_UP) < 0.05

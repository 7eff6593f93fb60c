"""Synthetic projects hold the published funding totals and read back through the projects import."""

from __future__ import annotations

import pandas as pd
import pytest

from ctdata.simulate.projects import funding_targets, projects_table
from ctdata.standard.funding import split_donors
from ctdata.standard.regions import regional_office


@pytest.fixture(scope="module")
def projects() -> pd.DataFrame:
    d = pd.DataFrame(projects_table(2011, (2009, 2011)))
    d["amount"] = d["amount"].astype(float)
    d["year"] = d["year"].astype(int)
    return d


def test_2011_has_the_published_totals(projects):
    t = funding_targets()
    d = projects[projects["year"] == 2011]
    assert len(d) == t.projects == 220
    assert d["amount"].sum() == t.amount == 27_791_930
    assert len({c for cs in d["countries"] for c in cs.split(";")}) == t.countries == 94


def test_office_shares_and_donors(projects):
    d = projects[projects["year"] == 2011]
    per_office: dict[str, float] = {}
    for cs, amount in zip(d["countries"], d["amount"], strict=True):
        codes = cs.split(";")
        offices = {regional_office(c) for c in codes}
        assert len(offices) == 1  # a project runs in one region
        per_office[offices.pop()] = per_office.get(regional_office(codes[0]), 0.0) + amount
    total = sum(per_office.values())
    for office, share in {"Vienna": 0.44, "Pretoria": 0.16, "Bangkok": 0.15, "San Jose": 0.09, "Dakar": 0.02}.items():
        assert per_office[office] / total == pytest.approx(share, abs=1e-6)
    split = [split_donors(t, a) for t, a in zip(d["donor"], d["amount"], strict=True)]
    assert all(sum(s.amount for s in x) == pytest.approx(a) for x, a in zip(split, d["amount"], strict=True))
    several = sum(len(x) > 1 for x in split)
    assert 0.15 * len(d) < several < 0.35 * len(d)


def test_reproducible_per_seed():
    a, b = projects_table(7, (2011, 2011)), projects_table(7, (2011, 2011))
    assert all((a[k] == b[k]).all() for k in a)
    assert not (projects_table(8, (2011, 2011))["amount"] == a["amount"]).all()

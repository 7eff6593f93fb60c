"""The simulator's 2011 figures, counted by the report's own indicators, against the published report.

The demo warehouse of the test session (4,000 records over 2009-2011, about 1,400 in 2011) is small, so
most tolerances are two standard errors at its size, persons (not records) being what is sampled
(analytics.calibration). Sixty-odd figures at two standard errors each would leave about three outside
by chance alone if the generator drew independently; it draws balanced (simulate.balanced), so every
figure is held to its tolerance.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ctdata.analytics.calibration import compare, compare_trend, trend_shares
from ctdata.simulate.projects import projects_table
from ctdata.warehouse.query import connect
from tests.analytics.demo import SEED, copy_with_extras


@pytest.fixture(scope="module")
def rows(warehouse, tmp_path_factory):
    cols = projects_table(SEED, (2009, 2011))
    projects = [
        {"project": p, "countries": c.split(";"), "donor": d, "amount": float(a), "year": int(y)}
        for p, c, d, a, y in zip(cols["project"], cols["countries"], cols["donor"], cols["amount"], cols["year"],
                                 strict=True)
    ]
    wh = copy_with_extras(warehouse, tmp_path_factory.mktemp("cal") / "wh", projects=projects)
    sim = warehouse.parent.parent / "sim"
    return compare(connect(wh), 2011, deff=_true_design_effect(sim), deff_legs=_true_design_effect(sim, legs=True))


def _true_design_effect(sim, legs: bool = False, year: int = 2011) -> float:
    """sum(m^2)/sum(m) over the simulated persons' records or legs of a year (the warehouse is not linked)."""
    rec = pd.read_csv(sim / "records.csv", usecols=["record_id", "registration_date"], dtype=str)
    truth = pd.read_csv(sim / "truth.csv", dtype=str).set_index("record_id")["person_id"]
    ids = rec[rec["registration_date"].str[:4] == str(year)]["record_id"]
    if legs:
        leg_ids = pd.read_csv(sim / "journey_legs.csv", usecols=["record_id"], dtype=str)["record_id"]
        ids = leg_ids[leg_ids.isin(set(ids))]
    m = ids.map(truth).value_counts()
    return float((m**2).sum() / m.sum())


def test_every_published_block_is_compared(rows):
    groups = {r.group for r in rows}
    assert groups == {"global", "nationality", "destination", "region", "AVRR", "funding", "border"}
    assert len(rows) >= 60


def test_2011_is_within_sampling_error(rows):
    # Every figure, as the done-when asks, not all but a binomial tail of them: the generator draws
    # years, corridors, children and travel documents balanced (simulate.balanced), so what is left is the
    # noise of records per person, below the two standard errors of independent draws the tolerance allows.
    outside = [(r.figure, r.expected, r.value) for r in rows if not r.ok]
    assert not outside


def test_without_own_documents_is_counted_apart_from_forged(rows):
    by = {r.figure: r for r in rows}
    assert by["without own documents, forged apart"].ok and by["forged documents (official points)"].ok


@pytest.fixture(scope="module")
def trend(warehouse):
    sim = warehouse.parent.parent / "sim"
    con = connect(warehouse)
    return [r for year in (2009, 2010) for r in compare_trend(con, year, deff=_true_design_effect(sim, year=year))]


def test_the_published_trend_is_interpolated_from_2008_to_2011():
    # 2008 and 2011 are the model's own figures; the years between move on the odds by equal steps.
    assert trend_shares(2011) == pytest.approx({"cross-border": 0.65, "children": 0.36,
                                                "sexual among labour or sexual": 0.27 / 0.80})
    s08 = trend_shares(2008)
    assert s08["cross-border"] == pytest.approx(0.65 / 0.35 * (4066 / 713) / (3531 / 1708)
                                                / (1 + 0.65 / 0.35 * (4066 / 713) / (3531 / 1708)))
    for figure in s08:
        shares = [trend_shares(y)[figure] for y in (2008, 2009, 2010, 2011)]
        assert shares == sorted(shares) or shares == sorted(shares, reverse=True)


def test_2009_and_2010_follow_the_published_trend_within_sampling_error(trend):
    # Six figures, each within two standard errors (balanced draws, as for 2011).
    assert len(trend) == 6
    assert all(r.ok for r in trend), [(r.figure, r.expected, r.value) for r in trend if not r.ok]

"""Simulated perpetrators follow the shares of the public victim-perpetrator release they are calibrated to."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ctdata.simulate.generator import simulate
from ctdata.simulate.names import load_namebook
from ctdata.simulate.perpetrators import PerpetratorTargets, perpetrator_tables
from ctdata.standard.regions import comparable_region, un_region
from ctdata.standard.types import parser_for


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    out = tmp_path_factory.mktemp("perp-calib")
    simulate(4000, seed=12, out=out, progress=False)
    read = lambda name: pd.read_csv(out / name, dtype=str, keep_default_na=False)  # noqa: E731
    return read("perpetrators.csv"), read("perpetrators_truth.csv"), read("records.csv")


def test_truth_names_every_row_and_networks_hold_their_members(tables) -> None:  # type: ignore[no-untyped-def]
    rows, truth, records = tables
    assert len(rows) == len(truth) and (rows["record_id"] == truth["record_id"]).all()
    assert set(rows["record_id"]) <= set(records["record_id"])
    # one perpetrator is in one network
    assert truth.groupby("perpetrator_id")["network_id"].nunique().max() == 1
    # recruiters who recruit several victims exist
    recruiters = truth[rows["roles"] == "recruiter"].groupby("perpetrator_id")["record_id"].nunique()
    assert (recruiters >= 3).sum() > 20


def test_victims_meet_perpetrators_of_their_region_as_in_the_release(tables) -> None:  # type: ignore[no-untyped-def]
    """The release: 0.955 of victims have a perpetrator of their own region, 0.907 only such perpetrators."""
    rows, _, records = tables
    origin = {r: comparable_region(un_region((parser_for("countries")(c) or [None])[0]))
              for r, c in zip(records["record_id"], records["citizenship"], strict=True)}
    known = rows[rows["citizenship"] != ""]
    regions = known.groupby("record_id")["citizenship"].agg(
        lambda cs: {comparable_region(un_region(c)) for c in cs})
    pairs = [(origin[r], regs) for r, regs in regions.items() if origin.get(r)]
    within = np.mean([o in regs for o, regs in pairs])
    exact = np.mean([regs == {o} for o, regs in pairs])
    assert abs(within - 0.955) < 0.03, within
    assert abs(exact - 0.907) < 0.04, exact


def test_shares_follow_the_public_release() -> None:
    t = PerpetratorTargets()
    rng = np.random.default_rng(4)
    n = 6000
    cit = rng.choice(np.array(["VN", "UA", "NG", "HT"], dtype=object), n)
    coe = np.where(rng.random(n) < 0.5, cit, rng.choice(np.array(["TH", "RU", "IT"], dtype=object), n))
    child = rng.random(n) < 0.25
    cols, truth = perpetrator_tables(rng, load_namebook(), cit, coe, child, rng.random(n) < 0.5, np.arange(n),
                                     np.array([f"R{i}" for i in range(n)], dtype=object))
    rows = pd.DataFrame(cols)
    victim = rows["record_id"].str[1:].astype(int).to_numpy()
    family = (rows["relation"] == "family_intimate_partner").to_numpy()
    per_victim = pd.Series(family).groupby(victim).any()
    assert abs(per_victim[child].mean() - t.family_child) < 0.03
    assert abs(per_victim[~child].mean() - t.family_adult) < 0.02
    # family recruiters are relatives, of the victim's citizenship
    known = family & (rows["citizenship"] != "").to_numpy()
    assert (rows["citizenship"].to_numpy()[known] == cit[victim[known]]).all()
    sexes = rows.loc[rows["sex"] != "", "sex"]
    assert abs((sexes == "male").mean() - t.male) < 0.03
    bands = rows.loc[rows["age_band"] != "", "age_band"].value_counts(normalize=True)
    assert np.allclose([bands.get(b, 0) for b in ("0-29", "30-38", "39-47", "48+")],
                       np.array(t.age) / sum(t.age), atol=0.03)
    assert len(truth["perpetrator_id"]) == len(rows)

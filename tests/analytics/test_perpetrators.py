"""The victim-perpetrator figures agree with an independent pandas count of the same release file."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from ctdata.analytics import perpetrators
from ctdata.ingest.ctdc_import import import_ctdc
from ctdata.warehouse.build import build
from ctdata.warehouse.query import connect
from tests.ingest.test_ctdc_vp_import import vp_row, write_vp

REGIONS = ["Africa", "Asia", "Europe", "Americas/Oceania", ""]


def _random_rows(n: int, seed: int) -> list[dict[str, str]]:
    """Rows of the release's format with every coding it uses: empty values, ';'-joined values."""
    rng = random.Random(seed)

    def some(values: list[str], empty: float = 0.3) -> str:
        if rng.random() < empty:
            return ""
        k = 1 if rng.random() < 0.8 else 2
        return ";".join(sorted(rng.sample(values, k)))

    rows = []
    for _ in range(n):
        rows.append(vp_row(
            yearRegister=rng.choice(["2019", "2014-2018", ""]), gender=rng.choice(["Female", "Male", ""]),
            majorityStatus=rng.choice(["Adult", "Minor", ""]), isForcedLabour=rng.choice(["1", ""]),
            isSexualExploit=rng.choice(["1", ""]), UN_COO_Region=rng.choice(REGIONS),
            UN_COE_Region=rng.choice(REGIONS),
            IP_citizen_UNRegion=some(REGIONS[:4]), IP_Gender=some(["Female", "Male"]),
            IP_ageBroad=some(["0--29", "30--38", "39--47", "48+"], 0.6),
            IP_Relation=some(["FamilyIntimatePartner", "FriendAcquaintance", "StrangerUnknownOther"]),
            IP_PayMoney=some(["No", "Yes"]),
            IP_Exploiter=rng.choice(["1", ""]), IP_RecruiterBroker=rng.choice(["1", ""]),
        ))
    return rows


def _pandas_figures(path: Path) -> dict[str, object]:
    """The headline figures counted straight from the file with pandas (no ctdata code)."""
    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    known = d[(d.UN_COO_Region != "") & (d.IP_citizen_UNRegion != "")]
    regions = known.IP_citizen_UNRegion.str.split(";")
    within = [o in r for o, r in zip(known.UN_COO_Region, regions, strict=True)]
    exact = [r == [o] for o, r in zip(known.UN_COO_Region, regions, strict=True)]

    def shares(frame: pd.DataFrame, col: str) -> dict[str, float]:
        k = frame[frame[col] != ""]
        parts = k[col].str.split(";").explode()
        return (parts.value_counts() / len(k)).to_dict()

    return {
        "victims": len(d),
        "known": len(known),
        "within": sum(within) / len(known),
        "exact": sum(exact) / len(known),
        "sex": shares(d, "IP_Gender"),
        "age": shares(d, "IP_ageBroad"),
        "relation_female": shares(d[d.gender == "Female"], "IP_Relation"),
        "relation_child": shares(d[d.majorityStatus == "Minor"], "IP_Relation"),
        "sex_sexual": shares(d[d.isSexualExploit == "1"], "IP_Gender"),
    }


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_report_agrees_with_pandas(store, tmp_path: Path) -> None:
    path = write_vp(tmp_path / "vp.csv.gz", _random_rows(600, seed=17))
    res = import_ctdc(path)
    assert res.loaded == 600 and res.quarantined == 0
    build(progress=False)
    got = perpetrators.summary(connect())
    want = _pandas_figures(path)
    assert got["victims"] == want["victims"]
    assert got["within_region_known"] == want["known"]
    assert got["within_region_share"] == pytest.approx(want["within"])
    assert got["within_region_exact_share"] == pytest.approx(want["exact"])
    assert got["within_region_exact_share"] < got["within_region_share"]
    sex = {"Female": "female", "Male": "male"}
    assert got["perpetrator_sex"]["shares"] == pytest.approx({sex[k]: v for k, v in want["sex"].items()})
    age = {"0--29": "0-29", "30--38": "30-38", "39--47": "39-47", "48+": "48+"}
    assert got["perpetrator_age"]["shares"] == pytest.approx({age[k]: v for k, v in want["age"].items()})
    rel = {"FamilyIntimatePartner": "family_intimate_partner", "FriendAcquaintance": "friend_acquaintance",
           "StrangerUnknownOther": "stranger_other"}
    assert got["relation_by_victim_sex"]["female"]["shares"] == pytest.approx(
        {rel[k]: v for k, v in want["relation_female"].items()})
    assert got["relation_by_victim_age"]["child"]["shares"] == pytest.approx(
        {rel[k]: v for k, v in want["relation_child"].items()})
    assert got["by_exploitation"]["sexual_exploitation"]["perpetrator_sex"]["shares"] == pytest.approx(
        {sex[k]: v for k, v in want["sex_sexual"].items()})
    assert "origin" in got["definition"] and "among the regions" in got["definition"]

"""Perpetrator de-duplication (linkage engine + number rule) and network recovery on simulated data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ctdata.analytics.networks import build_graph, find_networks, score_networks
from ctdata.linkage.evaluate import score_clusters
from ctdata.linkage.perpetrators import dedupe
from ctdata.simulate.generator import simulate


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = tmp_path_factory.mktemp("perp-sim")
    simulate(1200, seed=8, out=out, progress=False)
    rows = pd.read_csv(out / "perpetrators.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(out / "perpetrators_truth.csv", dtype=str, keep_default_na=False)
    records = pd.read_csv(Path(out) / "records.csv", dtype=str, keep_default_na=False)
    rows["row_key"] = truth["record_id"] + "#" + truth["row"]
    rows = rows.merge(records[["record_id", "country_of_exploitation"]], on="record_id", how="left")
    return rows, truth


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_perpetrators_and_networks_are_recovered(store, simulated) -> None:  # type: ignore[no-untyped-def]
    rows, truth = simulated
    persons = dedupe(rows)
    assert len(persons) == len(rows)
    s = score_clusters(persons.rename(columns={"row_key": "record_key", "perpetrator_id": "individual_id"}),
                       pd.DataFrame({"record_key": rows["row_key"], "person_id": truth["perpetrator_id"]}))
    assert s.pair_f1 >= 0.9, s
    ids = dict(zip(persons["row_key"], persons["perpetrator_id"], strict=True))
    nets = find_networks(build_graph(pd.DataFrame({"victim": rows["record_id"],
                                                   "perpetrator": [ids[k] for k in rows["row_key"]]})))
    victims = truth.drop_duplicates("record_id").rename(columns={"record_id": "victim"})[["victim", "network_id"]]
    got = score_networks(nets, victims)
    assert got["pair_f1"] >= 0.9, got
    assert got["victims"] == truth["record_id"].nunique()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_first_name_alone_links_no_one_but_a_shared_number_does(store) -> None:  # type: ignore[no-untyped-def]
    rows = pd.DataFrame({
        "row_key": ["a", "b", "c", "d", "e"],
        "names": ["Oleksii", "Oleksii Marchenko", "Oleksii Boiko", "Oleksii", "Petro Hal"],
        "sex": ["male"] * 5,
        "citizenship": ["UA"] * 5,
        "country_of_exploitation": ["RU"] * 5,
        "phone_numbers": ["", "", "", "+380 67 123 4567", "067-123-4567"],
        "document_numbers": [""] * 5,
    })
    got = dict(zip(*dedupe(rows).T.values, strict=True))
    # two people called Oleksii in the corridor: the bare first name joins neither
    assert got["a"] not in {got["b"], got["c"]}
    # the same phone number, written two ways, is one person whatever the names say
    assert got["d"] == got["e"]

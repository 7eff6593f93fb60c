"""Networks of victims and perpetrators: shared perpetrators and shared numbers join victims; central
actors; what an analyst gets holds pseudonymous ids only."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ctdata.analytics.networks import build_graph, find_networks, from_warehouse
from ctdata.ingest.standard_import import import_standard
from ctdata.standard.template import column_names
from ctdata.warehouse.build import build
from ctdata.warehouse.query import connect
from tests.ingest.helpers import record, write_records


def test_shared_perpetrators_and_phones_make_one_network() -> None:
    links = pd.DataFrame({
        "victim": ["v1", "v2", "v3", "v4", "v5"],
        "perpetrator": ["boss", "boss", "p3", "p4", "loner"],
        "phone_numbers_keys": [["k1"], ["k1"], ["k9"], ["k9"], []],
        "corridor": ["VN -> TH"] * 4 + ["UA -> RU"],
    })
    nets = find_networks(build_graph(links))
    assert list(nets.table["victims"]) == [2, 2, 1]
    member = dict(zip(nets.membership["victim"], nets.membership["network"], strict=True))
    assert member["v1"] == member["v2"] and member["v3"] == member["v4"] != member["v1"]
    assert member["v5"] not in {member["v1"], member["v3"]}
    first = nets.table.iloc[0]
    assert first["central_actors"][0]["perpetrator"] in {"boss", "p3"}
    assert first["corridors"] == {"VN -> TH": 2}


NAMES = ("Zarvonek Talli", "Big Zar", "+66 81 234 5678", "ZX-901122", "Moo 4 Zarvonek road")


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_networks_from_the_warehouse_name_nobody(store, tmp_path: Path) -> None:
    write_records(tmp_path / "records.csv", [record(i, country_of_exploitation="TH", citizenship="VN")
                                             for i in range(3)])
    write_records(tmp_path / "perpetrators.csv", [
        {"record_id": "R0", "roles": "recruiter", "names": NAMES[0], "aliases": NAMES[1], "phone_numbers": NAMES[2],
         "document_numbers": NAMES[3], "addresses": NAMES[4]},
        {"record_id": "R1", "roles": "recruiter", "names": "Z. Talli", "phone_numbers": "081-234-5678"},
        {"record_id": "R2", "roles": "exploiter", "names": "Someone Else"},
    ], column_names("perpetrators"))
    import_standard(tmp_path)
    build(progress=False)
    nets = from_warehouse(connect())
    text = json.dumps(nets.to_dict(), default=str) + nets.membership.to_json()
    for value in (*NAMES, "Talli", "5678", "Someone"):
        assert value not in text
    assert list(nets.table["victims"]) == [2, 1]  # R0 and R1 share the recruiter's phone number
    assert nets.table.iloc[0]["identifiers"] >= 1


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_linked_perpetrators_join_their_victims_networks(store, tmp_path: Path) -> None:
    """After `link perpetrators`, victims who name one recruiter (written two ways, no number) share a network."""
    from ctdata.linkage.perpetrators import link_store
    from ctdata.simulate.generator import simulate

    simulate(800, seed=21, out=tmp_path / "sim", progress=False)
    import_standard(tmp_path / "sim")
    build(progress=False)
    before = from_warehouse(connect())
    out = link_store()
    assert out["rows"] > 0 and out["perpetrators"] < out["rows"]
    after = from_warehouse(connect())
    assert len(after.table) < len(before.table)
    def shared(t) -> int:  # victims in a network with another victim
        return int(t["victims"][t["victims"] > 1].sum())

    assert shared(after.table) > shared(before.table)
    assert after.table["victims"].sum() == before.table["victims"].sum()  # every victim in one network


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_an_empty_warehouse_is_a_clear_error_not_a_crash(store) -> None:
    """`ctdata report perpetrators` / `report networks` on a store with no perpetrators said nothing a
    user could act on (a DuckDB catalog error and a traceback); they now say what is missing."""
    from ctdata.analytics.perpetrators import summary
    from ctdata.errors import CtdataError

    build(progress=False)  # from a store without cases: a warehouse with no tables
    con = connect()
    with pytest.raises(CtdataError, match="no perpetrators"):
        summary(con)
    with pytest.raises(CtdataError, match="no perpetrators"):
        from_warehouse(con)

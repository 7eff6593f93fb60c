"""Trafficking networks: victims and perpetrators as one graph (networkx).

Nodes are victims, perpetrators (persons after de-duplication, `linkage.perpetrators`, or single
perpetrator rows) and identifiers several perpetrators may share (keyed phone numbers, document
numbers, addresses: pseudonyms, never the numbers). A victim is joined to each of their
perpetrators, a perpetrator to each identifier they were known by. A **network** is a connected
component with at least one perpetrator: the victims reached through shared perpetrators, shared
recruiters' phones or shared addresses. For each network: its victims and perpetrators, its
central actors (perpetrators by degree centrality: how many victims and identifiers they touch
directly, ties broken by betweenness) and its corridors (origin -> exploitation of its victims).

Every id in the output is pseudonymous (network numbers, record keys, perpetrator keys), so the
tables can be shown to analysts; the graph is built from the warehouse (`from_warehouse`), which
holds no identifier, or from any frame of the same shape.

networkx was chosen over igraph: pure Python, installed with the project already, actively
maintained, and fast enough for the graph sizes of assisted-case data (a network of 20,000 victims
and 40,000 perpetrator rows is built and split in about a second).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd

from ctdata.standard import countries, vocab
from ctdata.text import Country, Region, Text

__all__ = ["Networks", "build_graph", "find_networks", "from_warehouse", "score_networks"]

VICTIM, PERPETRATOR, IDENTIFIER = "victim", "perpetrator", "identifier"
#: identifier columns of a links frame (lists of keyed pseudonyms) that join perpetrators sharing them
IDENTIFIER_COLUMNS = ("phone_numbers_keys", "document_numbers_keys", "addresses_keys")


def _items(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [s for s in v.split(";") if s]
    try:
        return [str(x) for x in v if x is not None and str(x)]
    except TypeError:
        return []


def build_graph(links: pd.DataFrame) -> nx.Graph:
    """The graph of a links frame: one row per (victim, perpetrator) with columns ``victim``,
    ``perpetrator`` and, optionally, the identifier columns (lists of keys) and ``corridor``
    (the victim's origin -> exploitation, for the network tables)."""
    g = nx.Graph()
    ident = [c for c in IDENTIFIER_COLUMNS if c in links]
    corridor = links["corridor"] if "corridor" in links else [None] * len(links)
    for i, (v, p, cor) in enumerate(zip(links["victim"], links["perpetrator"], corridor, strict=True)):
        vn, pn = (VICTIM, str(v)), (PERPETRATOR, str(p))
        g.add_node(vn, kind=VICTIM, corridor=cor)
        g.add_node(pn, kind=PERPETRATOR)
        g.add_edge(vn, pn)
        for col in ident:
            for key in _items(links[col].iloc[i]):
                kn = (IDENTIFIER, f"{col}:{key}")
                g.add_node(kn, kind=IDENTIFIER)
                g.add_edge(pn, kn)
    return g


@dataclass
class Networks:
    """The networks of a graph: one row per network, and the network of each victim."""

    table: pd.DataFrame  # network, victims, perpetrators, identifiers, central_actors, corridors
    membership: pd.DataFrame  # victim, network

    def victims_per_network(self) -> pd.Series:
        return self.table.set_index("network")["victims"]

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        t = self.table if top is None else self.table.head(top)
        return {"networks": int(len(self.table)), "rows": t.to_dict(orient="records")}


def _central(g: nx.Graph, nodes: Iterable[Any], top: int) -> list[dict[str, Any]]:
    sub = g.subgraph(nodes)
    degree = nx.degree_centrality(sub) if len(sub) > 1 else dict.fromkeys(sub, 0.0)
    between = nx.betweenness_centrality(sub) if 2 < len(sub) <= 2000 else dict.fromkeys(sub, 0.0)
    perps = [n for n in sub if n[0] == PERPETRATOR]
    perps.sort(key=lambda n: (-degree[n], -between[n], n[1]))
    return [{"perpetrator": n[1], "victims": sum(1 for m in sub[n] if m[0] == VICTIM),
             "degree_centrality": round(degree[n], 4), "betweenness": round(between[n], 4)} for n in perps[:top]]


def find_networks(g: nx.Graph, *, central: int = 3) -> Networks:
    """Connected components with a perpetrator, largest first (numbered N1, N2, ... in that order)."""
    comps = [c for c in nx.connected_components(g) if any(n[0] == PERPETRATOR for n in c)]
    comps.sort(key=lambda c: (-sum(1 for n in c if n[0] == VICTIM), min(n[1] for n in c)))
    rows, member = [], []
    for i, comp in enumerate(comps, start=1):
        name = f"N{i}"
        victims = [n for n in comp if n[0] == VICTIM]
        corridors = Counter(g.nodes[n].get("corridor") for n in victims if g.nodes[n].get("corridor"))
        rows.append({
            "network": name,
            "victims": len(victims),
            "perpetrators": sum(1 for n in comp if n[0] == PERPETRATOR),
            "identifiers": sum(1 for n in comp if n[0] == IDENTIFIER),
            "central_actors": _central(g, comp, central) if len(victims) > 1 else [],
            "corridors": dict(corridors.most_common()),
        })
        member += [{"victim": n[1], "network": name} for n in victims]
    cols = ["network", "victims", "perpetrators", "identifiers", "central_actors", "corridors"]
    return Networks(pd.DataFrame(rows, columns=cols), pd.DataFrame(member, columns=["victim", "network"]))


#: How a corridor is written in the networks table ('LA -> TH', 'asia -> TH', '? -> TH'): the CLI and
#: JSON keep it so; `corridor_words` names its ends for a page.
CORRIDOR_SEP = " -> "
UNKNOWN_END = "?"


def corridor_words(corridor: str) -> Text:
    """A corridor of the networks table as words a page writes in its reader's language: each end a
    country (by its name) or a UN region, an unknown end 'unknown', the arrow pointing the way the
    language reads (the catalogue turns it round for Arabic)."""
    origin, _, destination = corridor.partition(CORRIDOR_SEP)
    return Text("{origin} → {destination}", origin=_end(origin), destination=_end(destination))


def _end(value: str) -> str:
    if value in ("", UNKNOWN_END):
        return Text("unknown")
    if len(value) == 2 and value.isupper():
        return Country(value, countries.name(value))
    return Region(vocab.UN_REGION.label(value) if value in vocab.UN_REGION else value)


def links_from_warehouse(con: Any, perpetrator_of: pd.DataFrame | None = None) -> pd.DataFrame:
    """The links frame of the warehouse: victims by ``individual_id`` when linkage has run, else by
    record key; perpetrators by ``perpetrator_of`` (perpetrator_key -> perpetrator_id, from
    de-duplication) when given, else by the warehouse's ``perpetrator_persons`` (`ctdata link
    perpetrators`) when it has run, else each perpetrator row on its own; corridors by country or region."""
    from ctdata.analytics.tabulate import has_table

    victim = "coalesce(i.individual_id, p.record_key)" if has_table(con, "individuals") else "p.record_key"
    join = " LEFT JOIN individuals i USING (record_key)" if has_table(con, "individuals") else ""
    df = con.execute(
        f"SELECT {victim} AS victim, p.perpetrator_key AS perpetrator, p.phone_numbers_keys, "
        "p.document_numbers_keys, p.addresses_keys, "
        f"coalesce(c.citizenship, c.origin_region, '{UNKNOWN_END}') || '{CORRIDOR_SEP}' || "
        f"coalesce(c.country_of_exploitation, c.exploitation_region, '{UNKNOWN_END}') AS corridor "
        f"FROM perpetrators p JOIN cases c USING (record_key){join}"
    ).df()
    if perpetrator_of is None and has_table(con, "perpetrator_persons"):  # `ctdata link perpetrators`
        perpetrator_of = con.execute("SELECT perpetrator_key, perpetrator_id FROM perpetrator_persons").df()
    if perpetrator_of is not None and len(df):
        ids = dict(zip(perpetrator_of["perpetrator_key"], perpetrator_of["perpetrator_id"], strict=True))
        df["perpetrator"] = [ids.get(k, k) for k in df["perpetrator"]]
    return df


def from_warehouse(con: Any, perpetrator_of: pd.DataFrame | None = None, *, central: int = 3) -> Networks:
    """The networks of the warehouse's victims and perpetrators (pseudonymous ids only)."""
    from ctdata.analytics.perpetrators import require_perpetrators

    require_perpetrators(con)
    return find_networks(build_graph(links_from_warehouse(con, perpetrator_of)), central=central)


def score_networks(networks: Networks, truth: pd.DataFrame) -> dict[str, float]:
    """How well the networks found match true ones (truth: ``victim``, ``network_id``): pairwise
    precision, recall and F1 over pairs of victims put in one network (`linkage.evaluate`)."""
    from ctdata.linkage.evaluate import score_clusters

    pred = networks.membership.rename(columns={"victim": "record_key", "network": "individual_id"})
    true = truth.rename(columns={"victim": "record_key", "network_id": "person_id"})
    s = score_clusters(pred, true)
    return {"pair_precision": s.pair_precision, "pair_recall": s.pair_recall, "pair_f1": s.pair_f1,
            "networks_found": s.individuals_predicted, "networks_true": s.individuals_true, "victims": s.records}

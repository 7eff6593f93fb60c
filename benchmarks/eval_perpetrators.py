"""Perpetrator de-duplication and network recovery on simulated data with ground truth.

    .venv/bin/python benchmarks/eval_perpetrators.py --records 3000 --seed 3

Simulates the records (`ctdata simulate`, which writes perpetrators.csv and perpetrators_truth.csv),
de-duplicates the perpetrator rows (`linkage.perpetrators.dedupe`, on the rows plus the victim's
country of exploitation), builds the networks (`analytics.networks`) with victims as case records
and prints one JSON object: pairwise precision, recall and F1 of the perpetrator persons, and of
victim membership in networks, with the adjusted Rand index of the networks (scikit-learn, bench extra).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()

    from ctdata.analytics.networks import build_graph, find_networks, score_networks
    from ctdata.linkage.evaluate import score_clusters
    from ctdata.linkage.perpetrators import dedupe
    from ctdata.simulate.generator import simulate

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        simulate(args.records, seed=args.seed, out=out, progress=False)
        rows = pd.read_csv(out / "perpetrators.csv", dtype=str, keep_default_na=False)
        truth = pd.read_csv(out / "perpetrators_truth.csv", dtype=str, keep_default_na=False)
        records = pd.read_csv(out / "records.csv", dtype=str, keep_default_na=False)
    rows["row_key"] = truth["record_id"] + "#" + truth["row"]
    rows = rows.merge(records[["record_id", "country_of_exploitation"]], on="record_id", how="left")
    t0 = time.perf_counter()
    persons = dedupe(rows)
    seconds = time.perf_counter() - t0
    s = score_clusters(persons.rename(columns={"row_key": "record_key", "perpetrator_id": "individual_id"}),
                       pd.DataFrame({"record_key": rows["row_key"], "person_id": truth["perpetrator_id"]}))
    ids = dict(zip(persons["row_key"], persons["perpetrator_id"], strict=True))
    nets = find_networks(build_graph(pd.DataFrame({"victim": rows["record_id"],
                                                   "perpetrator": [ids[k] for k in rows["row_key"]]})))
    victims = truth.drop_duplicates("record_id").rename(columns={"record_id": "victim"})[["victim", "network_id"]]
    net = score_networks(nets, victims)
    from sklearn.metrics import adjusted_rand_score

    m = nets.membership.merge(victims, on="victim")
    print(json.dumps({
        "records": args.records, "seed": args.seed, "perpetrator_rows": len(rows),
        "perpetrators_true": s.individuals_true, "perpetrators_found": s.individuals_predicted,
        "perpetrator_pair_precision": round(s.pair_precision, 4), "perpetrator_pair_recall": round(s.pair_recall, 4),
        "perpetrator_pair_f1": round(s.pair_f1, 4),
        "network_pair_precision": round(net["pair_precision"], 4), "network_pair_recall": round(net["pair_recall"], 4),
        "network_pair_f1": round(net["pair_f1"], 4),
        "network_adjusted_rand": round(float(adjusted_rand_score(m["network_id"], m["network"])), 4),
        "networks_true": net["networks_true"], "networks_found": net["networks_found"],
        "dedupe_seconds": round(seconds, 1),
    }, indent=1))


if __name__ == "__main__":
    main()

"""Linkage speed, memory and quality (issue 5).

Goals: link 1,000,000 simulated records end to end (features, training, scoring,
clustering) on 2 cores in under 10 minutes with peak memory under 8 GB; and, in
the same run on 50,000 records, compare speed and F1 with the Python
recordlinkage toolkit configured for the same fields (normalised names, sorted
neighbourhood on the full name plus blocking on birth date, Jaro-Winkler names,
exact birth date, sex, citizenship and office, unsupervised ECM classifier,
connected components).

Each measured run is its own process so that its peak memory (max RSS) is its
own. Data comes from `ctdata.simulate` (seeds not used for tuning); the features
table is built as in eval_linkage.py (with age columns and id_document_key).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

SEED = 11

SIMULATE = """
from pathlib import Path
from ctdata.simulate.generator import simulate
simulate(records={n}, seed={seed}, out=Path({out!r}), progress=False)
OUT = {{}}
"""

CTDATA = """
import sys, time, pandas as pd
sys.path.insert(0, {bench!r})
from eval_linkage import features_from_records
from ctdata.linkage.engine import link_frame
from ctdata.linkage.evaluate import score_clusters
from ctdata.linkage.settings import LinkageSettings
rec = pd.read_csv({out!r} + "/records.csv", dtype=str, keep_default_na=False, na_values=[""])
truth = pd.read_csv({out!r} + "/truth.csv", dtype=str).rename(columns={{"record_id": "record_key"}})
t = time.perf_counter()
res = link_frame(features_from_records(rec), LinkageSettings(), threads=2, keep_model=False)
dt = time.perf_counter() - t
s = score_clusters(res.clusters, truth)
OUT = {{"seconds": dt, "records": len(rec), "pairs": len(res.pairs), **res.timings, **s.as_dict()}}
"""

RECORDLINKAGE = """
import time, pandas as pd, recordlinkage, networkx as nx
from anyascii import anyascii
from ctdata.linkage.evaluate import score_clusters
rec = pd.read_csv({out!r} + "/records.csv", dtype=str, keep_default_na=False)
truth = pd.read_csv({out!r} + "/truth.csv", dtype=str).rename(columns={{"record_id": "record_key"}})
t = time.perf_counter()
norm = lambda s: anyascii(s).lower().strip()
df = pd.DataFrame({{
    "given": rec["given_name"].map(norm), "family": rec["family_name"].map(norm),
    "dob": rec["date_of_birth"].replace("", None), "sex": rec["sex"].replace("unknown", None),
    "cit": rec["citizenship"].replace("", None), "office": rec["office_country"],
}}).set_index(rec["record_id"].to_numpy())
df["full"] = df["given"] + " " + df["family"]
idx = recordlinkage.Index()
idx.sortedneighbourhood("full", window=9)
idx.block("dob")
pairs = idx.index(df)
cmp = recordlinkage.Compare()
cmp.string("given", "given", method="jarowinkler", threshold=0.85, label="given")
cmp.string("family", "family", method="jarowinkler", threshold=0.85, label="family")
cmp.exact("dob", "dob", label="dob")
cmp.exact("sex", "sex", label="sex")
cmp.exact("cit", "cit", label="cit")
cmp.exact("office", "office", label="office")
feats = cmp.compute(pairs, df)
matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(feats)
g = nx.Graph(); g.add_nodes_from(df.index); g.add_edges_from(matches)
clusters = pd.DataFrame([(k, i) for i, comp in enumerate(nx.connected_components(g)) for k in comp],
                        columns=["record_key", "cluster"])
dt = time.perf_counter() - t
s = score_clusters(clusters, truth)
OUT = {{"seconds": dt, "records": len(rec), "pairs": len(pairs), **s.as_dict()}}
"""


def _child(code: str) -> dict:
    """Run code in a fresh interpreter; it prints one JSON line; its max RSS is added."""
    wrapper = (
        code
        + "\nimport resource, json as _j\nprint('@@' + _j.dumps({**OUT, 'rss_mb': "
        + "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", wrapper],
        capture_output=True,
        text=True,
        timeout=7200,
        env={**os.environ, "CTDATA_PROGRESS": "0"},
    )
    if r.returncode != 0:
        tail = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "benchmark child failed"
        raise RuntimeError(tail)
    line = [x for x in r.stdout.splitlines() if x.startswith("@@")][-1]
    return json.loads(line[2:])


def _row(benchmark, measure, value, unit, goal, ok, baseline="", baseline_value=None) -> dict:
    ratio = (value / baseline_value) if baseline_value else None
    return {
        "benchmark": benchmark,
        "measure": measure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio,
        "goal": goal,
        "ok": ok,
    }


def run(quick: bool = False) -> list[dict]:
    big, small = (50_000, 10_000) if quick else (1_000_000, 50_000)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        big_dir, small_dir = f"{tmp}/big", f"{tmp}/small"
        _child(SIMULATE.format(n=big, seed=SEED, out=big_dir))
        _child(SIMULATE.format(n=small, seed=SEED + 1, out=small_dir))

        bench = os.path.dirname(os.path.abspath(__file__))
        b = _child(CTDATA.format(out=big_dir, bench=bench))
        name = f"link {b['records']:,} records"
        rows.append(_row(name, "end-to-end time", b["seconds"], "s", "< 600 s on 2 cores", b["seconds"] < 600))
        rows.append(_row(name, "peak memory", b["rss_mb"], "MB", "< 8192 MB", b["rss_mb"] < 8192))
        rows.append(_row(name, "pairwise F1", b["pair_f1"], "", ">= 0.95", b["pair_f1"] >= 0.95))
        rows.append(_row(name, "cluster F1", b["cluster_f1"], "", ">= 0.95", b["cluster_f1"] >= 0.95))
        rows.append(
            _row(
                name,
                "error in count of individuals",
                b["individuals_error"],
                "",
                "within +-2%",
                abs(b["individuals_error"]) <= 0.02,
            )
        )

        c = _child(CTDATA.format(out=small_dir, bench=bench))
        r = _child(RECORDLINKAGE.format(out=small_dir))
        name = f"ctdata vs recordlinkage, {c['records']:,} records"
        rows.append(
            _row(
                name,
                "time",
                c["seconds"],
                "s",
                "faster than recordlinkage",
                c["seconds"] < r["seconds"],
                "recordlinkage toolkit",
                r["seconds"],
            )
        )
        rows.append(
            _row(
                name,
                "pairwise F1",
                c["pair_f1"],
                "",
                "higher than recordlinkage",
                c["pair_f1"] > r["pair_f1"],
                "recordlinkage toolkit",
                r["pair_f1"],
            )
        )
        rows.append(
            _row(
                name,
                "cluster F1",
                c["cluster_f1"],
                "",
                "higher than recordlinkage",
                c["cluster_f1"] > r["cluster_f1"],
                "recordlinkage toolkit",
                r["cluster_f1"],
            )
        )
        rows.append(
            _row(
                name,
                "error in count of individuals",
                c["individuals_error"],
                "",
                "closer to 0 than recordlinkage",
                abs(c["individuals_error"]) < abs(r["individuals_error"]),
                "recordlinkage toolkit",
                r["individuals_error"],
            )
        )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))

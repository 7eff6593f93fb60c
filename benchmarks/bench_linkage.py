"""Linkage speed, memory and quality (issue 5).

Goals: link 1,000,000 simulated records end to end (features, training, scoring,
clustering) on 2 cores in under 10 minutes with peak memory under 8 GB; and, in
the same run on 50,000 records, compare speed and F1 with the Python
recordlinkage toolkit set up as fairly as we can: the same normalised features
(ctdata's transliterated names with variant, sound and skeleton keys, parsed
partial dates), the same candidate pairs (ctdata's blocking rules, run in
DuckDB inside its timed section), agreement features for the same fields
(exact and Jaro-Winkler names, name keys, birth date parts, age-derived birth
year, sex, citizenship, office, agency, referral, registration within six
months, document key, country and start of exploitation), its unsupervised ECM classifier and connected
components. What differs is the model: ECM on binary agreements against
ctdata's Fellegi-Sunter levels, term frequencies, self-labelled m values and
constrained clustering.

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
import sys, time, duckdb, pandas as pd, recordlinkage, networkx as nx
sys.path.insert(0, {bench!r})
from eval_linkage import features_from_records
from ctdata.linkage.evaluate import score_clusters
from ctdata.linkage.features import build_features
from ctdata.linkage.blocking import default_blocking_rules
rec = pd.read_csv({out!r} + "/records.csv", dtype=str, keep_default_na=False, na_values=[""])
truth = pd.read_csv({out!r} + "/truth.csv", dtype=str).rename(columns={{"record_id": "record_key"}})
t = time.perf_counter()
# The same normalised features (transliterated names, variant, sound and skeleton keys, parsed dates)
f = build_features(features_from_records(rec))
if "citizenship" in f:
    f["citizenship"] = f["citizenship"].map(lambda v: None if v is None else ";".join(v))
# and the same candidate pairs: ctdata's blocking rules, run as one DuckDB query each
con = duckdb.connect()
con.execute("SET threads=2")
con.register("f", f)
rules = default_blocking_rules([c for c in f.columns if c != "record_key"])
sql = " UNION ".join(
    f"SELECT l.record_key AS a, r.record_key AS b FROM f l JOIN f r ON ({{rule}}) AND l.record_key < r.record_key"
    for rule in rules
)
cand = con.execute(sql).df()
df = f.set_index("record_key")
pairs = pd.MultiIndex.from_arrays([cand["a"], cand["b"]])
# the same fields compared, as recordlinkage's agreement features (its ECM classifier takes binary ones)
cmp = recordlinkage.Compare(n_jobs=2)
cmp.exact("name_full", "name_full", label="name_same")
cmp.exact("name_var", "name_var", label="name_variants")
cmp.string("name_var", "name_var", method="jarowinkler", threshold=0.92, label="name_jw")
cmp.string("name_var_ord", "name_var_ord", method="jarowinkler", threshold=0.92, label="name_jw_order")
cmp.exact("name_dm", "name_dm", label="name_sound")
cmp.exact("name_skel", "name_skel", label="name_skeleton")
cmp.exact("tok_a", "tok_a", label="token_a")
cmp.exact("tok_b", "tok_b", label="token_b")
for col in ("dob_full", "dob_y", "dob_m", "sex", "citizenship", "office_country", "agency", "doc_key",
            "exp_country", "exp_start", "exp_y"):
    if col in df:
        cmp.exact(col, col, label=col)
if "referral_from_office" in df:
    cmp.exact("referral_from_office", "office_country", label="referral")
if "by_lo" in df:
    cmp.numeric("by_lo", "by_lo", method="step", offset=1, label="birth_year_range")
if "reg_days" in df:
    cmp.numeric("reg_days", "reg_days", method="step", offset=180, label="registered_within_6_months")
feats = cmp.compute(pairs, df)
matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(feats.fillna(0))
g = nx.Graph(); g.add_nodes_from(df.index); g.add_edges_from(matches)
clusters = pd.DataFrame([(k, i) for i, comp in enumerate(nx.connected_components(g)) for k in comp],
                        columns=["record_key", "cluster"])
dt = time.perf_counter() - t
s = score_clusters(clusters, truth)
OUT = {{"seconds": dt, "records": len(rec), "pairs": len(pairs), **s.as_dict()}}
"""


def _child(code: str, *, timeout: float = 7200, with_children: bool = False) -> dict:
    """Run code in a fresh interpreter; it prints one JSON line; its max RSS is added.

    `with_children` takes the larger of the child's and its own children's peak (a Spark JVM still
    runs when the child measures itself, so its memory is not in the figure either way).
    """
    usage = "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss"
    if with_children:
        usage = f"max({usage}, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    wrapper = code + f"\nimport resource, json as _j\nprint('@@' + _j.dumps({{**OUT, 'rss_mb': {usage} / 1024}}))\n"
    r = subprocess.run(
        [sys.executable, "-c", wrapper],
        capture_output=True,
        text=True,
        timeout=timeout,
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
        r = _child(RECORDLINKAGE.format(out=small_dir, bench=bench))
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

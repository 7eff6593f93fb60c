"""Linkage on Spark local[2] beside DuckDB, in the same run, and what a 10-node cluster would take.

    python benchmarks/bench_spark.py [--records 1000000] [--nodes 10 --cores-per-node 8 --target 20000000]
    python benchmarks/run.py --only spark            (1,000,000 records; --quick: 20,000)
    python benchmarks/bench_spark.py --records 50000 --stages stages.jsonl   (each stage written as it ends)
    python benchmarks/bench_spark.py --pairs-at 20000 200000 1000000        (candidate pairs only: the exponent)

Both backends link the same simulated records with the same settings (features,
blocking rules, training, clustering are one definition; only the database that
runs Splink's SQL differs), each in its own process so that its peak memory is
its own. The table gives each stage's seconds on Spark beside DuckDB's with the
ratio, the candidate and scored pair counts, and the F1 of each against the
truth and against each other. Then `cluster_estimate` (the model of
docs/spark-scaling.md) turns the measured Spark stage times and pair counts into
an estimate for `--target` records on `--nodes` nodes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from bench_linkage import _child as _run_child

SEED = 11
HERE = Path(__file__).resolve().parent
STAGES_FILE = Path(tempfile.gettempdir()) / "ctdata-bench-spark-stages.jsonl"

SIMULATE = """
from pathlib import Path
from ctdata.simulate.generator import simulate
simulate(records={n}, seed={seed}, out=Path({out!r}), progress=False)
OUT = {{}}
"""

LINK = """
import json, sys, time, duckdb, pandas as pd
sys.path.insert(0, {bench!r})
from eval_linkage import features_from_records
from ctdata import spark_session
from ctdata.linkage.blocking import blocked_pairs_sql, plan_blocking
from ctdata.linkage.backends import ROW_ID, _to_arrow, _with_row_ids
from ctdata.linkage.engine import link_frame
from ctdata.linkage.evaluate import score_clusters
from ctdata.linkage.features import build_features
from ctdata.linkage.settings import LinkageSettings
backend = {backend!r}
if backend == "spark":
    t = time.perf_counter()
    spark_session.session(spark_session.SparkSettings(master={master!r}, driver_memory={driver_memory!r},
                                                      shuffle_partitions={partitions}, page_size={page_size!r}))
    start = time.perf_counter() - t
else:
    start = 0.0
def log(**kv):
    # each stage as it ends, so a run that cannot finish still leaves what it measured
    if {stages!r}:
        with open({stages!r}, "a") as fh:
            fh.write(json.dumps({{"records": {n}, "backend": backend, **kv, "at": time.time()}}) + "\\n")
log(stage="session_s", seconds=start)
import logging, re
steps = {{}}
class _Steps(logging.Handler):
    # training's step lines ("training step <name>: <s> s") as stages of their own
    def emit(self, record):
        m = re.fullmatch(r"training step (.+): ([0-9.]+) s", record.getMessage())
        if m:
            steps[m.group(1)] = steps.get(m.group(1), 0.0) + float(m.group(2))
            log(stage="training_step", step=m.group(1), seconds=float(m.group(2)))
_h = _Steps(); _h.setLevel(logging.INFO)
logging.getLogger("ctdata.linkage.training").addHandler(_h)
logging.getLogger("ctdata.linkage.training").setLevel(logging.INFO)
rec = pd.read_csv({out!r} + "/records.csv", dtype=str, keep_default_na=False, na_values=[""])
truth = pd.read_csv({out!r} + "/truth.csv", dtype=str).rename(columns={{"record_id": "record_key"}})
feats = features_from_records(rec)
# candidate pairs (the blocking rules' output, before scoring): counted on DuckDB outside the timed run
con = duckdb.connect(); con.execute("SET threads=2")
f = build_features(feats)
plan = plan_blocking(f, LinkageSettings())
con.register("f", _with_row_ids(_to_arrow(plan.table(f))))
candidates = con.execute(f"SELECT count(*) FROM ({{blocked_pairs_sql('f', plan.rules)}})").fetchone()[0]
con.close(); del f
log(stage="candidate_pairs", value=int(candidates), **plan.summary())
t = time.perf_counter()
res = link_frame(feats, LinkageSettings(backend=backend), threads=2, keep_model=False,
                 on_stage=lambda k, v: log(stage=k, seconds=v))
dt = time.perf_counter() - t
s = score_clusters(res.clusters, truth)
log(stage="scores", scored_pairs=len(res.pairs), **s.as_dict())
res.clusters.to_parquet({out!r} + "/clusters_" + backend + ".parquet")
OUT = {{"seconds": dt, "session_s": start, "records": len(rec), "candidate_pairs": int(candidates),
        "scored_pairs": len(res.pairs), **res.timings, **s.as_dict(), "blocking": res.blocking,
        "training_steps": steps}}
"""

PAIRS = """
import sys, time, duckdb, pandas as pd
sys.path.insert(0, {bench!r})
from eval_linkage import features_from_records
from ctdata.linkage.blocking import blocked_pairs_sql, plan_blocking
from ctdata.linkage.backends import _to_arrow, _with_row_ids
from ctdata.linkage.features import build_features
from ctdata.linkage.settings import LinkageSettings
rec = pd.read_csv({out!r} + "/records.csv", dtype=str, keep_default_na=False, na_values=[""])
t = time.perf_counter()
f = build_features(features_from_records(rec))
features_s = time.perf_counter() - t
t = time.perf_counter()
plan = plan_blocking(f, LinkageSettings(block_pairs_per_record={budget}))
plan_s = time.perf_counter() - t
con = duckdb.connect(); con.execute("SET threads=2")
con.register("f", _with_row_ids(_to_arrow(plan.table(f))))
t = time.perf_counter()
n = con.execute(f"SELECT count(*) FROM ({{blocked_pairs_sql('f', plan.rules)}})").fetchone()[0]
OUT = {{"records": len(rec), "candidate_pairs": int(n), "features_s": features_s, "plan_s": plan_s,
        "blocking_s": time.perf_counter() - t, "budget": {budget}, **plan.summary()}}
"""

AGREE = """
import pandas as pd
from ctdata.linkage.evaluate import score_clusters
a = pd.read_parquet({out!r} + "/clusters_spark.parquet")
b = pd.read_parquet({out!r} + "/clusters_duckdb.parquet").rename(columns={{"individual_id": "person_id"}})
OUT = score_clusters(a, b).as_dict()
"""


def _child(code: str) -> dict:
    """Run code in a fresh interpreter (bench_linkage's runner, with Spark's longer limit)."""
    return _run_child(code, timeout=4 * 3600, with_children=True)


# ----------------------------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class ClusterShape:
    """The cluster the estimate is for (see docs/spark-scaling.md for every assumption)."""

    nodes: int = 10
    cores_per_node: int = 8
    #: share of ideal speed-up a Spark join keeps across machines (shuffles over the network)
    efficiency: float = 0.6
    #: how candidate pairs grow with records: pairs ~ records ** exponent. 1 once the one budget of pairs
    #: (settings.block_pairs_per_record x records) binds at the measured size, as it does at 1,000,000 simulated
    #: records; below that size the rules' own growth shows (1.77 from 20,000 to 200,000 without the budget
    #: binding, --pairs-at)
    pair_exponent: float = 1.0
    #: the driver (features in pandas, clustering in Python) runs on one machine this much faster than
    #: one core of the benchmark machine, by having the machine to itself
    driver_speedup: float = 1.0


def cluster_estimate(measured: dict, target: int, shape: ClusterShape, local_cores: int = 2) -> dict:
    """Seconds per stage for `target` records on `shape`, from one measured Spark run on `local_cores`.

    Distributed stages (training's SQL, scoring) scale with their work (pairs) over the cluster's
    cores at `efficiency`; driver stages (features, clustering, collecting scored pairs) scale with
    their input on one machine and do not get faster with more nodes. Training samples a fixed
    number of pairs (u_max_pairs, em_max_pairs), so only its blocking passes grow with the data.
    With the run's training steps (`training_steps`, from training.step's log lines) training is
    split by what each step's work grows with: handing the features to Spark ("register features",
    Arrow from the driver) with the records, on the driver; u by random sampling (a fixed sample of
    pairs, a fixed number of small jobs) not at all; the other steps (the prior's and the sure pairs'
    joins over all records, each EM pass's blocking, namesake u) with the pairs, over the cluster.
    Without them, half of training is taken as fixed.
    """
    n = measured["records"]
    scale_records = target / n
    scale_pairs = scale_records**shape.pair_exponent
    speedup = shape.nodes * shape.cores_per_node * shape.efficiency / local_cores
    est = {
        "features_s": measured["features_s"] * scale_records / shape.driver_speedup,
        # the block plan: group-bys of the features on the driver (pandas), linear in the records
        "blocking_s": measured.get("blocking_s", 0.0) * scale_records / shape.driver_speedup,
        "training_s": _training_estimate(measured, scale_records, scale_pairs, speedup, shape.driver_speedup),
        "predict_s": measured["predict_s"] * scale_pairs / speedup,
        "cluster_s": measured["cluster_s"] * scale_pairs / shape.driver_speedup,
    }
    est["total_s"] = sum(est.values())
    est["candidate_pairs"] = measured["candidate_pairs"] * scale_pairs
    est["scored_pairs"] = measured["scored_pairs"] * scale_pairs
    return {"target_records": target, **asdict(shape), **{k: round(v, 1) for k, v in est.items()}}


def _training_estimate(measured: dict, scale_records: float, scale_pairs: float, speedup: float,
                       driver_speedup: float) -> float:
    steps = measured.get("training_steps") or {}
    if not steps:  # about half fixed (sampled pairs, job overheads), half the EM blocks, which grow with pairs
        return measured["training_s"] * (0.5 + 0.5 * scale_pairs / speedup)
    register = steps.get("register features", 0.0)
    fixed = steps.get("u_sampling", 0.0)
    rest = max(measured["training_s"] - register - fixed, 0.0)
    return register * scale_records / driver_speedup + fixed + rest * scale_pairs / speedup


# ----------------------------------------------------------------------------------------------- the run
def measure(records: int, master: str = "local[2]", driver_memory: str = "6g", partitions: int = 8,
            stages: Path | None = None, data: Path | None = None, page_size: str = "2m") -> dict:
    """Simulate `records`, link them on DuckDB and on Spark (each in its own process); both results.

    With `stages`, every stage's seconds (and the pair counts and scores) are appended to that file as
    JSON lines as they are measured: a run stopped early leaves the stages it finished. With `data`, the
    simulated records are kept in (or, when there, read from) that folder: records.csv and truth.csv
    of `records` records, seed SEED.
    """
    bench = str(HERE)
    log = str(stages) if stages else ""
    with tempfile.TemporaryDirectory() as scratch:
        tmp = str(data) if data else scratch
        if not (Path(tmp) / "truth.csv").exists():
            _child(SIMULATE.format(n=records, seed=SEED, out=tmp))
        duck = _child(LINK.format(bench=bench, out=tmp, backend="duckdb", master=master, n=records,
                                  driver_memory=driver_memory, partitions=partitions, stages=log, page_size=page_size))
        spark = _child(LINK.format(bench=bench, out=tmp, backend="spark", master=master, n=records,
                                   driver_memory=driver_memory, partitions=partitions, stages=log,
                                   page_size=page_size))
        agree = _child(AGREE.format(out=tmp))
    return {"duckdb": duck, "spark": spark, "agreement": agree}


def pair_growth(sizes: list[int], stages: Path | None = None, budget: float | None = None,
                data: Path | None = None) -> dict:
    """Candidate pairs of the blocking rules at each size (DuckDB; features on the driver, as in linkage),
    and the exponent e of pairs ~ records ** e fitted between the smallest and the largest size: the
    model's `pair_exponent`, measured instead of assumed. `budget`: the rules' pairs per record
    (settings.block_pairs_per_record; default the settings' own, 0 without caps). With `data`, each
    size's records are kept in (or read from) data/nN."""
    from ctdata.linkage.settings import LinkageSettings

    budget = LinkageSettings().block_pairs_per_record if budget is None else budget
    bench, out = str(HERE), []
    for n in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            tmp = str(data / f"n{n}") if data else scratch
            if not (Path(tmp) / "records.csv").exists():
                _child(SIMULATE.format(n=n, seed=SEED, out=tmp))
            row = _child(PAIRS.format(bench=bench, out=tmp, budget=budget))
        out.append(row)
        if stages:
            with open(stages, "a") as fh:
                fh.write(json.dumps({"pairs_at": n, **row}) + "\n")
    lo, hi = out[0], out[-1]
    e = (math.log(hi["candidate_pairs"] / lo["candidate_pairs"]) / math.log(hi["records"] / lo["records"])
         if len(out) > 1 else None)
    return {"sizes": out, "pair_exponent": e}


def _row(measure_: str, value: float | None, unit: str, baseline_value: float | None, goal: str = "",
         ok: bool | None = None, name: str = "") -> dict:
    return {
        "benchmark": name,
        "measure": measure_,
        "value": value,
        "unit": unit,
        "baseline": "DuckDB, same run" if baseline_value is not None else "",
        "baseline_value": baseline_value,
        "ratio": (value / baseline_value) if (baseline_value and value is not None) else None,
        "goal": goal,
        "ok": ok,
    }


def rows_of(m: dict) -> list[dict]:
    s, d, a = m["spark"], m["duckdb"], m["agreement"]
    name = f"Spark local[2] vs DuckDB, {s['records']:,} records"
    rows = [_row(f"{k.removesuffix('_s')} time", s[k], "s", d[k], name=name)
            for k in ("features_s", "blocking_s", "training_s", "predict_s", "cluster_s", "total_s")]
    rows.append(_row("Spark session start", s["session_s"], "s", None, name=name))
    rows.append(_row("peak memory (Python; Spark's JVM not counted)", s["rss_mb"], "MB", d["rss_mb"], name=name))
    rows.append(_row("candidate pairs", s["candidate_pairs"], "", d["candidate_pairs"], name=name))
    rows.append(_row("scored pairs kept", s["scored_pairs"], "", d["scored_pairs"], name=name))
    rows.append(_row("pairwise F1 vs truth", s["pair_f1"], "", d["pair_f1"], "within 0.005 of DuckDB",
                     abs(s["pair_f1"] - d["pair_f1"]) <= 0.005, name=name))
    rows.append(_row("pairwise F1 Spark vs DuckDB", a["pair_f1"], "", None, ">= 0.995", a["pair_f1"] >= 0.995,
                     name=name))
    return rows


def run(quick: bool = False) -> list[dict]:
    """For benchmarks/run.py: 1,000,000 records (20,000 with --quick), and the 10-node estimate.

    Each stage is also appended to STAGES_FILE as it ends, so a run stopped early leaves its stages."""
    m = measure(20_000 if quick else 1_000_000, stages=STAGES_FILE)
    rows = rows_of(m)
    est = cluster_estimate(m["spark"], 20_000_000, ClusterShape())
    rows.append(_row("estimate: 20M records, 10 nodes x 8 cores", est["total_s"], "s", None,
                     name="model (docs/spark-scaling.md)"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="6g", help="Spark driver memory (the machine is shared: 6g)")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--page-size", default="2m", help="Spark's page size (spark_session.SparkSettings.page_size)")
    ap.add_argument("--target", type=int, default=20_000_000, help="records of the cluster estimate")
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--cores-per-node", type=int, default=8)
    ap.add_argument("--pair-exponent", type=float, default=ClusterShape.pair_exponent)
    ap.add_argument("--json", type=Path, help="also write the measurements and the estimate as JSON")
    ap.add_argument("--stages", type=Path, help="append each stage's figures to this file as they are measured")
    ap.add_argument("--pairs-at", type=int, nargs="+", metavar="N",
                    help="only count candidate pairs at these sizes and fit the pair exponent (no linkage)")
    ap.add_argument("--budget", type=float, help="with --pairs-at: block_pairs_per_record (0: no caps)")
    ap.add_argument("--data", type=Path, help="keep the simulated records in this folder and reuse them")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    if args.pairs_at:
        g = pair_growth(args.pairs_at, args.stages, args.budget, args.data)
        for r in g["sizes"]:
            print(f"{r['records']:>10,} records: {r['candidate_pairs']:>12,} candidate pairs "
                  f"({r['candidate_pairs'] / r['records']:.2f} per record; features {r['features_s']:.0f} s, "
                  f"blocking {r['blocking_s']:.0f} s)")
        if g["pair_exponent"] is not None:
            print(f"pair exponent (pairs ~ records ** e): e = {g['pair_exponent']:.3f}")
        return
    from rich.console import Console
    from rich.table import Table
    from run import _fmt

    m = measure(args.records, args.master, args.driver_memory, args.partitions, args.stages, args.data,
                args.page_size)
    shape = ClusterShape(nodes=args.nodes, cores_per_node=args.cores_per_node, pair_exponent=args.pair_exponent)
    est = cluster_estimate(m["spark"], args.target, shape)
    t = Table(title=f"linkage on Spark {args.master} beside DuckDB (2 threads), {args.records:,} records")
    for c in ("measure", "Spark", "unit", "DuckDB", "ratio", "goal", "ok"):
        t.add_column(c, justify="right" if c in ("Spark", "DuckDB", "ratio") else "left")
    for r in rows_of(m):
        ok = r["ok"]
        t.add_row(r["measure"], _fmt(r["value"]), r["unit"], _fmt(r["baseline_value"]), _fmt(r["ratio"]), r["goal"],
                  "" if ok is None else ("yes" if ok else "no"))
    console = Console(width=160)
    console.print(t)
    e = Table(title=f"estimate: {args.target:,} records on {args.nodes} nodes x {args.cores_per_node} cores "
                    "(model and assumptions: docs/spark-scaling.md)")
    e.add_column("stage")
    e.add_column("seconds", justify="right")
    for k in ("features_s", "blocking_s", "training_s", "predict_s", "cluster_s", "total_s"):
        e.add_row(k.removesuffix("_s"), _fmt(est[k]))
    e.add_row("candidate pairs", _fmt(est["candidate_pairs"]))
    console.print(e)
    console.print(f"total: about {est['total_s'] / 60:.0f} minutes ({math.ceil(est['total_s'] / 3600)} h at most)")
    if args.json:
        args.json.write_text(json.dumps({"measured": m, "estimate": est}, indent=2, default=str))


if __name__ == "__main__":
    main()

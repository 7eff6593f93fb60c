"""Linkage on public benchmarks with ground truth: ctdata beside plain Splink (and recordlinkage's ECM).

    .venv/bin/python benchmarks/eval_public_linkage.py                 # every data set, every method
    .venv/bin/python benchmarks/eval_public_linkage.py --datasets febrl3 --methods ctdata splink
    .venv/bin/python benchmarks/eval_public_linkage.py --methods ctdata --set threshold=0.5   # ctdata settings

Data sets (see linkage_public.py and the README beside the data): FEBRL 3, Splink's fake_1000 and
historical_figures_with_errors_50k, and for comparison ctdata's own simulator (`simulated`: 5,000
records, held-out seed 4) and a second generator written to break the simulator's assumptions
(benchmarks/independent_gen.py, 2,000 persons, never tuned on: `independent`, 12% of records without
a date of birth; `independent_dated` and `independent_dated_2`, seeds 1 and 2 of the variant where
every record is dated, as the issue that asked for it specified); on these Splink
gets its fake_1000 tutorial settings on names and date of birth. The simulator's tuning seeds 1-3 are
sets too (`sim_tune_<seed>`, every column; `sim_tune_<seed>_bare`, only the columns of the issue's
independent data: names, birth date, sex, citizenship, offices, registration, country of exploitation;
`sim_tune_<seed>_namesakes`, 20,000 records of those columns with small Zipf name pools and every
record dated, where the date of birth decides: linkage_public.with_namesakes):
linkage changes are chosen on these, FEBRL 3 and fake_1000, and the check sets run after.
Each is mapped onto ctdata's import template; what ctdata gets
(names, date of birth, sex, an identity document number) is all any method gets:

- ctdata: the template rows, turned into the features table as the pipeline does
  (eval_linkage.features_from_records), linked by `link_frame` with default settings.
- ctdata-cols: the same, blocking on the rules of the columns present only, without the wider nets
  the data afford (blocking.affordable_nets): ctdata as it was before those nets.
- ctdata-auto: the default settings but threshold None: the threshold chosen from the run's own
  scored pairs (the cut of highest expected F1 under the model's probabilities).
- ctdata-labels: ctdata, then the first REVIEWS (100) pairs of its review queue decided as the truth
  says (a reviewer who is always right), then ctdata again with those decisions as labels (forced and
  forbidden links), calibration off (what the default settings do with reviewed pairs).
- ctdata-reviewed: the same, with the probabilities calibrated on the decisions and the threshold
  chosen from the calibrated probabilities (settings.review_calibration_min set to CALIBRATION_MIN,
  50; off by default; calibration.py). The row's `calibration` holds the fit.
- splink: the settings of Splink's own example for that data set (comparisons, blocking rules,
  prior from deterministic rules and a guessed recall, u by sampling, m by EM, the example's
  threshold), with every comparison and rule that reads a field ctdata does not get left out.
  It reads the raw columns, as in its example.
- oracle-alone, oracle-nearest (the second generator only): not methods but references for what its
  data allow. The generator knows each person's true name and date of birth; a record without a
  date of birth whose person shares that name, sex and nationality with another person, or with the
  year of birth only whose person shares those and the year, cannot be placed by any field (80% of
  persons have a namesake). Everything else is put with its person; the ambiguous records are left
  alone (oracle-alone: the F1 of a method that never guesses, at the cost of too many individuals)
  or put with the namesake registered nearest in time (oracle-nearest). See
  independent_gen.oracle_clusters.
- ecm: the `recordlinkage` toolkit's unsupervised ECM classifier on binary agreements of ctdata's
  normalised features, over ctdata's candidate pairs, clustered by connected components (as in
  bench_linkage.py); needs the bench extra.

Every method is scored by `ctdata.linkage.evaluate.score_clusters` against the same truth: pairwise
precision and recall over all pairs of records within the predicted and the true clusters, and the
error in the number of individuals ((clusters - persons) / persons). Time is the linking alone
(after reading and mapping); peak memory is the max RSS of the process that ran it (each run is
its own process, run one after another). Nothing is tuned on these sets.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from linkage_public import INDEPENDENT_PERSONS, INDEPENDENT_SETS  # noqa: E402

METHODS = (
    "ctdata-cols",
    "ctdata",
    "ctdata-auto",
    "ctdata-labels",
    "ctdata-reviewed",
    "splink",
    "ecm",
    "oracle-alone",
    "oracle-nearest",
)

#: Methods that apply to some data sets only (the others are skipped for them).
ONLY_FOR = {"oracle-alone": set(INDEPENDENT_SETS), "oracle-nearest": set(INDEPENDENT_SETS)}

#: Review decisions simulated for the 'reviewed' rows: the first REVIEWS pairs of ctdata's review queue.
REVIEWS = 100
#: Decisions that calibrate the probabilities in the ctdata-reviewed row (the setting is off by default).
CALIBRATION_MIN = 50


def run_ctdata(ds, threads: int, overrides: dict | None = None) -> tuple[pd.DataFrame, dict]:
    from eval_linkage import features_from_records

    from ctdata.linkage.engine import link_frame
    from ctdata.linkage.settings import LinkageSettings

    settings = LinkageSettings.from_dict(overrides or {})
    res = link_frame(features_from_records(ds.records), settings, threads=threads, keep_model=False)
    clusters = res.clusters.rename(columns={"individual_id": "cluster"})
    return clusters, {"threshold": res.threshold, "pairs": len(res.pairs)}


def run_ctdata_auto(ds, threads: int, overrides: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """ctdata with the threshold chosen from the run's own scored pairs (calibration.expected_f1_threshold)."""
    return run_ctdata(ds, threads, {**(overrides or {}), "threshold": None})


def review_labels(ds, res, n: int | None = None) -> pd.DataFrame:
    """The first `n` pairs of a run's review queue (most uncertain first), decided as a reviewer who
    knows the truth would decide them."""
    from ctdata.linkage.review import make_label

    person = ds.truth.assign(record_key=ds.truth["record_key"].astype(str)).set_index("record_key")["person_id"]
    q = res.review.next(REVIEWS if n is None else n)
    return pd.DataFrame(
        [
            make_label(a, b, "match" if person[str(a)] == person[str(b)] else "not_match", by="truth")
            for a, b in zip(q["record_key_l"], q["record_key_r"], strict=True)
        ]
    )


def run_ctdata_reviewed(
    ds, threads: int, overrides: dict | None = None, calibrate: bool = True
) -> tuple[pd.DataFrame, dict]:
    """ctdata, then REVIEWS decisions on its review queue, then ctdata again with them as labels:
    forced and forbidden links, and (with `calibrate`) probabilities calibrated on them and the
    threshold chosen from the calibrated probabilities (settings.review_calibration_min)."""
    from eval_linkage import features_from_records

    from ctdata.linkage.engine import link_frame
    from ctdata.linkage.settings import LinkageSettings

    calibration = {"review_calibration_min": CALIBRATION_MIN if calibrate else 0}
    settings = LinkageSettings.from_dict({**(overrides or {}), **calibration})
    feats = features_from_records(ds.records)
    first = link_frame(feats, settings, threads=threads, keep_model=False)
    labels = review_labels(ds, first)
    res = link_frame(feats, settings, labels=labels, threads=threads, keep_model=False)
    clusters = res.clusters.rename(columns={"individual_id": "cluster"})
    return clusters, {
        "threshold": res.threshold,
        "pairs": len(res.pairs),
        "reviewed": len(labels),
        "reviewed_matches": int((labels["decision"] == "match").sum()) if len(labels) else 0,
        "calibration": res.calibration,
    }


def run_ctdata_labels(ds, threads: int, overrides: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """As ctdata-reviewed, the decisions as forced and forbidden links only (no calibration)."""
    return run_ctdata_reviewed(ds, threads, overrides, calibrate=False)


def run_ctdata_columns(ds, threads: int, overrides: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """ctdata blocking on the rules of the columns present only, without the nets the data afford
    (blocking.affordable_nets): linkage as it was before the nets."""
    from eval_linkage import features_from_records

    from ctdata.linkage.blocking import default_blocking_rules
    from ctdata.linkage.features import build_features

    f = build_features(features_from_records(ds.records))
    rules = default_blocking_rules([c for c in f.columns if c != "record_key"])
    return run_ctdata(ds, threads, {**(overrides or {}), "blocking_rules": rules})


def run_splink(ds, threads: int, overrides: dict | None = None) -> tuple[pd.DataFrame, dict]:
    import logging

    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator

    s = ds.splink.restricted(set(ds.fields))
    df = ds.raw[[c for c in ds.raw.columns if c in ds.fields]]
    if s.prepare is not None:
        df = s.prepare(df)
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    db = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=s.unique_id,
        comparisons=[make() for _, make in s.comparisons],
        blocking_rules_to_generate_predictions=[r for _, r in s.blocking],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db.register(df), settings)
    logging.getLogger("splink").setLevel(logging.WARNING)
    if s.deterministic:
        linker.training.estimate_probability_two_random_records_match([r for _, r in s.deterministic], recall=s.recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=s.u_max_pairs, seed=1)
    for _, rule, kw in s.em:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, **kw)
    pred = linker.inference.predict(threshold_match_probability=s.threshold)
    n_pairs = len(pred.as_pandas_dataframe())
    cl = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=s.threshold)
    c = cl.as_pandas_dataframe()[[s.unique_id, "cluster_id"]]
    c = c.rename(columns={s.unique_id: "record_key", "cluster_id": "cluster"}).astype(str)
    return c, {"threshold": s.threshold, "pairs": int(n_pairs)}


def run_ecm(ds, threads: int, overrides: dict | None = None) -> tuple[pd.DataFrame, dict]:
    import duckdb
    import networkx as nx
    import recordlinkage
    from eval_linkage import features_from_records

    from ctdata.linkage.blocking import default_blocking_rules
    from ctdata.linkage.features import build_features

    f = build_features(features_from_records(ds.records))
    if "citizenship" in f:
        f["citizenship"] = f["citizenship"].map(lambda v: None if v is None else ";".join(v))
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    con.register("f", f)
    rules = default_blocking_rules([c for c in f.columns if c != "record_key"])
    cand = con.execute(
        " UNION ".join(
            f"SELECT l.record_key AS a, r.record_key AS b FROM f l JOIN f r ON ({rule}) AND l.record_key < r.record_key"
            for rule in rules
        )
    ).df()
    df = f.set_index("record_key")
    pairs = pd.MultiIndex.from_arrays([cand["a"], cand["b"]])
    cmp = recordlinkage.Compare(n_jobs=threads)
    cmp.exact("name_full", "name_full", label="name_same")
    cmp.exact("name_var", "name_var", label="name_variants")
    cmp.string("name_var", "name_var", method="jarowinkler", threshold=0.92, label="name_jw")
    cmp.string("name_var_ord", "name_var_ord", method="jarowinkler", threshold=0.92, label="name_jw_order")
    cmp.exact("name_dm", "name_dm", label="name_sound")
    cmp.exact("name_skel", "name_skel", label="name_skeleton")
    cmp.exact("tok_a", "tok_a", label="token_a")
    cmp.exact("tok_b", "tok_b", label="token_b")
    for col in ("dob_full", "dob_y", "dob_m", "sex", "citizenship", "doc_key"):
        if col in df:
            cmp.exact(col, col, label=col)
    if "by_lo" in df:
        cmp.numeric("by_lo", "by_lo", method="step", offset=1, label="birth_year_range")
    feats = cmp.compute(pairs, df)
    feats = feats.loc[:, feats.fillna(0).nunique() > 1]  # ECM cannot fit a column that never varies
    matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(feats.fillna(0))
    g = nx.Graph()
    g.add_nodes_from(df.index)
    g.add_edges_from(matches)
    clusters = pd.DataFrame(
        [(k, i) for i, comp in enumerate(nx.connected_components(g)) for k in comp], columns=["record_key", "cluster"]
    )
    return clusters, {"threshold": None, "pairs": len(pairs)}


def run_oracle(ds, how: str) -> tuple[pd.DataFrame, dict]:
    """The second generator's oracle reference `how` (independent_gen.oracle_clusters) on the rows of `ds`."""
    from independent_gen import generate_with_names, oracle_clusters

    records, truth, people = generate_with_names(INDEPENDENT_PERSONS, *INDEPENDENT_SETS[ds.name])
    if not records.equals(ds.records):
        raise ValueError("the oracle's rows are not the data set's rows")
    return oracle_clusters(records, truth, people, how), {"threshold": None, "pairs": 0}


RUNNERS = {
    "ctdata-cols": run_ctdata_columns,
    "ctdata": run_ctdata,
    "ctdata-auto": run_ctdata_auto,
    "ctdata-labels": run_ctdata_labels,
    "ctdata-reviewed": run_ctdata_reviewed,
    "splink": run_splink,
    "ecm": run_ecm,
    "oracle-alone": lambda ds, threads, overrides=None: run_oracle(ds, "alone"),
    "oracle-nearest": lambda ds, threads, overrides=None: run_oracle(ds, "nearest"),
}


def child(dataset: str, method: str, threads: int, overrides: dict | None = None) -> dict:
    """Run one method on one data set in this process; returns its scores, time and peak memory."""
    from linkage_public import DATASETS, validate

    from ctdata.linkage.evaluate import score_clusters

    ds = DATASETS[dataset]()
    validate(ds.records)  # the mapped rows are template rows: the importer would take every one
    t = time.perf_counter()
    clusters, extra = RUNNERS[method](ds, threads, overrides)
    seconds = time.perf_counter() - t
    # every record is scored: one a method left out of its output is a cluster of its own
    keys = ds.truth[["record_key"]].astype(str)
    c = keys.merge(clusters.astype({"record_key": str}), on="record_key", how="left")
    missing = c["cluster"].isna()
    c["cluster"] = c["cluster"].astype(object).where(~missing, "single:" + c["record_key"])
    s = score_clusters(c[["record_key", "cluster"]], ds.truth)
    return {
        "dataset": dataset,
        "method": method,
        "records": len(ds.truth),
        "persons": ds.persons,
        **extra,
        **s.as_dict(),
        "seconds": round(seconds, 1),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def evaluate(dataset: str, method: str, threads: int, overrides: dict | None = None) -> dict:
    r = subprocess.run(
        [sys.executable, __file__, "--child", dataset, method, "--threads", str(threads), "--reviews", str(REVIEWS)]
        + ["--set", *(f"{k}={json.dumps(v)}" for k, v in (overrides or {}).items())],
        capture_output=True,
        text=True,
        env={**os.environ, "CTDATA_PROGRESS": "0"},
    )
    if r.returncode != 0:
        tail = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "failed"
        return {"dataset": dataset, "method": method, "error": tail}
    return json.loads([x for x in r.stdout.splitlines() if x.startswith("@@")][-1][2:])


def table(rows: list[dict]) -> str:
    head = (
        f"{'dataset':<19} {'records':>7} {'persons':>7} {'method':<15} {'thresh':>6} {'precision':>9} {'recall':>7} "
        f"{'F1':>6} {'clusters':>8} {'indiv err':>9} {'time s':>7} {'peak MB':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['dataset']:<19} {'':>7} {'':>7} {r['method']:<15} failed: {r['error'][:90]}")
            continue
        thr = "" if r["threshold"] is None else f"{r['threshold']:.2f}"
        lines.append(
            f"{r['dataset']:<19} {r['records']:>7,} {r['persons']:>7,} {r['method']:<15} {thr:>6} "
            f"{r['pair_precision']:>9.4f} {r['pair_recall']:>7.4f} {r['pair_f1']:>6.4f} "
            f"{r['individuals_predicted']:>8,} {r['individuals_error']:>+9.2%} {r['seconds']:>7.1f} {r['rss_mb']:>7,}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    global REVIEWS
    from linkage_public import DATASETS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    ap.add_argument("--reviews", type=int, default=REVIEWS, help="review decisions for the reviewed rows")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    ap.add_argument("--set", nargs="*", default=[], help="ctdata linkage settings, e.g. threshold=0.5")
    ap.add_argument("--child", nargs=2, metavar=("DATASET", "METHOD"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    overrides = {k: json.loads(v) for k, _, v in (kv.partition("=") for kv in a.set)}
    REVIEWS = a.reviews
    if a.child:
        print("@@" + json.dumps(child(a.child[0], a.child[1], a.threads, overrides)), flush=True)
        return
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} cores)", flush=True)
    rows = []
    for d in a.datasets:
        for m in a.methods:
            if m in ONLY_FOR and d not in ONLY_FOR[m]:
                continue
            r = evaluate(d, m, a.threads, overrides if m.startswith("ctdata") else None)
            rows.append(r)
            print(json.dumps(r), flush=True)
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(table(rows))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

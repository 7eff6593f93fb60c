"""Linkage quality on simulated data: pairwise and cluster F1, error in individuals, time, memory.

    .venv/bin/python benchmarks/eval_linkage.py --records 100000 --seeds 4 6
    .venv/bin/python benchmarks/eval_linkage.py --records 20000 --seeds 1 --settings my.json

Each (size, seed) is simulated once into --cache (default /tmp/ctdata-linkage-eval) and linked in
a fresh process so that its peak memory (max RSS) is its own. The features table is what the
pipeline hands to `link_frame`: the restricted person fields plus `age_at_registration`, `age_band`
and `id_document_key` (a keyed hash of the upper-cased, alphanumeric-only document number).
Seeds 1-3 are for tuning; 4 and 6 (and 11, 12 in bench_linkage) are held out (tests/simulate uses 5 and 11
at other sizes, so 5 is avoided for reporting).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

FEATURE_COLUMNS = [
    "given_name",
    "family_name",
    "date_of_birth",
    "place_of_birth",
    "sex",
    "citizenship",
    "office_country",
    "agency",
    "registration_date",
    "referral_from_office",
    "age_at_registration",
    "age_band",
    "country_of_exploitation",
    "exploitation_start",
]

_ALNUM = re.compile(r"[^0-9A-Z]")


def document_key(value: object, key: bytes = b"ctdata-eval") -> str | None:
    """Keyed hash of a normalised identity document number (exact-match evidence only)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    s = _ALNUM.sub("", str(value).upper())
    if not s:
        return None
    return hashlib.sha256(key + b"\x1f" + s.encode()).hexdigest()[:32]


def features_from_records(records: pd.DataFrame) -> pd.DataFrame:
    """Exchange-template records -> the features table the pipeline passes to link_frame."""
    out = records[[c for c in FEATURE_COLUMNS if c in records.columns]].copy()
    out.insert(0, "record_key", records["record_id"].astype(str))
    if "id_document_number" in records.columns:
        docs = records["id_document_number"]
        uniq = {v: document_key(v) for v in pd.unique(docs)}
        out["id_document_key"] = docs.map(uniq)
    return out


def ensure_data(records: int, seed: int, cache: Path) -> Path:
    out = cache / f"n{records}_s{seed}"
    if not (out / "truth.csv").exists():
        from ctdata.simulate.generator import simulate

        simulate(records=records, seed=seed, out=out, progress=False)
    return out


CHILD = """
import json, resource, sys, time
import pandas as pd
sys.path.insert(0, {bench!r})
from eval_linkage import features_from_records
from ctdata.linkage.engine import link_frame
from ctdata.linkage.evaluate import score_clusters
from ctdata.linkage.settings import LinkageSettings
rec = pd.read_csv({data!r} + "/records.csv", dtype=str, keep_default_na=False, na_values=[""])
truth = pd.read_csv({data!r} + "/truth.csv", dtype=str).rename(columns={{"record_id": "record_key"}})
settings = LinkageSettings.from_dict(json.loads({settings!r}))
t = time.perf_counter()
feats = features_from_records(rec)
res = link_frame(feats, settings, threads={threads}, keep_model=False)
dt = time.perf_counter() - t
s = score_clusters(res.clusters, truth)
out = {{"seconds": round(dt, 1), "pairs": len(res.pairs), **{{k: round(v, 1) for k, v in res.timings.items()}},
       **s.as_dict(), "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
       "blocking": res.blocking}}
if {dump!r}:
    res.clusters.to_parquet({dump!r} + "/clusters.parquet")
    res.pairs.to_parquet({dump!r} + "/pairs.parquet")
print("@@" + json.dumps(out))
"""


def evaluate(
    records: int, seed: int, *, cache: Path, settings: dict | None = None, threads: int = 2, dump: str = ""
) -> dict:
    """Link one simulated data set in a child process; returns timings, scores and peak memory."""
    data = ensure_data(records, seed, cache)
    code = CHILD.format(
        bench=str(Path(__file__).resolve().parent),
        data=str(data),
        settings=json.dumps(settings or {}),
        threads=threads,
        dump=dump,
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "CTDATA_PROGRESS": "0"}
    )
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip()[-2000:])
    line = [x for x in r.stdout.splitlines() if x.startswith("@@")][-1]
    return {"records": records, "seed": seed, **json.loads(line[2:])}


def breakdown(data: Path, dump: str, threshold: float) -> dict:
    """Where true pairs are lost (not blocked, scored low, kept apart by clustering) and false pairs come from.

    Reads the dumped clusters and pairs of one run; blocking is re-evaluated with the default rules.
    """
    import duckdb

    from ctdata.linkage.blocking import default_blocking_rules
    from ctdata.linkage.features import build_features

    rec = pd.read_csv(data / "records.csv", dtype=str, keep_default_na=False, na_values=[""])
    truth = pd.read_csv(data / "truth.csv", dtype=str).rename(columns={"record_id": "record_key"})
    feats = build_features(features_from_records(rec))
    rules = default_blocking_rules([c for c in feats.columns if c != "record_key"])
    f = feats.merge(truth[["record_key", "person_id"]], on="record_key").merge(
        pd.read_parquet(f"{dump}/clusters.parquet"), on="record_key"
    )
    con = duckdb.connect()
    con.register("f", f)
    con.register("p", pd.read_parquet(f"{dump}/pairs.parquet"))
    blocked = " OR ".join(f"({r})" for r in rules)
    pair = (
        "LEFT JOIN p ON (p.record_key_l = l.record_key AND p.record_key_r = r.record_key)"
        " OR (p.record_key_l = r.record_key AND p.record_key_r = l.record_key)"
    )
    true = con.execute(f"""
        SELECT count(*), sum(CASE WHEN coalesce({blocked}, false) THEN 1 ELSE 0 END),
               sum(CASE WHEN p.match_probability IS NOT NULL THEN 1 ELSE 0 END),
               sum(CASE WHEN p.match_probability >= {threshold} THEN 1 ELSE 0 END),
               sum(CASE WHEN l.individual_id = r.individual_id THEN 1 ELSE 0 END),
               sum(CASE WHEN NOT coalesce({blocked}, false) AND (l.dob_y IS NULL OR r.dob_y IS NULL) THEN 1 ELSE 0 END)
        FROM f l JOIN f r ON l.person_id = r.person_id AND l.record_key < r.record_key {pair}""").fetchone()
    false = con.execute(f"""
        SELECT count(*), sum(CASE WHEN p.match_probability IS NOT NULL THEN 1 ELSE 0 END),
               sum(CASE WHEN l.name_var = r.name_var THEN 1 ELSE 0 END),
               sum(CASE WHEN l.dob_y IS NULL OR r.dob_y IS NULL THEN 1 ELSE 0 END)
        FROM f l JOIN f r ON l.individual_id = r.individual_id AND l.record_key < r.record_key
             AND l.person_id <> r.person_id {pair}""").fetchone()
    keys = ("true_pairs", "blocked", "scored", "above_threshold", "same_cluster", "not_blocked_dob_missing")
    out = {k: int(v or 0) for k, v in zip(keys, true, strict=True)}
    keys = ("false_pairs", "false_direct", "false_same_name_variants", "false_dob_missing")
    out.update({k: int(v or 0) for k, v in zip(keys, false, strict=True)})
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[4, 6])
    ap.add_argument("--settings", type=Path, help="linkage settings JSON (defaults otherwise)")
    ap.add_argument("--set", nargs="*", default=[], help="overrides, e.g. threshold=0.5")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/ctdata-linkage-eval"))
    ap.add_argument("--dump", default="", help="directory to write clusters and pairs (one seed)")
    ap.add_argument(
        "--breakdown", action="store_true", help="with --dump: where true pairs are lost, where false pairs come from"
    )
    a = ap.parse_args(argv)
    settings = json.loads(a.settings.read_text()) if a.settings else {}
    for kv in a.set:
        k, _, v = kv.partition("=")
        settings[k] = json.loads(v)
    for seed in a.seeds:
        r = evaluate(a.records, seed, cache=a.cache, settings=settings, threads=a.threads, dump=a.dump)
        print(json.dumps(r), flush=True)
        print(
            f"n={r['records']:,} seed={seed}: pairwise P {r['pair_precision']:.4f} R {r['pair_recall']:.4f} "
            f"F1 {r['pair_f1']:.4f} | cluster F1 {r['cluster_f1']:.4f} | individuals "
            f"{r['individuals_error']:+.2%} | {r['seconds']:.0f} s, {r['rss_mb']:,} MB",
            flush=True,
        )
        if a.breakdown and a.dump:
            from ctdata.linkage.settings import LinkageSettings

            thr = LinkageSettings.from_dict(settings).threshold
            print(json.dumps(breakdown(ensure_data(a.records, seed, a.cache), a.dump, thr)), flush=True)


if __name__ == "__main__":
    main()

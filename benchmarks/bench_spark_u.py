"""u by random sampling on Spark local[2]: ctdata's backend beside Splink's own SparkAPI, in one run.

    python benchmarks/bench_spark_u.py                      # 200,000 records, both
    python benchmarks/bench_spark_u.py --records 1000000 --skip-plain

Splink persists its sample of records for u lazily, with the features table's partitions; each
chunk of u's pairwise counts then cost time in proportion to the whole table (see
docs/spark-scaling.md). ctdata's backend (`_splink_compat.spark_api`) checkpoints the sample at once.
The records are eval_linkage's 20,000 simulated records (seed 2) replicated under new keys up to
--records: u's cost depends on the table's size and the sample's, not on who the records are.
Each variant runs in its own process (its own Spark session); the table gives seconds, the ratio to
Splink's own SparkAPI, and whether the u probabilities are equal (same sample, same pairs).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def child(records: int, variant: str) -> dict:
    import pandas as pd
    from eval_linkage import ensure_data, features_from_records

    from ctdata import spark_session
    from ctdata.linkage import _splink_compat as compat
    from ctdata.linkage.engine import Linker
    from ctdata.linkage.settings import LinkageSettings

    out = ensure_data(20000, 2, Path("/tmp/ctdata-linkage-eval"))
    rec = pd.read_csv(out / "records.csv", dtype=str, keep_default_na=False, na_values=[""])
    f = features_from_records(rec)
    reps = max(1, records // len(f))
    f = pd.concat([f.assign(record_key=f["record_key"] + f"-{i}") for i in range(reps)], ignore_index=True)
    settings = spark_session.SparkSettings(master="local[2]", driver_memory="6g", shuffle_partitions=8)
    spark = spark_session.session(settings)
    s = LinkageSettings(backend="spark")
    linker = Linker(f, s)
    if variant == "plain":
        from splink.backends.spark import SparkAPI

        real = compat.spark_api

        def plain(session, method, parts):  # Splink's own SparkAPI, as before the fix
            return SparkAPI(spark_session=session, break_lineage_method=method, num_partitions_on_repartition=parts)

        compat.spark_api = plain
        try:
            splink = linker.splink
        finally:
            compat.spark_api = real
    else:
        splink = linker.splink
    t = time.perf_counter()
    splink.training.estimate_u_using_random_sampling(max_pairs=s.u_max_pairs, seed=s.seed, num_chunks=s.u_chunks)
    seconds = time.perf_counter() - t
    u = {
        (c["output_column_name"], i): lvl.get("u_probability")
        for c in splink.misc.save_model_to_json()["comparisons"]
        for i, lvl in enumerate(c["comparison_levels"])
    }
    spark.stop()
    u_levels = {f"{k[0]}:{k[1]}": v for k, v in u.items()}
    return {"variant": variant, "records": len(f), "seconds": round(seconds, 1), "u": u_levels}


def measure(records: int, skip_plain: bool = False) -> list[dict]:
    """Each variant in its own process (its own Spark session), Splink's own first."""
    rows = []
    for variant in ["plain", "ctdata"][1 if skip_plain else 0 :]:
        r = subprocess.run(
            [sys.executable, __file__, "--records", str(records), "--child", variant],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            raise SystemExit(f"{variant} failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
        rows.append(json.loads([x for x in r.stdout.splitlines() if x.startswith("@@")][-1][2:]))
    return rows


def run(quick: bool = False) -> list[dict]:
    """For benchmarks/run.py: 200,000 records (20,000 with --quick), both variants."""
    plain, ours = measure(20_000 if quick else 200_000)
    return [
        {
            "benchmark": "spark_u",
            "measure": f"Spark u by random sampling, {ours['records']:,} records",
            "value": ours["seconds"],
            "unit": "s",
            "baseline": "Splink's own SparkAPI, same run",
            "baseline_value": plain["seconds"],
            "ratio": ours["seconds"] / plain["seconds"] if plain["seconds"] else None,
            "goal": "same u; faster at 200,000 (at 20,000 the sample costs little either way)",
            "ok": ours["u"] == plain["u"] and (quick or ours["seconds"] < plain["seconds"]),
        }
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--skip-plain", action="store_true", help="leave out Splink's own SparkAPI (442 s at 200,000)")
    ap.add_argument("--child", choices=["plain", "ctdata"], help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print("@@" + json.dumps(child(a.records, a.child)), flush=True)
        return
    rows = measure(a.records, a.skip_plain)
    base = rows[0]
    print(f"{'variant':<28} {'records':>10} {'u seconds':>10} {'ratio':>7} {'u equal':>8}")
    for r in rows:
        name = "Splink's SparkAPI" if r["variant"] == "plain" else "ctdata (sample checkpointed)"
        same = "yes" if r["u"] == base["u"] else "NO"
        print(f"{name:<28} {r['records']:>10,} {r['seconds']:>10.1f} {r['seconds'] / base['seconds']:>7.2f} {same:>8}")


if __name__ == "__main__":
    main()

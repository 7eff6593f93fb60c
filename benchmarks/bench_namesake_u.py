"""namesake u on a register where one family name is a third of the records: every pair of a name
against fifty records a name, in one run.

    python benchmarks/bench_namesake_u.py                  # 20,000 records
    python benchmarks/bench_namesake_u.py --records 50000

Where whole names give too few namesakes (a small register, or given names that never repeat),
`training.namesake_u` counts u among people who share a family name. A register of Vietnamese
nationals is a third Nguyen, and all pairs of one family name grow with the square of its records;
the step takes at most fifty records a name (`training._NAMESAKE_KEYS`). The records are made here:
given names never repeat (so the fallback runs), family names are Nguyen (40%), Tran, Le (10% each)
or one of many rare ones, three offices. Prints seconds, the ratio to all pairs, and the u of
'same office country' under each (a third, as the offices are drawn).
"""

from __future__ import annotations

import argparse
import random
import time

import pandas as pd

from ctdata.linkage import _splink_compat as compat
from ctdata.linkage import training
from ctdata.linkage.engine import Linker
from ctdata.linkage.settings import LinkageSettings


def register(n: int, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    cons, vow = "bdgklmnprstvz", "aeiou"

    def word(k: int) -> str:
        return "".join(rng.choice(cons) + rng.choice(vow) for _ in range(k)).capitalize()

    families = ["Nguyen"] * 4 + ["Tran", "Le"]
    return pd.DataFrame(
        {
            "record_key": f"r{i}",
            "given_name": word(5),
            "family_name": rng.choice(families) if rng.random() < 0.6 else word(3),
            "date_of_birth": f"{rng.randint(1960, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "sex": rng.choice(["female", "male"]),
            "citizenship": "VN",
            "office_country": rng.choice(["VN", "TH", "MY"]),
            "registration_date": "2015-01-01",
        }
        for i in range(n)
    )


def run_once(df: pd.DataFrame, keys: tuple) -> tuple[float, float]:
    linker = Linker(df, LinkageSettings(), threads=2)
    try:
        splink = linker.splink
        t = time.perf_counter()
        training.namesake_u(splink, linker.input_table, linker.features.columns, keys=keys)
        seconds = time.perf_counter() - t
        u = next(lv.u for lv in compat.levels(splink) if lv.comparison == "office" and lv.index == 1)
    finally:
        linker.close()
    return seconds, float(u)


def measure(records: int) -> dict:
    """Both variants on one register, one after the other in this process."""
    df = register(records)
    every = tuple((k, None) for k, _ in training._NAMESAKE_KEYS)
    base_s, base_u = run_once(df, every)
    capped_s, capped_u = run_once(df, training._NAMESAKE_KEYS)
    return {"records": records, "every_s": base_s, "every_u": base_u, "capped_s": capped_s, "capped_u": capped_u}


def run(quick: bool = False) -> list[dict]:
    """For benchmarks/run.py: 20,000 records (5,000 with --quick)."""
    m = measure(5_000 if quick else 20_000)
    return [
        {
            "benchmark": "namesake_u",
            "measure": f"namesake u, a third one family name, {m['records']:,} records",
            "value": m["capped_s"],
            "unit": "s",
            "baseline": "every pair of a name, same run",
            "baseline_value": m["every_s"],
            "ratio": m["capped_s"] / m["every_s"] if m["every_s"] else None,
            "goal": "u within 0.02 of every pair's",
            "ok": abs(m["capped_u"] - m["every_u"]) <= 0.02,
        }
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=20_000)
    args = ap.parse_args()
    m = measure(args.records)
    print(f"{'variant':<28} {'records':>8} {'seconds':>8} {'ratio':>6} {'u same office':>14}")
    print(f"{'every pair of a name':<28} {m['records']:>8,} {m['every_s']:>8.1f} {1.0:>6.3f} {m['every_u']:>14.3f}")
    ratio = m["capped_s"] / m["every_s"]
    print(f"{'fifty records a name':<28} {m['records']:>8,} {m['capped_s']:>8.1f} {ratio:>6.3f} {m['capped_u']:>14.3f}")


if __name__ == "__main__":
    main()

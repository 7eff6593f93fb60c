"""Every figure of the published 2011 report beside the demo's value, flagged when outside its tolerance.

    python benchmarks/calibration.py                      # simulate, import, link, compare (about a minute)
    python benchmarks/calibration.py --data-dir DIR       # compare an existing store (e.g. the demo's)
    python benchmarks/calibration.py --records 20000 --seed 2011 --json

Then the model's trend shares for the two years before (cross-border, children, sexual exploitation,
interpolated between its 2008 and 2011 counts: ctdata.analytics.calibration.trend_shares).

Tolerances (ctdata.analytics.calibration): shares within 3 percentage points or two standard errors
at the demo's size, counts scaled to the demo's size within 10% or two Poisson standard errors.
Exit status 1 when a figure is outside.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path


def _prepare(records: int, seed: int, base: Path) -> None:
    from ctdata.ingest.projects import import_projects
    from ctdata.ingest.standard_import import import_standard
    from ctdata.linkage.pipeline import link_store
    from ctdata.simulate.generator import simulate
    from ctdata.warehouse.build import build

    simulate(records, seed, base / "sim", progress=False)
    import_standard(base / "sim" / "records.csv")
    import_projects(base / "sim" / "projects.csv")
    build(progress=False)
    link_store(progress=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, help="an existing CTDATA_DATA_DIR (store and warehouse)")
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=2011)
    ap.add_argument("--year", type=int, default=2011)
    ap.add_argument("--trend-years", type=int, nargs="*", default=None,
                    help="earlier years to compare with the model's trend (default: the two before --year)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tmp = None
    if args.data_dir is None:
        tmp = tempfile.TemporaryDirectory()
        os.environ["CTDATA_DATA_DIR"] = str(Path(tmp.name) / "data")
        _prepare(args.records, args.seed, Path(tmp.name))
    else:
        os.environ["CTDATA_DATA_DIR"] = str(args.data_dir)
    from ctdata.analytics.calibration import compare, compare_trend, table_rows
    from ctdata.warehouse.build import build
    from ctdata.warehouse.query import connect

    build(progress=False)
    con = connect()
    rows = compare(con, args.year)
    trend_years = args.trend_years if args.trend_years is not None else [args.year - 2, args.year - 1]
    trend = [r for y in trend_years for r in compare_trend(con, y)]
    if args.json:
        print(json.dumps([{**r.__dict__, "ok": r.ok} for r in rows + trend], indent=1))
    else:
        head = ["group", "figure", "published", "expected", "demo", "off by", "tolerance", ""]
        body = table_rows(rows + trend)
        widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
        print(" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        print("-+-".join("-" * w for w in widths))
        for r in body:
            print(" | ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)))
        bad = sum(not r.ok for r in rows)
        print(f"\n{args.year}: {len(rows) - bad} of {len(rows)} figures within tolerance; {bad} outside.")
        if trend:
            bad_t = sum(not r.ok for r in trend)
            print(f"trend ({', '.join(map(str, trend_years))}): {len(trend) - bad_t} of {len(trend)} within; "
                  f"{bad_t} outside.")
    if tmp is not None:
        tmp.cleanup()
    return 0 if all(r.ok for r in rows + trend) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmark and print one table: `python benchmarks/run.py [--quick] [--only NAME ...]`.

Each module `benchmarks/bench_<name>.py` exposes `run(quick: bool) -> list[dict]`. Benchmarks
are not tests: they measure speed and memory against the goals of the issues, each beside a
baseline measured in the same run, so the ratio is meaningful on any machine.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (for a smoke run)")
    ap.add_argument("--only", nargs="*", help="benchmark module names, e.g. ingest linkage")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    names = args.only or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    rows: list[dict] = []
    console = Console(width=220)
    for name in names:
        t0 = time.time()
        console.print(f"[bold]running {name}[/bold] ...")
        try:
            mod = importlib.import_module(f"bench_{name}")
            got = mod.run(quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            got = [{"benchmark": name, "measure": "error", "value": None, "unit": "", "baseline": str(exc)[:80],
                    "baseline_value": None, "ratio": None, "goal": "", "ok": False}]
        for r in got:
            r.setdefault("benchmark", name)
        rows.extend(got)
        console.print(f"  {name}: {time.time() - t0:.0f} s")
    t = Table(title="ctdata benchmarks" + (" (quick)" if args.quick else ""))
    for c in ("benchmark", "measure", "value", "unit", "baseline", "baseline value", "ratio", "goal", "ok"):
        t.add_column(c, justify="right" if c in ("value", "baseline value", "ratio") else "left")
    for r in rows:
        ok = r.get("ok")
        t.add_row(r["benchmark"], r["measure"], _fmt(r.get("value")), r.get("unit", ""), r.get("baseline", ""),
                  _fmt(r.get("baseline_value")), _fmt(r.get("ratio")), r.get("goal", ""),
                  "" if ok is None else ("[green]yes[/green]" if ok else "[red]no[/red]"))
    console.print(t)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()

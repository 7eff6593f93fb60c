"""Warehouse build and annual report over simulated records, each beside a single DuckDB scan of the same Parquet.

Goals (2 cores): warehouse build under 60 s, all report tables under 3 s,
rendering (charts, HTML, PDF) under 30 s, for 1,000,000 records. The
baseline is one DuckDB pass over every column of the cases Parquet, so the
ratio says how many "full scans" each phase costs.

Setup (simulate + import into the store) is timed and printed but has no goal.
Set CTDATA_BENCH_REPORT_DATA to a data directory whose store already holds
the records to skip the setup (the warehouse is then rebuilt in full).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

RECORDS = 1_000_000
QUICK_RECORDS = 20_000
YEAR = 2011


def _reset() -> None:
    from ctdata.config import reset_settings
    from ctdata.store.crypto import keyring_for
    from ctdata.store.db import engine_for

    reset_settings()
    engine_for.cache_clear()
    keyring_for.cache_clear()


def _scan(root: Path) -> float:
    """Seconds for one DuckDB scan of every column of the cases Parquet."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads TO 2")
    files = (root / "cases").as_posix() + "/*.parquet"
    t0 = time.perf_counter()
    con.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM read_parquet('{files}')").fetchall()
    return time.perf_counter() - t0


def _row(
    benchmark: str, measure: str, value: float, unit: str, goal: str, limit: float | None, baseline: float | None
) -> dict:
    return {
        "benchmark": benchmark,
        "measure": measure,
        "value": round(value, 3),
        "unit": unit,
        "baseline": "single DuckDB scan of the cases Parquet" if baseline is not None else "",
        "baseline_value": round(baseline, 3) if baseline is not None else None,
        "ratio": round(value / baseline, 1) if baseline else None,
        "goal": goal,
        "ok": (value < limit) if limit is not None else None,
    }


def run(quick: bool = False) -> list[dict]:
    n = QUICK_RECORDS if quick else RECORDS
    rows: list[dict] = []
    preset = os.environ.get("CTDATA_BENCH_REPORT_DATA")
    with tempfile.TemporaryDirectory(prefix="bench_report_") as tmp:
        tmpd = Path(tmp)
        data_dir = Path(preset) if preset else tmpd / "data"
        old = os.environ.get("CTDATA_DATA_DIR")
        os.environ["CTDATA_DATA_DIR"] = str(data_dir)
        _reset()
        try:
            from ctdata.report.annual import build_sections, render_annual
            from ctdata.warehouse.build import build

            if not preset:
                from ctdata.ingest.standard_import import import_standard
                from ctdata.simulate.generator import simulate

                t0 = time.perf_counter()
                simulate(records=n, seed=1, out=tmpd / "sim", progress=False)
                import_standard(tmpd / "sim")
                rows.append(
                    _row(
                        "report",
                        f"setup: simulate + import {n:,} records",
                        time.perf_counter() - t0,
                        "s",
                        "",
                        None,
                        None,
                    )
                )
            t0 = time.perf_counter()
            info = build(full=True, progress=False)
            t_build = time.perf_counter() - t0
            root = Path(info["path"])
            n = int(info["cases"])
            scan = min(_scan(root) for _ in range(3))
            rows.append(_row("report", f"warehouse build, {n:,} records", t_build, "s", "< 60 s", 60.0, scan))

            from ctdata.analytics.filters import Filters
            from ctdata.report.model import ReportContext
            from ctdata.warehouse.query import connect

            con = connect(root)
            years = [
                int(r[0])
                for r in con.execute(
                    "SELECT DISTINCT registration_year FROM cases WHERE registration_year IS NOT NULL"
                ).fetchall()
            ]
            t0 = time.perf_counter()
            secs = build_sections(ReportContext(con=con, year=YEAR, filters=Filters(), years_available=years))
            t_tables = time.perf_counter() - t0
            n_tables = sum(len(s.tables) for s in secs)
            rows.append(
                _row(
                    "report", f"all report tables ({n_tables} tables), {n:,} records", t_tables, "s", "< 3 s", 3.0, scan
                )
            )
            con.close()

            result = render_annual(YEAR, tmpd / "report", progress=False, root=root)
            s = result["seconds"]
            render = s["charts"] + s["html"] + s.get("pdf", 0.0)
            rows.append(
                _row("report", f"rendering ({result['charts']} charts, HTML, PDF)", render, "s", "< 30 s", 30.0, scan)
            )
            for k in ("charts", "html", "pdf", "tables_export"):
                rows.append(_row("report", f"  of which {k}", s.get(k, 0.0), "s", "", None, None))
            rows.append(
                _row("report", "full annual report (render_annual end to end)", sum(s.values()), "s", "", None, scan)
            )
        finally:
            if old is None:
                os.environ.pop("CTDATA_DATA_DIR", None)
            else:
                os.environ["CTDATA_DATA_DIR"] = old
            _reset()
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        ratio = f"x{r['ratio']}" if r["ratio"] is not None else ""
        base = f"{r['baseline_value']} s" if r["baseline_value"] is not None else ""
        print(
            f"{r['measure']:<55} {r['value']:>9.3f} {r['unit']:<2} {base:>9} {ratio:>7}  {r['goal']:<8} "
            f"{'' if r['ok'] is None else ('ok' if r['ok'] else 'MISSED')}"
        )

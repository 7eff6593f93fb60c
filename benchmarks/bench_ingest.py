"""Import and indicator speed (issue 2).

Goals: importing 1,000,000 simulated standard rows at >= 20,000 rows/s into SQLite with full
validation and encryption, peak memory under 2 GB; headline indicators over 1,000,000 records
under 2 s. Baselines in the same run: pandas read_csv + to_sql (no validation, no encryption)
for imports; one DuckDB scan of the same Parquet for the indicators. Each measured step runs
in its own process so its peak memory (max RSS) is its own; a large first import prepares its rows
in a child interpreter, so the import's peak memory is the sum of both peaks (an upper bound of
what they held at one time). The machine is often shared: the 1-minute load average is printed
beside the figures, and the ratio to the baseline of the same run is the robust figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CTDC = ROOT.parent / "shared" / "data" / "ctdc" / "ctdc_global_kanon_2021-07-15.csv.gz"


def _child(code: str, env: dict[str, str]) -> dict:
    """Run code in a fresh interpreter; it prints one JSON line; max RSS is added."""
    # VmHWM (peak resident set of this address space) resets at exec, unlike ru_maxrss.
    wrapper = (
        code
        + "\nimport json as _j, re as _re, resource as _res\n_hwm = int(_re.search(r'VmHWM:\\s+(\\d+)', "
        + "open('/proc/self/status').read()).group(1))\n"
        + "_kids = _res.getrusage(_res.RUSAGE_CHILDREN).ru_maxrss\n"
        + "print('@@' + _j.dumps({**OUT, 'rss_mb': (_hwm + _kids) / 1024, 'child_rss_mb': _kids / 1024}))\n"
    )
    r = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                       env={**os.environ, **env, "CTDATA_PROGRESS": "0"}, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "benchmark child failed")
    line = [x for x in r.stdout.splitlines() if x.startswith("@@")][-1]
    return json.loads(line[2:])


IMPORT = """
import time
from ctdata.ingest.{module} import {func}
t = time.perf_counter(); res = {func}({path!r}); dt = time.perf_counter() - t
OUT = {{"seconds": dt, "rows": res.rows_read, "loaded": res.loaded}}
"""

BASELINE = """
import time, sqlite3, pandas as pd
t = time.perf_counter()
con = sqlite3.connect({db!r})
n = 0
for chunk in pd.read_csv({path!r}, dtype=str, chunksize=100000, keep_default_na=False):
    chunk.to_sql("raw", con, if_exists="append", index=False); n += len(chunk)
con.commit(); dt = time.perf_counter() - t
OUT = {{"seconds": dt, "rows": n}}
"""

INDICATORS = """
import time, duckdb
from ctdata.analytics.indicators import headline
from ctdata.warehouse.query import connect
con = connect()
headline(con=con)
t = time.perf_counter(); h = headline(con=con); dt = time.perf_counter() - t
t = time.perf_counter(); con.execute("SELECT count(*), count(DISTINCT citizenship) FROM cases").fetchall()
base = time.perf_counter() - t
OUT = {{"seconds": dt, "baseline": base, "instances": h["instances"]}}
"""

BUILD = """
import time
from ctdata.warehouse.build import build
t = time.perf_counter(); r = build(progress=False); dt = time.perf_counter() - t
OUT = {{"seconds": dt, "cases": r["cases"]}}
"""


def _row(measure, value, unit, goal, ok, baseline="", baseline_value=None, ratio=None):
    return {"benchmark": "ingest", "measure": measure, "value": value, "unit": unit, "baseline": baseline,
            "baseline_value": baseline_value, "ratio": ratio, "goal": goal, "ok": ok}


def _head(src: Path, dst: Path, n: int) -> Path:
    """The header and first n data lines of a CSV (the simulator writes one line per record)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dst.open("wb") as fout:
        for i, line in enumerate(fin):
            if i > n:
                break
            fout.write(line)
    return dst


def run(quick: bool = False) -> list[dict]:
    from ctdata.simulate.generator import simulate

    n = 100_000 if quick else 1_000_000
    rows: list[dict] = [_row("load average (1 min) at start", os.getloadavg()[0], "", "", None)]
    with tempfile.TemporaryDirectory(prefix="ctdata-bench-") as tmp:
        tmp_p = Path(tmp)
        if CTDC.exists():
            env = {"CTDATA_DATA_DIR": str(tmp_p / "ctdc")}
            got = _child(IMPORT.format(module="ctdc_import", func="import_ctdc", path=str(CTDC)), env)
            base = _child(BASELINE.format(db=str(tmp_p / "ctdc_base.db"), path=str(CTDC)), {})
            rows.append(_row("import CTDC 2021 (97,750 rows)", got["rows"] / got["seconds"], "rows/s", "",
                             None, "pandas read_csv+to_sql", base["rows"] / base["seconds"],
                             (got["rows"] / got["seconds"]) / (base["rows"] / base["seconds"])))
        sim = tmp_p / "sim"
        t = time.perf_counter()
        simulate(n, 7, sim, progress=False)
        rows.append(_row(f"simulate {n:,} records", time.perf_counter() - t, "s", "", None))
        env = {"CTDATA_DATA_DIR": str(tmp_p / "std")}
        got = _child(IMPORT.format(module="standard_import", func="import_standard",
                                   path=str(sim / "records.csv")), env)
        base = _child(BASELINE.format(db=str(tmp_p / "std_base.db"), path=str(sim / "records.csv")), {})
        rate, brate = got["rows"] / got["seconds"], base["rows"] / base["seconds"]
        rows.append(_row(f"import standard {n:,} rows (+ companions)", rate, "rows/s", ">= 20,000 rows/s",
                         rate >= 20000, "pandas read_csv+to_sql", brate, rate / brate))
        rows.append(_row("import peak memory (both processes)", got["rss_mb"], "MB", "< 2,048 MB",
                         got["rss_mb"] < 2048, "pandas baseline", base["rss_mb"], got["rss_mb"] / base["rss_mb"]))
        rows.append(_row("load average (1 min) after the import", os.getloadavg()[0], "", "", None))
        k = min(n, 200_000)
        only = _head(sim / "records.csv", tmp_p / "only" / "records.csv", k)
        got = _child(IMPORT.format(module="standard_import", func="import_standard", path=str(only)),
                     {"CTDATA_DATA_DIR": str(tmp_p / "only_db")})
        base = _child(BASELINE.format(db=str(tmp_p / "only_base.db"), path=str(only)), {})
        rate, brate = got["rows"] / got["seconds"], base["rows"] / base["seconds"]
        rows.append(_row(f"import standard {k:,} records only", rate, "rows/s", "", None,
                         "pandas read_csv+to_sql", brate, rate / brate))
        b = _child(BUILD.format(), env)
        rows.append(_row(f"warehouse build {n:,}", b["seconds"], "s", "< 60 s", b["seconds"] < 60))
        ind = _child(INDICATORS.format(), env)
        rows.append(_row(f"indicators over {ind['instances']:,}", ind["seconds"], "s", "< 2 s", ind["seconds"] < 2,
                         "one DuckDB scan", ind["baseline"], ind["seconds"] / max(ind["baseline"], 1e-9)))
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)

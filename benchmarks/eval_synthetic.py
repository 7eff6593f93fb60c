"""ctdata's synthesiser beside OpenDP's AIM and MST (smartnoise-synth), on the same rows, columns,
budget and lumping; one table.

    python benchmarks/eval_synthetic.py                      # CTDC 2021 and simulated data, AIM included
    python benchmarks/eval_synthetic.py --skip-aim           # quick: AIM takes over an hour on CTDC 2021
    python benchmarks/eval_synthetic.py --data ctdc --json out.json

Data: the public CTDC 2021 k-anonymised file (``../shared/data/ctdc/``), imported with
``ctdata import ctdc`` into a scratch store and read as ``ctdata publish synthetic`` reads it
(``publish.source.records_from_warehouse``, one record per individual); and the project's simulator
(``ctdata.simulate``), imported and read the same way. Frames are cached in ``--work``.

What is compared, and how, identically for every method:

- columns: ``SyntheticSettings().columns``; budget: ``--epsilon`` with delta 1e-7;
- lumping: the one ctdata's run decided (from its DP counts) is applied to the rows the peers
  receive, at no cost to their budget (an advantage to them); the country of exploitation gets
  ctdata's mapping for cross-border values;
- TVD over the *original* domain: the real rows on the public domains before lumping
  (``synthetic.original_frame``, the same for every method); a generalised label in a synthetic row
  matches no real value, so lumping costs what it loses;
- generalised: share of real records whose citizenship or country of exploitation (year) the
  method's input replaced by a group label;
- cross-border: ``publish.derived.cross_border`` on the released labels (what a researcher
  computes), minus the real share;
- time and peak memory (RSS) of a fresh process per method; the load average beside them.

Peers: ``pip install --no-deps smartnoise-synth==1.0.8 smartnoise-sql==1.0.10`` (their declared
pins would replace OpenDP 0.16 by 0.14 and pull in PyTorch, which AIM and MST do not use); their
remaining needs are in the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
#: the public CTDC 2021 file: ``--ctdc``, else $CTDATA_SHARED (the shared folder), else ../shared beside
#: the checkout
CTDC = (
    Path(os.environ.get("CTDATA_SHARED", ROOT.parent / "shared"))
    / "data"
    / "ctdc"
    / "ctdc_global_kanon_2021-07-15.csv.gz"
)
MISSING = "__missing__"


# ---------------------------------------------------------------------------- data


def _prepare_child(kind: str, out: str, records: int, seed: int, ctdc: str = str(CTDC)) -> None:
    """Runs in a scratch data directory (set by the parent): import, build, read as publish does."""
    from ctdata.publish.source import records_from_warehouse

    if kind == "ctdc":
        subprocess.run(
            [sys.executable, "-m", "ctdata.cli", "import", "ctdc", ctdc, "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        df = records_from_warehouse(one_per_individual=True)
    else:
        from ctdata.ingest.standard_import import import_standard
        from ctdata.simulate.generator import simulate

        d = Path(os.environ["CTDATA_DATA_DIR"]) / "simulated"
        simulate(records, seed, d, progress=False)
        import_standard(d / "records.csv")
        df = records_from_warehouse(one_per_individual=False)
    df.to_parquet(out, index=False)


def frame(kind: str, work: Path, records: int, seed: int, ctdc: Path = CTDC) -> pd.DataFrame:
    path = work / (f"{kind}.parquet" if kind == "ctdc" else f"sim_{records}_{seed}.parquet")
    if not path.exists():
        with tempfile.TemporaryDirectory(dir=work) as d:
            env = os.environ | {"CTDATA_DATA_DIR": d, "PYTHONPATH": str(ROOT / "src")}
            code = (
                "import sys; sys.path.insert(0, sys.argv[1]); from eval_synthetic import _prepare_child; "
                "_prepare_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])"
            )
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    code,
                    str(ROOT / "benchmarks"),
                    kind,
                    str(path),
                    str(records),
                    str(seed),
                    str(ctdc),
                ],
                check=True,
                env=env,
                cwd=d,
            )
    return pd.read_parquet(path)


# ---------------------------------------------------------------------------- methods (each in a fresh process)


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ctdata(df: pd.DataFrame, settings_json: str) -> dict[str, Any]:
    from ctdata.publish.synthetic import SyntheticSettings, synthesise

    s = SyntheticSettings.from_json(settings_json)
    t0 = time.perf_counter()
    res = synthesise(df, s)
    secs = time.perf_counter() - t0
    return {
        "synthetic": res.data,
        "projected": res.real_projected,
        "original": res.original,
        "mapping": res.mapping,
        "seconds": secs,
        "peak_mb": _peak_mb(),
        "report": res.report,
        "privacy": res.privacy,
    }


def run_peer(name: str, lumped: pd.DataFrame, epsilon: float, delta: float, seed: int) -> dict[str, Any]:
    import contextlib
    import io

    import snsynth.utils
    from snsynth.aim import AIMSynthesizer
    from snsynth.mst import MSTSynthesizer

    snsynth.utils.prng = np.random.default_rng(seed)
    cols = list(lumped.columns)
    data = lumped.astype(object).where(lumped.notna(), MISSING).astype(str)
    t0 = time.perf_counter()
    synth = AIMSynthesizer(epsilon=epsilon, delta=delta) if name == "AIM" else MSTSynthesizer(epsilon, delta)
    with contextlib.redirect_stdout(io.StringIO()):
        synth.fit(data, categorical_columns=cols, preprocessor_eps=0.0)
        out = synth.sample(len(data))
    secs = time.perf_counter() - t0
    out = pd.DataFrame(out, columns=cols).astype(str)
    out = out.astype(object).where(out != MISSING, None)
    return {"synthetic": out, "seconds": secs, "peak_mb": _peak_mb()}


def peers_available() -> bool:
    """Whether smartnoise-synth (AIM, MST) can be imported: it is not a dependency of the project."""
    import importlib.util

    return importlib.util.find_spec("snsynth") is not None


def _in_child(fn, *args):
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as ex:
        return ex.submit(fn, *args).result()


# ---------------------------------------------------------------------------- evaluation


def peer_input(original: pd.DataFrame, mapping: dict[str, dict[Any, Any]], cols: list[str]) -> pd.DataFrame:
    """The real rows on ctdata's lumping, in the released types (peers get the plain country of
    exploitation, mapped as ctdata maps cross-border values)."""
    out = {}
    for c in cols:
        v = original[c]
        key = v.map({True: "true", False: "false"}).astype(object) if c == "child" else v.astype(object)
        m = mapping[c]
        out[c] = key.map(lambda x, m=m: None if x is None or x is pd.NA or x != x else m.get(x, x))
    return pd.DataFrame(out)


def released_types(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if c == "child" and not pd.api.types.is_bool_dtype(out[c]):
            mapped = out[c].astype(object).map({"true": True, "false": False, True: True, False: False})
            out[c] = mapped.astype("boolean") if mapped.notna().sum() == out[c].notna().sum() else out[c]
        elif c not in ("child", "cross_border"):
            out[c] = out[c].astype("string")
    return out


def measure(original: pd.DataFrame, projected: pd.DataFrame, synthetic: pd.DataFrame, cols: list[str]) -> dict:
    from ctdata.publish.derived import cross_border
    from ctdata.publish.evaluate import evaluate

    ev = evaluate(original[cols], released_types(synthetic[cols]), ways=(1, 2, 3))

    def lost(c: str) -> np.ndarray:
        o, p = original[c].astype("string"), projected[c].astype("string")
        return (o.notna() & (o != p).fillna(True)).to_numpy(bool)

    country = np.zeros(len(original), bool)
    for c in ("citizenship", "country_of_exploitation"):
        if c in cols:
            country |= lost(c)
    real_cb = cross_border(original["citizenship"], original["country_of_exploitation"]).dropna().mean()
    syn_cb = cross_border(synthetic["citizenship"], synthetic["country_of_exploitation"]).dropna().mean()
    return {
        "tvd": ev["tvd"],
        "tvd_max": ev["tvd_max"],
        "country_generalised": float(country.mean()),
        "year_generalised": float(lost("registration_year").mean()) if "registration_year" in cols else 0.0,
        "cross_border_real": float(real_cb),
        "cross_border_synthetic": float(syn_cb),
        "cross_border_error": float(syn_cb - real_cb),
    }


def _done(row: dict, log: Path | None) -> None:
    """Print a method's table line as soon as it is measured, and append the row to ``log`` (JSON
    lines): on a busy machine AIM may not finish, and the methods measured before it must not be lost
    with it (a run at load 17-24 took 526 s for ctdata, 319 s for MST and had not finished AIM 55
    minutes later)."""
    print(table([row]).splitlines()[-1], flush=True)
    if log is not None:
        with log.open("a") as fh:
            fh.write(json.dumps(row, default=str) + "\n")


def evaluate_dataset(
    label: str, df: pd.DataFrame, epsilon: float, methods: list[str], seed: int, log: Path | None = None
) -> list[dict]:
    from ctdata.publish.settings import SyntheticSettings

    s = SyntheticSettings(epsilon=epsilon, seed=seed, include_unknown_consent=True)
    cols = list(s.columns)
    rows = []
    load = os.getloadavg()[0]
    r = _in_child(run_ctdata, df, s.to_json())
    original, mapping = r["original"], r["mapping"]
    rows.append(
        {
            "data": label,
            "method": "ctdata",
            "seconds": r["seconds"],
            "peak_mb": r["peak_mb"],
            "load": load,
            **measure(original, r["projected"], r["synthetic"], cols),
        }
    )
    print(
        f"  {label} ctdata: {r['seconds']:.0f} s (load {load:.1f}); lumped groups "
        + json.dumps({c: list(g) for c, g in r["report"]["lumped"].items() if g}),
        flush=True,
    )
    _done(rows[-1], log)
    lumped = peer_input(original, mapping, cols)
    for name in methods:
        load = os.getloadavg()[0]
        p = _in_child(run_peer, name, lumped, s.epsilon, s.delta, seed)
        rows.append(
            {
                "data": label,
                "method": f"{name} (smartnoise-synth)",
                "seconds": p["seconds"],
                "peak_mb": p["peak_mb"],
                "load": load,
                **measure(original, lumped, p["synthetic"], cols),
            }
        )
        print(f"  {label} {name}: {p['seconds']:.0f} s (load {load:.1f})", flush=True)
        _done(rows[-1], log)
    return rows


def table(rows: list[dict]) -> str:
    head = (
        "| data | method | TVD 1-way mean/max | 2-way mean/max | 3-way mean/max | country generalised | "
        "year generalised | cross-border synth - real | time (load) | peak MB |"
    )
    out = [head, "|" + "---|" * 10]
    for r in rows:
        t, m = r["tvd"], r["tvd_max"]
        out.append(
            f"| {r['data']} | {r['method']} | {t['1']:.4f} / {m['1']:.4f} | {t['2']:.4f} / {m['2']:.4f} | "
            f"{t['3']:.4f} / {m['3']:.4f} | {r['country_generalised']:.2%} | {r['year_generalised']:.2%} | "
            f"{r['cross_border_synthetic']:.3f} - {r['cross_border_real']:.3f} = {r['cross_border_error']:+.3f} | "
            f"{r['seconds']:.0f} s ({r['load']:.1f}) | {r['peak_mb']:.0f} |"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="ctdc,sim", help="ctdc, sim or both (comma-separated)")
    ap.add_argument("--epsilon", type=float, default=1.0)
    ap.add_argument("--skip-aim", action="store_true", help="leave AIM out (over an hour on CTDC 2021)")
    ap.add_argument("--skip-peers", action="store_true", help="ctdata only")
    ap.add_argument("--sim-records", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ctdata-eval-synthetic")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--ctdc", type=Path, default=CTDC, help="the CTDC 2021 file (default: %(default)s)")
    ap.add_argument("--rows-log", type=Path, help="append each method's row here (JSON lines) as it is measured")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    methods = [] if a.skip_peers else (["MST"] if a.skip_aim else ["MST", "AIM"])
    if methods and not peers_available():
        print(
            "AIM and MST left out: smartnoise-synth is not importable. Install it apart from the project "
            "(pip install --no-deps --target DIR smartnoise-synth==1.0.8 smartnoise-sql==1.0.10) and run "
            "with PYTHONPATH=src:DIR",
            file=sys.stderr,
        )
        methods = []
    rows: list[dict] = []
    for kind in [k.strip() for k in a.data.split(",") if k.strip()]:
        if kind == "ctdc" and not a.ctdc.exists():
            print(f"skipping CTDC: {a.ctdc} not found (give it with --ctdc)", file=sys.stderr)
            continue
        df = frame(kind, a.work, a.sim_records, a.seed, a.ctdc.resolve())
        label = "CTDC 2021" if kind == "ctdc" else f"simulated {a.sim_records:,}"
        print(f"{label}: {len(df):,} records, epsilon {a.epsilon}", flush=True)
        rows += evaluate_dataset(label, df, a.epsilon, methods, a.seed, a.rows_log)
    print()
    print(table(rows))
    print(f"\n{os.cpu_count()} cores; load = 1-minute load average when the method started.")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()

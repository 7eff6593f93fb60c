from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PATTERNS = "A,B,C,count\n1,0,0,100\n0,1,0,80\n0,0,1,60\n1,1,0,20\n1,0,1,15\n0,1,1,10\n1,1,1,3\n"


def _run(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CTDATA_DATA_DIR": str(tmp / "d")}
    return subprocess.run([sys.executable, "-m", "ctdata.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_estimate_json_keys_and_consistency(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text(PATTERNS, encoding="utf-8")
    r = _run(["estimate", str(p), "--json", "--method", "main"], tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("estimate", "ci_low", "ci_high", "method", "model", "observed"):
        assert key in out
    assert out["observed"] == 288
    assert out["ci_low"] <= out["estimate"] <= out["ci_high"] and out["estimate"] >= out["observed"]


def test_estimate_from_store_requires_linkage(tmp_path: Path) -> None:
    r = _run(["estimate", "--from-store"], tmp_path)
    assert r.returncode != 0 and ("ctdata link" in r.stderr or "warehouse" in r.stderr)
    assert "Traceback" not in r.stderr

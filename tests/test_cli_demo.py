"""`ctdata demo`, the README's first command, runs the whole chain and leaves a public release."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ctdata.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env, "CTDATA_PROGRESS": "0"}, timeout=900, cwd=cwd)


def test_demo_runs_the_chain_and_publishes_an_approved_release(tmp_path: Path) -> None:
    env = {"CTDATA_DATA_DIR": str(tmp_path / "data")}
    r = _run(["demo", "--records", "1500", "--seed", "5", "--out", "demo"], env, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Traceback" not in r.stdout + r.stderr
    assert (tmp_path / "demo" / "report" / "report.html").stat().st_size > 10_000
    public = json.loads(_run(["publish", "list", "--public", "--json"], env, tmp_path).stdout)
    assert len(public) == 1
    release = public[0]
    assert release["kind"] == "kanon" and 0 < release["rows"] <= 1500
    assert release["created_by"] != release["approved_by"]
    indicators = json.loads(_run(["report", "indicators", "--json"], env, tmp_path).stdout)
    assert indicators["instances"] == 1500

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ingest.helpers import record, write_records


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ctdata.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


def test_import_json_and_clear_errors(tmp_path: Path) -> None:
    env = {"CTDATA_DATA_DIR": str(tmp_path / "d"), "CTDATA_DATABASE_URL": f"sqlite:///{tmp_path}/d/c.db"}
    path = write_records(tmp_path / "records.csv", [record(0), record(1, sex="blue")])
    r = _run(["import", "standard", str(path), "--json"], env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["rows_read"], out["loaded"], out["quarantined"]) == (2, 1, 1)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"record_id\nx\n")
    r = _run(["import", "standard", str(bad)], env)
    assert r.returncode != 0
    assert "error:" in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = _run(["report", "indicators", "--json"], env)
    assert r.returncode == 0 and json.loads(r.stdout)["instances"] == 1
    r = _run(["audit", "verify", "--json"], env)
    assert r.returncode == 0 and json.loads(r.stdout)["ok"] is True


def test_dictionary_formats(tmp_path: Path) -> None:
    env = {"CTDATA_DATA_DIR": str(tmp_path / "d")}
    for fmt, check in (("json", lambda s: json.loads(s)["fields"]), ("csv", lambda s: s.startswith("table,")),
                       ("markdown", lambda s: "# ctdata data dictionary" in s)):
        r = _run(["standard", "dictionary", "--format", fmt], env)
        assert r.returncode == 0 and check(r.stdout)
    r = _run(["standard", "dictionary", "--format", "pdf"], env)
    assert r.returncode != 0 and "unknown format" in r.stderr

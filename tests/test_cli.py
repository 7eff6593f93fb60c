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


def test_report_indicators_names_hotline_reports_and_unknowns(tmp_path: Path) -> None:
    env = {"CTDATA_DATA_DIR": str(tmp_path / "d"), "CTDATA_DATABASE_URL": f"sqlite:///{tmp_path}/d/c.db",
           "COLUMNS": "200"}
    rows = [record(0), record(1, data_source="hotline"), record(2, data_source="hotline", citizenship="")]
    assert _run(["import", "standard", str(write_records(tmp_path / "r.csv", rows)), "--json"], env).returncode == 0
    out = _run(["report", "indicators"], env).stdout
    assert "3 case records (instances of assistance and hotline reports); 2 of them hotline reports" in out
    journey = [line for line in out.splitlines() if "cross-border" in line][0]
    assert "1 of 3" in journey  # the record without citizenship: journey unknown, on the row itself
    out = _run(["report", "indicators", "--shares", "all"], env).stdout
    assert "share of all" in out and "unknown" in out
    r = _run(["report", "indicators", "--shares", "most"], env)
    assert r.returncode != 0 and "--shares must be" in r.stderr
    assert json.loads(_run(["report", "indicators", "--json"], env).stdout)["hotline_reports"] == 2

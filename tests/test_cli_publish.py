from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ingest.helpers import record, write_records


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ctdata.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)


def test_kanon_release_flow(tmp_path: Path) -> None:
    env = {"CTDATA_DATA_DIR": str(tmp_path / "d")}
    rows = [record(i, given_name="Canarygiven", date_of_birth="1979-12-31", sex=["female", "male"][i % 2],
                   consent_research=["1", "1", "0", ""][i % 4]) for i in range(200)]
    assert _run(["import", "standard", str(write_records(tmp_path / "records.csv", rows))], env).returncode == 0
    r = _run(["publish", "kanon", "--k", "11", "--by", "alice", "--out", str(tmp_path / "rel"), "--json"], env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    rid = out["release"]["release_id"]
    assert out["report"]["records_in"] == 200 and out["release"]["rows"] <= 100  # only consented (1 in 2)
    for f in (tmp_path / "rel").iterdir():
        blob = f.read_bytes()
        assert b"Canarygiven" not in blob and b"1979-12-31" not in blob and b"R17" not in blob
    assert _run(["publish", "list", "--public", "--json"], env).stdout.strip() == "[]"
    same = _run(["publish", "approve", rid, "--by", "alice"], env)
    assert same.returncode != 0 and "someone other than its creator" in same.stderr
    assert _run(["publish", "approve", rid, "--by", "bob"], env).returncode == 0
    public = json.loads(_run(["publish", "list", "--public", "--json"], env).stdout)
    assert [p["release_id"] for p in public] == [rid]
    log = json.loads(_run(["audit", "list", "--json", "--limit", "5"], env).stdout)
    assert {"release_create", "release_approve"} <= {e["action"] for e in log}

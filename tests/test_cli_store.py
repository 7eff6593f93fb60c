"""`ctdata keys show|rotate`, `ctdata backup`, `ctdata restore`: the commands over the store's library functions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ingest.helpers import record, write_records


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ctdata.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


def test_keys_backup_restore_commands(tmp_path: Path) -> None:
    env = {"CTDATA_DATA_DIR": str(tmp_path / "d"), "CTDATA_DATABASE_URL": f"sqlite:///{tmp_path}/d/ctdata.db"}
    records = write_records(tmp_path / "r.csv", [record(0), record(1)])
    assert _run(env, "import", "standard", str(records)).returncode == 0
    r = _run(env, "backup", str(tmp_path / "bk"), "--json")
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    r = _run(env, "keys", "rotate", "--json")
    assert r.returncode == 0, r.stderr
    rotated = json.loads(r.stdout)
    assert rotated["old_key"] == made["key_id"] and rotated["fields"]["persons.given_name_enc"] == 2
    shown = json.loads(_run(env, "keys", "show", "--json").stdout)
    assert shown["key"] == shown["store_key"] == rotated["new_key"]
    # the backup's fields need the old key: refused with one line, then restored with the old key in place
    r = _run(env, "restore", str(tmp_path / "bk"), "--yes")
    assert r.returncode != 0 and "not the key of the backup" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    key = tmp_path / "d" / "keys" / "ctdata.key"
    key.replace(tmp_path / "new.key")
    Path(rotated["old_key_file"]).replace(key)
    r = _run(env, "restore", str(tmp_path / "bk"), "--yes", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["audit_entries"] == made["audit_entries"] + 1
    r = _run(env, "audit", "verify", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["ok"], r.stdout
    assert json.loads(_run(env, "report", "indicators", "--json").stdout)["instances"] == 2

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ingest.helpers import record, write_records

PASSWORD = "correct horse battery"


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ctdata.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600, input=stdin if stdin is not None else "")


def _as(user: str, args: list[str], env: dict[str, str], password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    """`ctdata ARGS --by USER --password-stdin` with USER's password on stdin."""
    return _run([*args, "--by", user, "--password-stdin"], env, password + "\n")


def _add_user(name: str, role: str, env: dict[str, str], *extra: str) -> None:
    r = _run(["user", "add", name, "--role", role, "--password-stdin", *extra], env, PASSWORD + "\n")
    assert r.returncode == 0, r.stderr


def test_kanon_release_flow(tmp_path: Path) -> None:
    env = {"CTDATA_DATA_DIR": str(tmp_path / "d")}
    rows = [record(i, given_name="Canarygiven", date_of_birth="1979-12-31", sex=["female", "male"][i % 2],
                   consent_research=["1", "1", "0", ""][i % 4]) for i in range(200)]
    assert _run(["import", "standard", str(write_records(tmp_path / "records.csv", rows))], env).returncode == 0
    _add_user("alice", "data_manager", env)
    _add_user("bob", "data_manager", env)
    _add_user("carol", "caseworker", env, "--office", "TH", "--agency", "IOM")
    r = _as("alice", ["publish", "kanon", "--k", "11", "--out", str(tmp_path / "rel"), "--json"], env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    rid = out["release"]["release_id"]
    assert out["release"]["created_by"] == "alice"
    assert out["report"]["records_in"] == 200 and out["release"]["rows"] <= 100  # only consented (1 in 2)
    for f in (tmp_path / "rel").iterdir():
        blob = f.read_bytes()
        assert b"Canarygiven" not in blob and b"1979-12-31" not in blob and b"R17" not in blob
    assert _run(["publish", "list", "--public", "--json"], env).stdout.strip() == "[]"
    same = _as("alice", ["publish", "approve", rid], env)
    assert same.returncode != 0 and "someone other than its creator" in same.stderr
    wrong = _as("bob", ["publish", "approve", rid], env, password="not bob's password")
    assert wrong.returncode != 0 and wrong.stderr.strip() == "error: wrong username or password"
    assert _as("bob", ["publish", "approve", rid], env).returncode == 0
    public = json.loads(_run(["publish", "list", "--public", "--json"], env).stdout)
    assert [(p["release_id"], p["approved_by"]) for p in public] == [(rid, "bob")]
    log = json.loads(_run(["audit", "list", "--json", "--limit", "10"], env).stdout)
    assert {"release_create", "release_approve", "access_denied", "login_failed"} <= {e["action"] for e in log}
    assert _as("carol", ["publish", "withdraw", rid, "--reason", "x"], env).returncode != 0
    assert _as("bob", ["publish", "withdraw", rid, "--reason", "a mistake"], env).returncode == 0
    assert _run(["publish", "list", "--public", "--json"], env).stdout.strip() == "[]"


def test_approval_by_a_made_up_name_or_a_caseworker_is_refused(tmp_path: Path) -> None:
    """`--by` names an account whose password is checked; only a data manager (or admin) may approve."""
    env = {"CTDATA_DATA_DIR": str(tmp_path / "d")}
    rows = [record(i, consent_research="1") for i in range(60)]
    assert _run(["import", "standard", str(write_records(tmp_path / "records.csv", rows))], env).returncode == 0
    _add_user("ana", "analyst", env)
    _add_user("carol", "caseworker", env, "--office", "TH", "--agency", "IOM")
    r = _as("ana", ["publish", "kanon", "--k", "2", "--json"], env)
    assert r.returncode == 0, r.stderr
    rid = json.loads(r.stdout)["release"]["release_id"]
    nobody = _as("nobody-at-all", ["publish", "approve", rid], env)
    assert nobody.returncode != 0 and nobody.stderr.strip() == "error: wrong username or password"
    caseworker = _as("carol", ["publish", "approve", rid], env)
    assert caseworker.returncode != 0
    assert "needs an active admin or data-manager account" in caseworker.stderr
    assert len(caseworker.stderr.strip().splitlines()) == 1
    assert _run(["publish", "list", "--public", "--json"], env).stdout.strip() == "[]"
    no_by = _run(["publish", "approve", rid], env)
    assert no_by.returncode != 0 and "--by" in no_by.stderr

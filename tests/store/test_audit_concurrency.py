"""The audit chain stays one chain when several processes append at once.

The real thing: `ctdata serve` in a subprocess answers API reads (each one audited)
while several `ctdata user list` processes (each one audited too) run at the same
time, on SQLite and on PostgreSQL; then `ctdata audit verify` must find the chain
intact. An in-process lock cannot serialise this: only the database can.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import reset_caches
from tests.serving import wait_until_serving

PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "CTDATA_DATA_DIR": str(store.data_dir), "CTDATA_DATABASE_URL": store.url}
    env.pop("CTDATA_CONFIG", None)
    return env


def _cli(store, *args: str) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    return subprocess.Popen([sys.executable, "-m", "ctdata.cli", *args], env=_env(store), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _make_admin() -> None:
    from ctdata.cases import users
    from ctdata.cases.access import SYSTEM
    from ctdata.cases.tx import store_engine, transaction

    eng = store_engine()
    with transaction(eng) as s:
        users.create_user(s, SYSTEM, "admin", PASSWORD, "admin", None, None)
    eng.dispose()
    reset_caches()


def _serve(store) -> tuple[subprocess.Popen[str], str]:  # type: ignore[no-untyped-def]
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ctdata.cli", "serve", "--port", str(port)], env=_env(store),
                            text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, f"{url}/api/v1/health")
    return proc, url


def test_server_and_cli_processes_keep_one_chain(store, tmp_path: Path) -> None:
    _make_admin()
    server, url = _serve(store)
    stop = threading.Event()
    answered: list[int] = []
    try:
        token = httpx.post(f"{url}/api/v1/auth/login", json={"username": "admin", "password": PASSWORD},
                           timeout=30).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def read() -> None:
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                while not stop.is_set():
                    answered.append(client.get("/api/v1/users").status_code)

        readers = [threading.Thread(target=read) for _ in range(3)]
        for t in readers:
            t.start()
        for _ in range(3):  # three waves of four CLI processes, each appending while the server does
            wave = [_cli(store, "user", "list", "--json") for _ in range(4)]
            for p in wave:
                out, errs = p.communicate(timeout=300)
                assert p.returncode == 0, errs
        stop.set()
        for t in readers:
            t.join(timeout=60)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
    assert answered and set(answered) == {200}
    verify = _cli(store, "audit", "verify", "--json")
    out, errs = verify.communicate(timeout=300)
    res = json.loads(out)
    assert res["problems"] == [] and res["ok"], res["problems"][:5]
    assert res["entries"] >= 12 + len(answered)


# One writer process: threads running transactions that each write a fact and record entries about it,
# then commit or roll back, with pauses between (a schedule drawn from the seed).
_WRITER = """
import random, sys, threading, time
from ctdata.cases.tx import store_engine, transaction
from ctdata.store import audit, meta
seed, name, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
eng = store_engine()
def run(t):
    rnd = random.Random(f"{seed}/{name}/{t}")
    for i in range(n):
        fact = f"t.{name}.{t}.{i}"
        try:
            with transaction(eng) as s:
                if rnd.random() < 0.5:
                    meta.put(s, fact, "x")  # the change, before or after its entries
                for k in range(rnd.randint(1, 3)):
                    audit.record(s, actor=name, action="test", entity="fact", entity_id=fact, details={"k": k})
                    time.sleep(rnd.random() * 0.02)
                meta.put(s, fact, "y")
                if rnd.random() < 0.25:
                    raise KeyError(fact)
        except KeyError:
            pass
threads = [threading.Thread(target=run, args=(t,)) for t in range(2)]
for th in threads: th.start()
for th in threads: th.join()
"""


@given(seed=st.integers(0, 2**32))
@settings(max_examples=3, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_chain_verifies_after_any_interleaving_of_writer_processes(store, seed: int) -> None:
    """Whatever the interleaving of committing and rolling-back writers in several processes (each with
    two threads), the chain verifies, and an entry is kept exactly when its transaction's change is."""
    from sqlalchemy import select

    from ctdata.store import audit, db
    from ctdata.store.models import AuditEntry, StoreMeta

    db.upgrade()
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(seed), f"p{seed}x{p}", "6"], env=_env(store),
                              text=True, stderr=subprocess.PIPE) for p in range(3)]
    for p in procs:
        _, errs = p.communicate(timeout=300)
        assert p.returncode == 0, errs
    with db.session_scope() as s:
        res = audit.verify(s)
        facts = set(s.execute(select(StoreMeta.name).where(StoreMeta.name.like(f"t.p{seed}x%"))).scalars())
        audited = set(s.execute(select(AuditEntry.entity_id).where(AuditEntry.actor.like(f"p{seed}x%"))).scalars())
    assert res.ok, res.problems[:5]
    assert facts == audited and facts

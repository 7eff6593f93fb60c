"""Several web workers: state they share is shared, on SQLite and PostgreSQL (and Redis for rate limits).

Each "worker" here is a separate Python process built the way `ctdata serve --workers N`
builds its workers (`create_app` with CTDATA_WEB_WORKERS set), released at the same
moment so their requests overlap. What one process keeps in memory the other cannot
see, so these fail if any of it is kept per process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ctdata.cases.tx import transaction
from ctdata.errors import ConfigError
from ctdata.store.models import AuditEntry
from ctdata.web.shared import WebSettings, check_workers, web_settings
from tests.cases.conftest import CASE, PASSWORD, PERSON, make_user
from tests.serving import wait_until_serving

# One worker's part, run in its own process: wait for the go file, then hit at once from threads.
_RATE = """
import os, sys, threading, time
from pathlib import Path
from ctdata.errors import CtdataError
from ctdata.web.app import create_app
limiter = create_app().state.login_limiter
go, tries, client = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
allowed = []
def one():
    try:
        limiter.check("admin", client)
        allowed.append(1)
    except CtdataError:
        pass
threads = [threading.Thread(target=one) for _ in range(tries)]
for t in threads: t.start()
for t in threads: t.join()
print(len(allowed), flush=True)
"""

_LOGIN = """
import sys, threading, time
from pathlib import Path
from ctdata.cases import users
from ctdata.cases.access import NotAuthenticated
from ctdata.cases.tx import store_engine, transaction
eng = store_engine()
go, tries, client = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
def one():
    try:
        with transaction(eng) as s:
            try:
                users.authenticate(s, "target", "not the password", client)
            except NotAuthenticated:
                pass  # the failure's count and audit entry commit, as at the login route
    except Exception as exc:
        print("error", type(exc).__name__, exc, file=sys.stderr, flush=True)
threads = [threading.Thread(target=one) for _ in range(tries)]
for t in threads: t.start()
for t in threads: t.join()
print("done", flush=True)
"""


def _workers(script: str, args: list[str], n: int, tmp: Path, env: dict[str, str]) -> list[str]:
    """Run `n` processes of `script`, release them together, return their last output lines."""
    go = tmp / f"go-{uuid.uuid4().hex}"
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(go), *args], env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(n)
    ]
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline()
        assert line.strip() == "ready", (line, p.stderr.read() if p.stderr else "")
    go.touch()
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
        assert "error" not in stderr, stderr
        out.append(stdout.strip().splitlines()[-1])
    return out


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env.pop("CTDATA_CONFIG", None)
    return env


@pytest.mark.parametrize("shared_state", ["database", "redis"])
def test_login_rate_limit_is_counted_across_workers(
    database_url: str, engine, tmp_path: Path, shared_state: str  # type: ignore[no-untyped-def]
) -> None:
    """Two workers get 8 attempts each at once for one name and client; the limit of 10 holds for both."""
    client = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"  # fresh keys in a shared Redis
    env = _env(CTDATA_WEB_WORKERS="2", CTDATA_WEB_SHARED_STATE=shared_state)
    allowed = [int(x) for x in _workers(_RATE, ["8", client], 2, tmp_path, env)]
    assert sum(allowed) == 10, allowed  # per user name and client: 10 a minute (LoginLimiter's default)


def test_one_worker_keeps_its_rate_limit_in_memory(database_url: str, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ctdata.web.app import create_app
    from ctdata.web.security import SlidingWindow

    monkeypatch.delenv("CTDATA_WEB_WORKERS", raising=False)
    app = create_app(database_url)
    assert isinstance(app.state.login_limiter.by_user, SlidingWindow)
    assert app.state.token_cache is not None
    monkeypatch.setenv("CTDATA_WEB_WORKERS", "3")
    app = create_app(database_url)
    assert not isinstance(app.state.login_limiter.by_user, SlidingWindow)
    assert app.state.token_cache is None  # another worker could not evict a session ended here


def test_lockout_counts_failures_arriving_at_several_workers(
    database_url: str, engine, tmp_path: Path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    """Six wrong passwords at once through two workers: counted 1..5 (the fifth locks), the sixth refused."""
    from ctdata.config import settings

    make_user(engine, "target", "caseworker", "TH", "IOM")
    _workers(_LOGIN, ["3", "192.0.2.9"], 2, tmp_path, _env(CTDATA_WEB_WORKERS="2"))
    assert settings().max_failed_logins == 5
    with transaction(engine) as s:
        reasons = [r for r, in s.execute(select(AuditEntry.reason).where(AuditEntry.action == "login_failed"))]
    counts = sorted(int(m.group(1)) for r in reasons if (m := re.match(r"wrong password \((\d+) in a row", r or "")))
    assert counts == [1, 2, 3, 4, 5], reasons  # a lost update counts two failures as one
    assert sum("account locked for this source" in (r or "") for r in reasons) == 1, reasons
    assert sum("locked for 15 minutes" in (r or "") for r in reasons) == 1, reasons


def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs PostgreSQL"):
        check_workers(4, "sqlite:///x.db")
    check_workers(4, "postgresql+psycopg://postgres@127.0.0.1/x")
    check_workers(1, "sqlite:///x.db")
    env = _env(CTDATA_DATA_DIR=str(tmp_path), CTDATA_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    res = subprocess.run([sys.executable, "-m", "ctdata.cli", "serve", "--workers", "2"], env=env, text=True,
                         capture_output=True, timeout=120)
    assert res.returncode == 2
    assert "--workers 2 needs PostgreSQL" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_serve_checks_the_settings_with_its_number_of_workers(database_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """[web] shared_state = "memory" is fine for one worker; serve --workers 2 refuses it before starting."""
    from ctdata.web.serve import serve

    monkeypatch.setenv("CTDATA_WEB_WORKERS", "1")  # serve sets it; monkeypatch puts it back
    monkeypatch.setenv("CTDATA_WEB_SHARED_STATE", "memory")
    assert web_settings().state == "memory"
    with pytest.raises(ConfigError, match="'memory' is for one worker"):
        serve(port=_free_port(), workers=2, database_url=database_url)


def test_web_settings_are_checked(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert WebSettings().state == "memory" and WebSettings(workers=4).state == "database"
    assert WebSettings(workers=4).cache_seconds == 0 and WebSettings().cache_seconds == 5
    assert WebSettings(shared_state="database").cache_seconds == 0
    assert WebSettings(workers=4).connections_per_worker == 10  # 4 x 10 within PostgreSQL's 100
    assert WebSettings(workers=32).connections_per_worker == 4
    with pytest.raises(ConfigError, match="db_connections"):
        WebSettings(db_connections=2)
    with pytest.raises(ConfigError, match="one worker"):
        WebSettings(workers=2, shared_state="memory")
    with pytest.raises(ConfigError, match="shared_state"):
        WebSettings(shared_state="memcached")
    with pytest.raises(ConfigError, match="unknown setting"):
        web_settings({"worker": 2})
    monkeypatch.setenv("CTDATA_WEB_WORKERS", "four")
    with pytest.raises(ConfigError, match="CTDATA_WEB_WORKERS"):
        web_settings({})
    monkeypatch.setenv("CTDATA_WEB_WORKERS", "4")
    monkeypatch.setenv("CTDATA_WEB_SHARED_STATE", "redis")
    assert web_settings({}) == WebSettings(workers=4, shared_state="redis")


# --------------------------------------------------------------------------- the real server
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_serve_with_two_workers_keeps_every_write_one_chain_and_ends_sessions_everywhere(
    database_url: str, engine, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    """`ctdata serve --workers 2`: concurrent writes all kept, one audit chain, a logout refused by every worker."""
    import threading

    make_user(engine, "cw", "caseworker", "TH", "IOM")
    port = _free_port()
    env = _env()
    server = subprocess.Popen([sys.executable, "-m", "ctdata.cli", "serve", "--workers", "2", "--port", str(port)],
                              env=env, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_until_serving(server, f"{url}/health")
        token = httpx.post(f"{url}/auth/login", json={"username": "cw", "password": PASSWORD}, timeout=60)
        h = {"Authorization": f"Bearer {token.json()['access_token']}"}
        made = httpx.post(f"{url}/cases", json={"person": PERSON, **CASE}, headers=h, timeout=60)
        assert made.status_code == 201, made.text
        cid = made.json()["id"]
        statuses: list[int] = []

        def write(n: int) -> None:
            with httpx.Client(base_url=url, headers=h, timeout=60) as c:  # one connection: one worker
                for i in range(8):
                    r = c.post(f"/cases/{cid}/assistance", json={"assistance_type": "medical",
                                                                 "provider": f"tag-{n}-{i}"})
                    statuses.append(r.status_code)
                    statuses.append(c.get(f"/cases/{cid}").status_code)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert set(statuses) == {200, 201}, statuses
        case = httpx.get(f"{url}/cases/{cid}", headers=h, timeout=60).json()
        providers = {a["provider"] for a in case["assistance"]}
        assert providers == {f"tag-{n}-{i}" for n in range(6) for i in range(8)}
        # a logout through one connection; fresh connections (any worker) refuse the token at once
        assert httpx.post(f"{url}/auth/logout", headers=h, timeout=60).status_code == 204
        assert {httpx.get(f"{url}/cases/{cid}", headers=h, timeout=60).status_code for _ in range(6)} == {401}
    finally:
        server.terminate()
        server.wait(timeout=60)
    verify = subprocess.run([sys.executable, "-m", "ctdata.cli", "audit", "verify", "--json"], env=env, text=True,
                            capture_output=True, timeout=300)
    res = json.loads(verify.stdout)
    assert res["ok"] and res["problems"] == [], res["problems"][:5]
    assert res["entries"] >= 6 * 8 * 2


def test_the_shared_rate_limit_stores_no_digest_anyone_could_reverse(database_url: str, engine) -> None:  # type: ignore[no-untyped-def]
    """The store's rate events are keyed by a digest of the limit's name and its key (a user name, a client
    address). Unkeyed, hashing every IPv4 address would name the clients; it is keyed with the store's key."""
    import hashlib

    from ctdata.store.models import RateEvent
    from ctdata.web.shared import DatabaseWindow

    window = DatabaseWindow(engine, "login-client", limit=2, seconds=60)
    assert window.hit("10.1.2.3") == 0.0 and window.hit("10.1.2.3") == 0.0
    assert window.hit("10.1.2.3") > 0  # the third within the minute waits: one key, counted twice
    with transaction(engine) as s:
        keys = set(s.execute(select(RateEvent.key)).scalars())
    assert len(keys) == 1
    unkeyed = {hashlib.sha256(f"login-client\n{ip}".encode()).hexdigest() for ip in ("10.1.2.3",)}
    assert not keys & unkeyed and "10.1.2.3" not in next(iter(keys))

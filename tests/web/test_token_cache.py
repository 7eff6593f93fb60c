"""The token cache: a worker trusts a session it checked for a few seconds, and no longer.

It spares a session lookup per request (a client polling the API), is filled by every
successful check, and forgets a session the moment it ends through this process (logout, a
disabled account), even when the change commits while a request is being checked. A session
ended by another process (a CLI command) is refused within the cache's time. With several
workers the cache is off (tests/web/test_workers.py).
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update

from ctdata.cases import users
from ctdata.cases.access import SYSTEM
from ctdata.cases.tx import transaction
from ctdata.store.models import AuthSession, utcnow
from ctdata.web import security
from ctdata.web.app import create_app
from ctdata.web.security import LoginLimiter, TokenCache
from tests.web.conftest import bearer

ME = "/api/v1/auth/me"


def _app(database_url: str, monkeypatch, seconds: float):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    monkeypatch.setenv("CTDATA_WEB_TOKEN_CACHE_SECONDS", str(seconds))
    app = create_app(database_url, login_limiter=LoginLimiter(per_username=50, per_client=1000))
    return app, TestClient(app, headers={"accept": "application/json"})


def _count_lookups(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    real = security.session_actor

    def counting(session, token):  # type: ignore[no-untyped-def]
        seen.append(token)
        return real(session, token)

    monkeypatch.setattr(security, "session_actor", counting)
    return seen


def test_a_checked_session_is_cached_and_spares_the_lookup(database_url, engine, actors, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app, client = _app(database_url, monkeypatch, 5)
    lookups = _count_lookups(monkeypatch)
    headers = bearer(engine, "th")
    for _ in range(3):
        assert client.get(ME, headers=headers).status_code == 200
    assert len(lookups) == 1  # before: the cache was never filled, one lookup per request
    assert app.state.token_cache.get(headers["Authorization"].split()[1]) is not None


def test_a_session_ended_by_another_process_is_refused_within_the_cache_time(  # type: ignore[no-untyped-def]
    database_url, engine, actors, monkeypatch
) -> None:
    _app_, client = _app(database_url, monkeypatch, 0.5)
    headers = bearer(engine, "th")
    assert client.get(ME, headers=headers).status_code == 200
    with transaction(engine) as s:  # as a CLI process would: no eviction reaches this worker's cache
        s.execute(update(AuthSession).values(revoked=True))
    time.sleep(0.6)
    assert client.get(ME, headers=headers).status_code == 401


def test_logout_and_a_disabled_account_are_refused_at_once(database_url, engine, actors, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _app_, client = _app(database_url, monkeypatch, 60)
    th, th2 = bearer(engine, "th"), bearer(engine, "th2")
    assert client.get(ME, headers=th).status_code == 200 and client.get(ME, headers=th2).status_code == 200
    with transaction(engine) as s:
        users.set_active(s, actors["admin"], "th", False)
    assert client.get(ME, headers=th).status_code == 401
    assert client.post("/api/v1/auth/logout", headers=th2).status_code in (200, 204)
    assert client.get(ME, headers=th2).status_code == 401


def test_a_check_that_began_before_an_eviction_is_not_cached() -> None:
    """A request reads a session, the session ends and the eviction runs, then the request puts what it
    read: the cache must not hold it (the change committed after the read)."""
    cache = TokenCache(ttl=60)
    checked = cache.generation()
    cache.evict("some other token")  # any eviction: the check may have read the state before it
    cache.put("t", SYSTEM, "csrf", utcnow() + timedelta(hours=1), checked)
    assert cache.get("t") is None
    cache.put("t", SYSTEM, "csrf", utcnow() + timedelta(hours=1), cache.generation())
    assert cache.get("t") is not None
    cache.put("old", SYSTEM, "csrf", utcnow() - timedelta(seconds=1), cache.generation())
    assert cache.get("old") is None  # past the session's expiry


def test_the_cache_time_counts_from_when_the_check_began() -> None:
    cache = TokenCache(ttl=0.2)
    checked = cache.generation()
    time.sleep(0.25)  # a slow check: the session was read 0.25 s ago
    cache.put("t", SYSTEM, "csrf", utcnow() + timedelta(hours=1), checked)
    assert cache.get("t") is None

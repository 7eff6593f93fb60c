"""Two transactions on the lockout row of one account and source, on two real connections (SQLite and
PostgreSQL): a login that clears the row, or an admin's password reset that lifts it, while a failed login
counts on it. Both used to lock the row before the audit chain's lock (taken at every commit), and the failed
login takes the chain's lock before the row: on PostgreSQL each waited for the other and the server refused
one as a deadlock. Now every writer of lockout rows takes the chain's lock first, so both finish."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ctdata.cases import users
from ctdata.cases.access import SYSTEM, Actor, NotAuthenticated
from ctdata.cases.tx import store_engine, transaction
from ctdata.store import audit
from ctdata.store.models import AuditEntry, LoginLockout

PASSWORD = "correct horse battery"
CLIENT = "10.0.0.7"


def _fail(s: Session) -> None:
    try:
        users.authenticate(s, "alice", "wrong password", CLIENT)
    except NotAuthenticated:
        pass  # caught inside the transaction, as the login page does: the count and its entry commit


def _login(s: Session) -> None:
    users.authenticate(s, "alice", PASSWORD, CLIENT)


def _reset(s: Session) -> None:
    admin = Actor.of(s.execute(select(users.User).where(users.User.username == "admin")).scalar_one())
    users.reset_password(s, admin, "alice", PASSWORD)


def _wait_for_a_blocked_backend(store) -> None:  # type: ignore[no-untyped-def]
    """Until the failed login waits for a lock (PostgreSQL shows it; on SQLite it waits in this process)."""
    if store.backend != "postgresql":
        time.sleep(0.5)
        return
    with store_engine().connect() as c:
        for _ in range(600):  # argon2 checks on a loaded machine: up to 30 s
            n = c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")).scalar()
            c.rollback()  # a new snapshot each time: a transaction sees pg_stat_activity as it first read it
            if n:
                return
            time.sleep(0.05)
    raise AssertionError("the failed login never waited for a lock")


@pytest.mark.parametrize("clearing", [_login, _reset], ids=["login", "reset_password"])
def test_clearing_a_lockout_beside_a_failed_login_does_not_deadlock(store, clearing: Callable[[Session], None]) -> None:  # type: ignore[no-untyped-def]
    with transaction() as s:
        users.create_user(s, SYSTEM, "alice", PASSWORD, "analyst", None, None)
        users.create_user(s, SYSTEM, "admin", PASSWORD, "admin", None, None)
    with transaction() as s:
        _fail(s)  # the row the two will meet on
    cleared, go_on = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction() as s:
                clearing(s)
                s.flush()  # the row is deleted (and locked) now, the commit comes later
                cleared.set()
                go_on.wait(20)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            cleared.set()

    def second() -> None:
        cleared.wait(20)
        try:
            with transaction() as s:
                _fail(s)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    try:
        cleared.wait(20)
        _wait_for_a_blocked_backend(store)
    finally:
        go_on.set()
        for t in threads:
            t.join(60)
    assert not errors, errors
    with transaction() as s:
        rows = s.scalars(select(LoginLockout)).all()
        assert [(r.client, r.failures) for r in rows] == [(CLIENT, 1)]  # counted afresh after the clearing
        assert audit.verify(s).ok
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions.count("login_failed") == 2

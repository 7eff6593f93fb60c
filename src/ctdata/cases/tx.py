"""Transactions for case work: one unit of work per request or command.

Why not just `store.db.session_scope`: two things case work needs on top of it.

- A refused access must be audited even though the request fails and its
  transaction rolls back, so refusals are queued on the session (`queue_denial`)
  and written in a fresh transaction after the rollback.
- Every case read records an audit entry; the entries join the chain when the
  transaction commits (`ctdata.store.audit.append_recorded`), under the store's
  write lock. On SQLite (one writer at a time) a transaction also takes an
  in-process lock at its first write, or at the append, and holds it until it
  ends, so threads of one process queue here instead of in SQLite's busy loop.
  Reads before that run in parallel (the driver begins SQLite's transaction only at
  the first write, so no stale snapshot is held). PostgreSQL serialises appends
  with an advisory lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ctdata.errors import ConfigError, Conflict
from ctdata.store import audit, db
from ctdata.text import Text

_DENIALS = "ctdata_denials"
_upgrade_lock = threading.Lock()


@dataclass
class _State:
    """Per-engine state kept on the engine itself (engines can be recreated with a reused id)."""

    maker: sessionmaker[Session]
    lock: threading.RLock | None


def store_engine(url: str | None = None) -> Engine:
    """The engine for a database URL (default: the configured store), schema brought up to date once."""
    return prepare(db.engine_for(db.normalise_url(url)) if url else db.engine())


def prepare(eng: Engine) -> Engine:
    """Upgrade the schema of an engine's store (once per engine) and set up its sessions."""
    if getattr(eng, "_ctdata_tx", None) is None:
        with _upgrade_lock:
            if getattr(eng, "_ctdata_tx", None) is None:
                db.upgrade(eng)
                lock = threading.RLock() if eng.dialect.name == "sqlite" else None
                maker = sessionmaker(bind=eng, expire_on_commit=False)
                if lock is not None:
                    event.listen(maker, "before_flush", _take_lock)
                    event.listen(maker, "do_orm_execute", _take_lock_on_execute)
                eng._ctdata_tx = _State(maker, lock)  # type: ignore[attr-defined]
    return eng


_LOCK, _HELD = "ctdata_lock", "ctdata_lock_held"


def _take_lock(session: Session, *_: Any) -> None:
    lock = session.info.get(_LOCK)
    if lock is not None and not session.info.get(_HELD):
        lock.acquire()
        session.info[_HELD] = True


def _take_lock_on_execute(state: ORMExecuteState) -> None:
    if not state.is_select and not state.session.info.get(_HELD):
        _take_lock(state.session)


def _open(state: _State) -> Session:
    session = state.maker()
    audit.watch_keys(session)
    session.info[_LOCK] = state.lock
    session.info[audit.LOCK_FIRST] = _take_lock  # before the database's write lock, never after
    return session


def _release(session: Session) -> None:
    if session.info.pop(_HELD, False):
        session.info[_LOCK].release()


def _state(eng: Engine) -> _State:
    return prepare(eng)._ctdata_tx  # type: ignore[attr-defined,no-any-return]


def record(session: Session, **entry: Any) -> Any:
    """Record an audit entry (ctdata.store.audit.record) in a case transaction; it joins the chain at commit."""
    return audit.record(session, **entry)


def lock_for_update(session: Session) -> None:
    """Take the store's write lock before a read-modify-write that another process may run at once.

    The lock the audit chain is appended under (in this process on SQLite, then the database's:
    SQLite's write lock, PostgreSQL's advisory lock), held until the transaction ends, so rows read
    after it are the latest committed and no other process changes them before this one commits.
    Several web workers counting one account's failed logins need this (cases.users.authenticate).
    Rows written under it must be written under it by every writer, the lock taken before the first
    write: a transaction that locks such a row first and this lock at its commit deadlocks with one
    that holds this lock and waits for the row (cases.users._clear_lockouts).
    """
    audit.serialise_appends(session)


def queue_denial(session: Session, **entry: Any) -> None:
    """Queue an audit entry for a refused access; it is written whether or not the transaction commits."""
    session.info.setdefault(_DENIALS, []).append(entry)


def _write_denials(session: Session, entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        record(session, **entry)


@contextmanager
def transaction(eng: Engine | None = None) -> Iterator[Session]:
    """One transaction: committed at the end, rolled back on error; refusals audited either way."""
    eng = eng or store_engine()
    session = _open(_state(eng))
    try:
        yield session
        _write_denials(session, session.info.pop(_DENIALS, []))
        session.commit()
    except StaleDataError:
        session.rollback()
        _release(session)
        _after_rollback(eng, session)
        raise Conflict(Text("the case was changed by someone else meanwhile; reload it and try again")) from None
    except IntegrityError:
        # a uniqueness check passed before a concurrent change committed (e.g. two legs numbered alike)
        session.rollback()
        _release(session)
        _after_rollback(eng, session)
        raise Conflict(Text("a concurrent change collided with this one; reload and try again")) from None
    except ConfigError:
        rotated = audit.rotated_meanwhile(session)  # its own value, encrypted with the key a rotation replaced
        session.rollback()
        _release(session)
        _after_rollback(eng, session)
        if rotated:
            raise audit.rotated_conflict() from None
        raise
    except BaseException:
        session.rollback()
        _release(session)
        _after_rollback(eng, session)
        raise
    finally:
        _release(session)
        session.close()


def _after_rollback(eng: Engine, failed: Session) -> None:
    entries = failed.info.pop(_DENIALS, [])
    if not entries:
        return
    session = _open(_state(eng))
    try:
        _write_denials(session, entries)
        session.commit()
    finally:
        _release(session)
        session.close()

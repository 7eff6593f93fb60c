"""Transactions for case work: one unit of work per request or command.

Why not just `store.db.session_scope`: two things case work needs on top of it.

- A refused access must be audited even though the request fails and its
  transaction rolls back, so refusals are queued on the session (`queue_denial`)
  and written in a fresh transaction after the rollback.
- Every case read writes an audit entry, and the audit chain reads the last hash
  before appending. On SQLite (one writer at a time) two concurrent transactions
  would both read the same last hash, so transactions on a SQLite store are
  serialised in-process. PostgreSQL serialises audit appends with an advisory lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ctdata.errors import Conflict
from ctdata.store import audit, db

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
                eng._ctdata_tx = _State(sessionmaker(bind=eng, expire_on_commit=False), lock)  # type: ignore[attr-defined]
    return eng


def _state(eng: Engine) -> _State:
    return prepare(eng)._ctdata_tx  # type: ignore[attr-defined,no-any-return]


def queue_denial(session: Session, **entry: Any) -> None:
    """Queue an audit entry for a refused access; it is written whether or not the transaction commits."""
    session.info.setdefault(_DENIALS, []).append(entry)


def _write_denials(session: Session, entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        audit.record(session, **entry)


@contextmanager
def transaction(eng: Engine | None = None) -> Iterator[Session]:
    """One transaction: committed at the end, rolled back on error; refusals audited either way."""
    eng = eng or store_engine()
    state = _state(eng)
    lock = state.lock
    if lock is not None:
        lock.acquire()
    try:
        session = state.maker()
        try:
            yield session
            _write_denials(session, session.info.pop(_DENIALS, []))
            session.commit()
        except StaleDataError:
            session.rollback()
            _after_rollback(eng, session)
            raise Conflict(
                "the case was changed by someone else meanwhile; reload it and try again"
            ) from None
        except BaseException:
            session.rollback()
            _after_rollback(eng, session)
            raise
        finally:
            session.close()
    finally:
        if lock is not None:
            lock.release()


def _after_rollback(eng: Engine, failed: Session) -> None:
    entries = failed.info.pop(_DENIALS, [])
    if not entries:
        return
    session = _state(eng).maker()
    try:
        _write_denials(session, entries)
        session.commit()
    finally:
        session.close()

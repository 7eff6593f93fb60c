"""The hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so any
edit or deletion inside the log breaks the chain and `verify` finds the first
broken entry. The database also refuses UPDATE and DELETE on the table
(triggers in the initial migration); the chain catches what bypasses them.
Bulk operations write one entry with counts and a digest of the affected ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ctdata.store.models import AuditEntry, utcnow

GENESIS = "0" * 64
#: PostgreSQL advisory lock key that serialises appends to the chain (any number; fixed for ctdata)
CHAIN_LOCK = 7042011


def _canonical(ts: datetime, actor: str, action: str, entity: str, entity_id: str | None,
               reason: str | None, details: dict[str, Any]) -> str:
    return json.dumps(
        [ts.isoformat(timespec="microseconds"), actor, action, entity, entity_id, reason, details],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )


def entry_hash(prev_hash: str, ts: datetime, actor: str, action: str, entity: str,
               entity_id: str | None, reason: str | None, details: dict[str, Any]) -> str:
    payload = prev_hash + _canonical(ts, actor, action, entity, entity_id, reason, details)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def digest_ids(ids: Iterable[object]) -> str:
    """A digest of the affected ids of a bulk operation (order-independent)."""
    h = hashlib.sha256()
    for i in sorted(str(x) for x in ids):
        h.update(i.encode())
        h.update(b"\n")
    return h.hexdigest()


def _serialise_appends(session: Session) -> None:
    """Take the store's write lock before the head is read, so no other process appends in between.

    The lock must live in the database: the server and every CLI command are separate processes.
    SQLite: the driver begins a transaction only at the first write, so a transaction that has not
    written yet is begun with BEGIN IMMEDIATE (the write lock; waits up to busy_timeout); one that
    has written already holds that lock. PostgreSQL: a transaction-scoped advisory lock, after which
    the head is read with a fresh snapshot (READ COMMITTED). Both are released at commit or rollback.
    """
    session.flush()  # pending writes first: they may begin the transaction themselves
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})


def record(session: Session, *, actor: str, action: str, entity: str, entity_id: object = None,
           reason: str | None = None, details: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry inside the caller's transaction (it commits or rolls back with the change)."""
    details = json.loads(json.dumps(details or {}, default=str))
    _serialise_appends(session)
    last = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    prev = last or GENESIS
    ts = utcnow()
    eid = None if entity_id is None else str(entity_id)
    h = entry_hash(prev, ts, actor, action, entity, eid, reason, details)
    entry = AuditEntry(ts=ts, actor=actor, action=action, entity=entity, entity_id=eid,
                       reason=reason, details=details, prev_hash=prev, hash=h)
    session.add(entry)
    session.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head: str
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "problems": self.problems}


def verify(session: Session, expect_head: str | None = None, batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order and report every entry that does not fit."""
    problems: list[str] = []
    prev, prev_id, count = GENESIS, None, 0
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for e in rows:
            count += 1
            if prev_id is not None and e.id != prev_id + 1:
                problems.append(f"entries {prev_id + 1}..{e.id - 1} are missing (deleted)")
            if e.prev_hash != prev:
                problems.append(f"entry {e.id}: does not follow entry {prev_id} (chain broken)")
            want = entry_hash(e.prev_hash, e.ts, e.actor, e.action, e.entity, e.entity_id, e.reason,
                              e.details or {})
            if want != e.hash:
                problems.append(f"entry {e.id}: content does not match its hash (edited)")
            prev, prev_id = e.hash, e.id
            last_id = e.id
        session.expunge_all()
    if prev_id is None:
        first = None
    else:
        first = session.execute(select(func.min(AuditEntry.id))).scalar()
    if first not in (None, 1):
        problems.insert(0, f"entries 1..{first - 1} are missing (deleted)")
    if expect_head and expect_head != prev:
        problems.append(f"head is {prev[:12]}, expected {expect_head[:12]} (entries removed from the end?)")
    return VerifyResult(not problems, count, prev, problems)


def entries_for(session: Session, entity: str, entity_id: object, limit: int = 500) -> list[AuditEntry]:
    return list(session.execute(
        select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id.desc()).limit(limit)
    ).scalars())

"""The keyed, hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so any
edit or deletion inside the log breaks the chain and `verify` finds the first
broken entry. Since chain version 2 the hash is an HMAC with the audit key (a
key file of its own beside the encryption keys, `crypto.load_audit_key`) and
the store's id: someone who can write the database but does not hold the key
cannot delete entries and recompute the later hashes. Entries written before
the store was keyed (version 1, plain SHA-256) are still checked, and the first
keyed entry seals them: it covers their head.

Deleting the newest entries leaves a shorter chain that is still a chain, so
every commit that appended an entry also writes a signed checkpoint of its
entry (id and hash, HMAC with the audit key) to a file beside the audit key;
`verify` requires the checkpointed entry to be there, unchanged. (Someone who
can replace that file with an older copy of it can hide a truncation back to
that copy; keep backups of the checkpoint with the keys, and pass a head
recorded elsewhere with `expect_head`.)

Entries are recorded in the caller's transaction and appended to the chain when it
commits (`append_recorded`, from a before-commit hook), so the lock appends take
is held for the append alone, not for the request's work. Appends are serialised
by the database (`_serialise_appends`), so the server and CLI processes writing
at once still make one chain. The database also
refuses UPDATE and DELETE on the table (triggers in the initial migration); the
chain catches what bypasses them. Bulk operations write one entry with counts
and a digest of the affected ids.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction

from ctdata.errors import ConfigError, Conflict
from ctdata.store import meta
from ctdata.store.crypto import (
    AuditKey,
    audit_key_path,
    encrypted_since,
    encryption_mark,
    keyring,
    keyring_for,
    load_audit_key,
)
from ctdata.store.files import private_file, write_private
from ctdata.store.models import AuditEntry, utcnow
from ctdata.text import Text

log = logging.getLogger("ctdata.audit")
GENESIS = "0" * 64
#: PostgreSQL advisory lock key that serialises appends to the chain (any number; fixed for ctdata)
CHAIN_LOCK = 7042011
#: the chain version new entries are written with (see AuditEntry.chain)
CHAIN_VERSION = 2
_APPENDED = "ctdata_audit_appended"
#: session.info key: the entries recorded in the session's transaction, appended when it commits
_PENDING = "ctdata_audit_pending"
#: session.info key: a callable(session) taking a lock that must come before the store's write lock
LOCK_FIRST = "ctdata_lock_first"
#: session.info key: `crypto.encryption_mark()` when the session opened (`watch_keys`) or its transaction began
_KEY_MARK = "ctdata_key_mark"
#: session.info key: set by a transaction that puts the store's key in place itself (a key rotation)
SETS_KEY = "ctdata_sets_key"


def _canonical(ts: datetime, actor: str, action: str, entity: str, entity_id: str | None,
               reason: str | None, details: dict[str, Any]) -> str:
    return json.dumps(
        [ts.isoformat(timespec="microseconds"), actor, action, entity, entity_id, reason, details],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )


def entry_hash(prev_hash: str, ts: datetime, actor: str, action: str, entity: str,
               entity_id: str | None, reason: str | None, details: dict[str, Any]) -> str:
    """The version 1 hash (plain SHA-256 over the previous hash and the content)."""
    payload = prev_hash + _canonical(ts, actor, action, entity, entity_id, reason, details)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def keyed_hash(key: AuditKey, store_id: str, prev_hash: str, ts: datetime, actor: str, action: str,
               entity: str, entity_id: str | None, reason: str | None, details: dict[str, Any]) -> str:
    """The version 2 hash: HMAC-SHA256 with the audit key over the store id, the previous hash and the content."""
    return key.mac("ctdata-audit-2", store_id, prev_hash,
                   _canonical(ts, actor, action, entity, entity_id, reason, details))


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
    A lock the session names under `LOCK_FIRST` (cases.tx: its in-process lock on SQLite) is taken
    before, always in this order, so two threads never each hold the lock the other waits for.
    """
    first = session.info.get(LOCK_FIRST)
    if first is not None:
        first(session)
    session.flush()  # pending writes first: they may begin the transaction themselves
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})


def serialise_appends(session: Session) -> None:
    """The store's write lock (the one appends are serialised by), for callers that must update under it."""
    _serialise_appends(session)


def store_audit_key(session: Session, facts: dict[str, str] | None = None) -> AuditKey:
    """The audit key of this store, created (and its fingerprint recorded) for a store that has none yet.

    A missing or different key file is refused when the store already records one: a new key
    would make every earlier entry look forged.
    """
    facts = meta.get_all(session) if facts is None else facts
    recorded = facts.get(meta.AUDIT_KEY_ID)
    path = audit_key_path()
    if recorded is not None and not path.exists():
        raise ConfigError(f"the audit key file {path} is missing; this store's audit log is keyed with key "
                          f"{recorded}: restore the file from your backup (nothing was changed)")
    key = load_audit_key(path, create=True)
    assert key is not None
    if recorded is None:  # first writer wins: another process may record its key meanwhile
        recorded = meta.put_first(session, meta.AUDIT_KEY_ID, key.key_id)
    if recorded != key.key_id:
        raise ConfigError(f"the audit key file {path} (key {key.key_id}) is not this store's (key {recorded}): "
                          "restore the right file from your backup (nothing was changed)")
    return key


def record(session: Session, *, actor: str, action: str, entity: str, entity_id: object = None,
           reason: str | None = None, details: dict[str, Any] | None = None) -> AuditEntry:
    """Add one entry to the caller's transaction: it joins the chain when the transaction commits.

    Why not append it now: appending holds the store's write lock from reading the head until the
    transaction ends (no other entry may come between). Every request records an entry (reads are
    audited), so a lock taken at the first entry made requests wait for each other's whole work;
    taken at commit (`append_recorded`, run by the session's before-commit hook) it is held for
    the append alone. The entry and the change still commit or roll back together: both are in
    the same transaction. The entry's id, time and hash are set when it is appended.
    """
    details = json.loads(json.dumps(details or {}, default=str))  # as it is now, and as JSON will store it
    entry = AuditEntry(actor=actor, action=action, entity=entity,
                       entity_id=None if entity_id is None else str(entity_id),
                       reason=reason, details=details, chain=CHAIN_VERSION)
    session.info.setdefault(_PENDING, []).append(entry)
    return entry


def append_recorded(session: Session) -> None:
    """Append the entries recorded in this transaction to the chain: the one place the chain grows.

    Under the store's write lock (`_serialise_appends`) the head is read afresh and each entry gets
    the next id (counted here, not drawn from a sequence: a rolled-back append must leave no gap,
    which `verify` would report as a deletion), one time, and its keyed hash over the previous
    one. Runs before every commit; a caller that needs an entry's id or hash before committing
    calls it itself. The lock is released when the transaction ends. The entries stay outside the
    session (written with one INSERT); the objects `record` returned carry their id and hash.
    """
    pending: list[AuditEntry] = session.info.pop(_PENDING, [])
    if not pending:
        return
    # Read before the lock, to hold it for as few round trips as can be: a store's id and audit key,
    # once recorded, do not change (store_audit_key refuses another key; a missing id is set below).
    facts = meta.get_all(session, current=True)
    key = store_audit_key(session, facts)
    _serialise_appends(session)
    _check_encryption_key(session)
    store_id = facts.get(meta.STORE_ID) or meta.get(session, meta.STORE_ID)
    if store_id is None:  # a store emptied by hand: a new id (entries keyed under an old one stop verifying)
        store_id = uuid.uuid4().hex
        meta.put(session, meta.STORE_ID, store_id)
    head = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    last_id, prev = (head[0], head[1]) if head is not None else (0, GENESIS)
    ts = utcnow()
    rows = []
    for entry in pending:
        last_id += 1
        entry.id, entry.ts, entry.prev_hash = last_id, ts, prev
        entry.hash = prev = keyed_hash(key, store_id, prev, ts, entry.actor, entry.action, entry.entity,
                                       entry.entity_id, entry.reason, entry.details)
        rows.append({c: getattr(entry, c) for c in _COLUMNS})
    session.execute(insert(AuditEntry), rows)  # one statement, no unit of work: the lock is held meanwhile
    session.info[_APPENDED] = (store_id, last_id, prev, key)


def watch_keys(session: Session) -> None:
    """Count the keys this process encrypts with from now on against the session's next commit.

    Called where a session opens (`db.session_scope`, `cases.tx`): a caller may encrypt before its
    transaction begins (at the first statement); otherwise the count starts when it begins."""
    session.info[_KEY_MARK] = encryption_mark()


def _check_encryption_key(session: Session) -> None:
    """Refuse a commit whose transaction encrypted with a key that is not the store's (read under the lock).

    Why: a write made while `ctdata keys rotate` runs encrypts with the key file it finds (the old key
    until the rotation ends), then waits for the rotation's lock; committed after it, its values would
    be under a key the store no longer records, unreadable, and the next rotation would fail on them.
    The keys are those this process encrypted with since the transaction began (any thread's: at worst
    another transaction's stale key refuses this one too, which then simply runs again).
    """
    if session.info.get(SETS_KEY):
        return
    used = encrypted_since(session.info.get(_KEY_MARK, 0))
    if not used:
        return
    recorded = meta.get(session, meta.KEY_ID)
    if recorded is not None and used - {recorded}:
        keyring_for.cache_clear()
        raise rotated_conflict()


def rotated_conflict() -> Conflict:
    """The refusal of a change made with the key a rotation replaced meanwhile."""
    return Conflict(Text("the store's encryption key was rotated while this change was being made; nothing "
                         "was saved: try again"))


def rotated_meanwhile(session: Session) -> bool:
    """Whether the session's transaction encrypted with a key that is no longer the key file's.

    For a transaction that failed to decrypt: when it had encrypted with the old key during a rotation,
    the value it could not read back is its own, and the failure is the rotation's Conflict, not a wrong
    key file. Call before the transaction ends (the mark goes with it)."""
    used = encrypted_since(session.info.get(_KEY_MARK, 0))
    return bool(used) and bool(used - {keyring().key_id})


_COLUMNS = ("id", "ts", "actor", "action", "entity", "entity_id", "reason", "details", "prev_hash", "hash", "chain")


#: session.info key: per open savepoint (by id of its SessionTransaction), what a rollback to it restores
_SAVEPOINTS = "ctdata_audit_savepoints"


# Savepoints (`session.begin_nested()`): an entry belongs to the savepoint it was recorded in, and
# goes where that savepoint's changes go. SQLAlchemy fires before_commit and after_commit when a
# savepoint is released too, not only at the real commit; appending there would take the chain's
# lock until the transaction ends, put the entries under a savepoint that an enclosing one may still
# roll back (losing entries recorded before it), and sign a checkpoint of entries not yet committed.
# So the chain grows and the checkpoint is written only at the outermost commit, and a rollback to a
# savepoint puts back what was recorded and appended when it began (`_savepoint_begun`,
# `_savepoint_rolled_back`): the entries recorded inside it are dropped with its changes, and entries
# of the enclosing transaction that were appended inside it (their INSERT undone) wait again.


def _in_savepoint(session: Session) -> bool:
    """Whether the commit now running is a savepoint's release, not the transaction's commit.

    `Session.commit()` releases the open savepoints one by one before the outermost commit runs, so
    at the outermost commit none is open (a savepoint left open under a root committed directly is
    the one case this cannot tell apart; ctdata's transactions commit through the session)."""
    return session.in_nested_transaction()


@event.listens_for(Session, "before_commit")
def _append_before_commit(session: Session) -> None:
    if not _in_savepoint(session):
        append_recorded(session)


@event.listens_for(Session, "after_transaction_create")
def _savepoint_begun(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.setdefault(_KEY_MARK, encryption_mark())
    if transaction.nested:
        session.info.setdefault(_SAVEPOINTS, {})[id(transaction)] = (
            list(session.info.get(_PENDING, [])), session.info.get(_APPENDED))


@event.listens_for(Session, "after_soft_rollback")
def _savepoint_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rollback to a savepoint: the entries and the appended head go back to what they were at its start."""
    if not previous_transaction.nested:
        return
    pending, appended = session.info.get(_SAVEPOINTS, {}).pop(id(previous_transaction), ([], None))
    session.info[_PENDING] = pending
    if appended is None:
        session.info.pop(_APPENDED, None)
    else:
        session.info[_APPENDED] = appended


@event.listens_for(Session, "after_transaction_end")
def _forget_unappended(session: Session, transaction: SessionTransaction) -> None:
    """Entries of a transaction that ended without committing are dropped with its changes."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_SAVEPOINTS, None)
        session.info.pop(_KEY_MARK, None)


# --------------------------------------------------------------------------- checkpoints
def checkpoint_path() -> Path:
    """Signed checkpoints of the head, one per store id, beside the audit key."""
    return audit_key_path().with_name("audit.checkpoints.json")


def _checkpoint_mac(key: AuditKey, store_id: str, entry_id: int, entry_hash_: str, ts: str) -> str:
    return key.mac("ctdata-checkpoint-1", store_id, str(entry_id), entry_hash_, ts)


def read_checkpoint(store_id: str, path: Path | None = None) -> dict[str, Any] | None:
    try:
        data = json.loads(Path(path or checkpoint_path()).read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        return {"unreadable": True}
    cp = data.get(store_id) if isinstance(data, dict) else None
    return cp if isinstance(cp, dict) else None


#: per process: the highest entry whose checkpoint this process wrote, per (file, store id)
_cp_written: dict[tuple[str, str], int] = {}
#: per process: the newest entry waiting for a checkpoint, per (file, store id)
_cp_pending: dict[tuple[str, str], tuple[int, str, AuditKey]] = {}
_cp_state = threading.Lock()
_cp_writer = threading.Lock()


def write_checkpoint(key: AuditKey, store_id: str, entry_id: int, entry_hash_: str, *,
                     path: Path | None = None, force: bool = False) -> None:
    """Record that entry `entry_id` of store `store_id` has hash `entry_hash_` (only ever forward unless forced).

    When this returns, the file holds a checkpoint of this entry or of a later one (which chains to
    it, so covers it). Threads of one process commit one after another; while one writes the file,
    the others' entries gather in `_cp_pending` and the next writer records the newest of them, so
    a busy server writes the file once per batch of commits instead of once per commit.
    """
    path = Path(path or checkpoint_path())
    slot = (str(path), store_id)
    with _cp_state:
        if force:
            _cp_written.pop(slot, None)
        pend = _cp_pending.get(slot)
        if force or pend is None or pend[0] < entry_id:
            _cp_pending[slot] = (entry_id, entry_hash_, key)
    with _cp_writer:
        with _cp_state:
            if not force and _cp_written.get(slot, 0) >= entry_id:
                return  # a later entry's checkpoint, written meanwhile by this process, covers this one
            eid, h, k = _cp_pending.pop(slot, (entry_id, entry_hash_, key))
        written = _write_checkpoint_file(path, k, store_id, eid, h, force=force)
        with _cp_state:
            _cp_written[slot] = max(written, eid) if not force else eid


def _write_checkpoint_file(path: Path, key: AuditKey, store_id: str, entry_id: int, entry_hash_: str, *,
                           force: bool) -> int:
    """Write one checkpoint under the file's lock (other processes); returns the id the file then holds."""
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except FileNotFoundError:  # the folder is new (or was removed): make it private, then the file
        private_file(lock)
        fd = os.open(lock, os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "a") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            data = {}
        old = data.get(store_id) or {}
        if not force and isinstance(old.get("id"), int) and old["id"] >= entry_id:
            return int(old["id"])  # another process wrote a later one
        ts = utcnow().isoformat(timespec="seconds")
        data[store_id] = {"id": entry_id, "hash": entry_hash_, "ts": ts,
                          "mac": _checkpoint_mac(key, store_id, entry_id, entry_hash_, ts)}
        # no fsync: an older checkpoint stays true after a power loss, and this runs at every commit
        write_private(path, json.dumps(data, indent=1).encode(), durable=False)
        return entry_id


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session: Session) -> None:
    if _in_savepoint(session):  # released, not committed: the entries may still roll back
        return
    if session.info.get(_PENDING):
        log.error("audit entries recorded but not appended at commit (a savepoint left open?): %d lost",
                  len(session.info[_PENDING]))
    appended = session.info.pop(_APPENDED, None)
    if appended is None:
        return
    store_id, entry_id, h, key = appended
    try:
        write_checkpoint(key, store_id, entry_id, h)
    except OSError as exc:  # the change is committed; a missed checkpoint only weakens truncation checks
        log.warning("could not write the audit checkpoint %s: %s", checkpoint_path(), exc)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_APPENDED, None)  # a savepoint's rollback puts it back (`_savepoint_rolled_back`)


# --------------------------------------------------------------------------- verification
@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    keyed: int = 0
    checkpoint: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "problems": self.problems,
                "notes": self.notes, "keyed": self.keyed, "checkpoint": self.checkpoint}


def verify_entries(rows: Iterable[AuditEntry], *, store_id: str | None, key: AuditKey | None,
                   checkpoint: dict[str, Any] | None = None, expect_head: str | None = None,
                   first_id: int | None = None) -> VerifyResult:
    """Walk entries in id order and report every one that does not fit (used on a store and on a backup)."""
    problems: list[str] = []
    notes: list[str] = []
    prev, prev_id, count, keyed, legacy = GENESIS, None, 0, 0, 0
    cp_id: int | None = None
    cp_seen = False
    if checkpoint is not None:
        if checkpoint.get("unreadable"):
            problems.append("the checkpoint file cannot be read")
            checkpoint = None
        elif key is None or store_id is None:
            problems.append("a checkpoint of the chain exists but the audit key is missing: it cannot be checked")
            checkpoint = None
        elif checkpoint.get("mac") != _checkpoint_mac(key, store_id, checkpoint.get("id", -1),
                                                      checkpoint.get("hash", ""), checkpoint.get("ts", "")):
            problems.append("the checkpoint is not signed with this store's audit key (forged or replaced)")
            checkpoint = None
        else:
            cp_id = int(checkpoint["id"])
    missing_key_reported = False
    for e in rows:
        count += 1
        if prev_id is not None and e.id != prev_id + 1:
            problems.append(f"entries {prev_id + 1}..{e.id - 1} are missing (deleted)")
        if e.prev_hash != prev:
            problems.append(f"entry {e.id}: does not follow entry {prev_id} (chain broken)")
        details = e.details or {}
        if (e.chain or 1) >= 2:
            keyed += 1
            if key is None or store_id is None:
                if not missing_key_reported:
                    problems.append(f"entry {e.id}: keyed, but the audit key file {audit_key_path()} is missing; "
                                    "keyed entries cannot be checked")
                    missing_key_reported = True
            elif keyed_hash(key, store_id, e.prev_hash, e.ts, e.actor, e.action, e.entity, e.entity_id,
                            e.reason, details) != e.hash:
                problems.append(f"entry {e.id}: content does not match its keyed hash (edited or forged)")
        else:
            legacy += 1
            if keyed:
                problems.append(f"entry {e.id}: an unkeyed (version 1) entry after the chain was keyed (forged)")
            elif entry_hash(e.prev_hash, e.ts, e.actor, e.action, e.entity, e.entity_id, e.reason,
                            details) != e.hash:
                problems.append(f"entry {e.id}: content does not match its hash (edited)")
        if cp_id is not None and e.id == cp_id:
            cp_seen = True
            if e.hash != checkpoint["hash"]:  # type: ignore[index]
                problems.append(f"entry {e.id}: differs from the checkpoint of {checkpoint['ts']} "  # type: ignore[index]
                                "(the end of the log was replaced)")
        prev, prev_id = e.hash, e.id
    if first_id not in (None, 1):
        problems.insert(0, f"entries 1..{first_id - 1} are missing (deleted)")
    if cp_id is not None and not cp_seen:
        problems.append(f"the chain ends at entry {prev_id or 0}, but the checkpoint of {checkpoint['ts']} "  # type: ignore[index]
                        f"recorded entry {cp_id}: entries were removed from the end")
    if legacy:
        notes.append(f"{legacy:,} entries predate the keyed chain (version 1, plain SHA-256): they are checked "
                     "for consistency, and the first keyed entry seals them" if keyed else
                     f"{legacy:,} entries, none keyed yet (version 1): the next entry written keys the chain")
    if expect_head and expect_head != prev:
        problems.append(f"head is {prev[:12]}, expected {expect_head[:12]} (entries removed from the end?)")
    return VerifyResult(not problems, count, prev, problems, notes, keyed, cp_id)


def iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    """The audit entries in id order, read in batches."""
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def verify(session: Session, expect_head: str | None = None, batch: int = 5000) -> VerifyResult:
    """Check the store's chain (only reads: works on a read-only copy) against its key and checkpoint."""
    facts = meta.get_all(session)
    store_id = facts.get(meta.STORE_ID)
    key = load_audit_key(create=False)
    recorded = facts.get(meta.AUDIT_KEY_ID)
    result_problems: list[str] = []
    if key is not None and recorded is not None and key.key_id != recorded:
        result_problems.append(f"the audit key file {audit_key_path()} (key {key.key_id}) is not this store's "
                               f"(key {recorded})")
        key = None
    checkpoint = read_checkpoint(store_id) if store_id else None
    first = session.execute(select(func.min(AuditEntry.id))).scalar()
    res = verify_entries(iter_entries(session, batch), store_id=store_id, key=key, checkpoint=checkpoint,
                         expect_head=expect_head, first_id=first)
    if recorded is not None and res.entries and not res.keyed and key is not None:
        result_problems.append("the store's log was keyed, but no keyed entry is left (the log was rewritten)")
    if result_problems:
        res.problems[:0] = result_problems
        res.ok = False
    return res


def verify_store(url: str | None = None, expect_head: str | None = None) -> VerifyResult:
    """`verify` on the configured store (or `url`) opened read-only: it changes nothing, and works on a copy.

    The schema is not upgraded (that would write): a store at another revision is refused with a word.
    """
    from ctdata.store import db  # db imports the store's key check, which imports this module

    eng = db.readonly_engine(url)
    try:
        revision = db.current_revision(eng)
        if revision != db.head_revision():
            raise ConfigError(f"the store is at schema revision {revision}, this ctdata reads "
                              f"{db.head_revision()}: run `ctdata migrate` on a writable copy first")
        with Session(eng) as s:
            return verify(s, expect_head=expect_head)
    finally:
        eng.dispose()


def entries_for(session: Session, entity: str, entity_id: object, limit: int = 500) -> list[AuditEntry]:
    return list(session.execute(
        select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id.desc()).limit(limit)
    ).scalars())

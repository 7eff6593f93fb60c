"""The store and its encryption key: the fingerprint check, and key rotation.

A store records the fingerprint of the key file that encrypted its fields
(store_meta `key_id`). Opening a store checks the key file against it before
anything is written: a missing or different key file is refused with one line,
never replaced by a new key (which would encrypt new rows with a key the old
rows do not share, and lose one half or the other). A store from before the
fingerprint was recorded is checked by decrypting a sample of each encrypted
field, then the fingerprint is recorded.

`rotate` re-encrypts every encrypted field with a new encryption key in one
transaction, checks every new value decrypts, records the new fingerprint and
only then puts the new key file in place; the old key file is kept beside it.
The pseudonym key is kept, so person keys (and linkage) do not change.

Rotation beside other work. One rotation at a time per key file: a file lock
(`<key>.rotating`) held from before the new key is staged until it is in place,
so a second rotation is refused at once instead of waiting for the store and,
when it gave up, deleting the first one's staged key. Writers take the store's
write lock (the audit chain's) at their commit, after their row locks; on
PostgreSQL the rotation therefore locks the tables it re-encrypts before that
lock (writers under way finish first, later ones wait), never the other way
round. At no moment is the key file missing: the old key is copied aside, then
the new one replaces it in one rename.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, Table, bindparam, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ctdata.config import settings
from ctdata.errors import ConfigError
from ctdata.store import audit, meta
from ctdata.store.crypto import KeyRing, keyring_for, load_keyring
from ctdata.store.fields import ENCRYPTED
from ctdata.store.files import private_dir, write_private
from ctdata.store.models import Base

#: every encrypted column, with the context its values are bound to (KeyRing.encrypt's `context`):
#: the one list, kept in store.fields beside the functions that seal and unseal free text
ENCRYPTED_FIELDS = ENCRYPTED

_checked: weakref.WeakSet[Engine] = weakref.WeakSet()
#: rotation locks this process holds (a lock it holds is no other process's rotation under way)
_holding: set[str] = set()


def encrypted_columns() -> list[tuple[Table, str, str]]:
    """(table, column, context) of every encrypted field the store's tables have."""
    out = []
    for (tname, col), ctx in ENCRYPTED_FIELDS.items():
        table = Base.metadata.tables.get(tname)
        if table is not None and col in table.c:
            out.append((table, col, ctx))
    return out


def unregistered_columns() -> list[str]:
    """Binary `*_enc` columns with no entry in ENCRYPTED_FIELDS (rotation would not know their context)."""
    return sorted(
        f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.c
        if c.name.endswith("_enc") and (t.name, c.name) not in ENCRYPTED_FIELDS
    )


def _samples(session: Session) -> list[tuple[str, bytes]]:
    """One stored value of each encrypted field (to test a key against)."""
    out = []
    for table, col, ctx in encrypted_columns():
        blob = session.execute(select(table.c[col]).where(table.c[col].is_not(None)).limit(1)).scalar()
        if blob is not None:
            out.append((ctx, bytes(blob)))
    return out


def _refuse_missing(path: Path, recorded: str | None) -> ConfigError:
    which = f"with key {recorded}" if recorded else "with a key"
    return ConfigError(f"the key file {path} is missing, and this store's fields are encrypted {which}: restore "
                       "the key file from your backup, or point CTDATA_KEY_FILE at it (nothing was changed)")


def _rotation_running(path: Path) -> bool:
    """Whether another process holds the rotation lock of this key file (`_one_rotation`)."""
    lock = path.with_name(path.name + ".rotating")
    if str(lock) in _holding or not lock.exists():
        return False
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _refuse_other(path: Path, have: str, recorded: str) -> ConfigError:
    new = path.with_name(path.name + ".new")
    if new.exists():
        if _rotation_running(path):  # committed, its key file not moved into place yet: a moment
            return ConfigError(f"a key rotation of {path} is under way: run this again when it has finished "
                               "(nothing was changed)")
        try:
            if load_keyring(new).key_id == recorded:
                return ConfigError(f"a key rotation was interrupted: this store's key is {new}; move it to {path} "
                                   "(the key file there is the old one; nothing was changed)")
        except ConfigError:
            pass
    return ConfigError(f"the key file {path} (key {have}) is not this store's key ({recorded}): restore the right "
                       "key file from your backup (nothing was changed)")


def check_store_key(session: Session, path: Path | None = None) -> KeyRing | None:
    """The store's key ring, checked against the store; refuses a missing or different key file.

    A store that holds no encrypted value yet takes the key file as it finds it (and records its
    fingerprint); without a key file it is left alone (the key is created at the first encryption).
    A store with encrypted values and no recorded fingerprint (older stores) is checked by
    decrypting one value of each encrypted field, then the fingerprint is recorded.
    """
    path = Path(path or settings().key_file)
    recorded = meta.get(session, meta.KEY_ID)
    keys = load_keyring(path) if path.exists() else None
    if keys is not None and keys.key_id == recorded:
        return keys
    samples = _samples(session)
    if not samples:
        if keys is not None:
            _record(session, path, keys)
        return keys
    if keys is None:
        raise _refuse_missing(path, recorded)
    if recorded is not None:
        raise _refuse_other(path, keys.key_id, recorded)
    for ctx, blob in samples:
        try:
            keys.decrypt(blob, ctx)
        except ConfigError:
            raise ConfigError(f"the key file {path} (key {keys.key_id}) does not decrypt this store's {ctx} "
                              "fields: restore the right key file from your backup (nothing was changed)") from None
    _record(session, path, keys)
    return keys


def _record(session: Session, path: Path, keys: KeyRing) -> None:
    """Record the key's fingerprint; another process may have recorded one meanwhile, which must be this key."""
    stored = meta.put_first(session, meta.KEY_ID, keys.key_id)
    if stored != keys.key_id:
        raise _refuse_other(path, keys.key_id, stored)


def ensure_store_key(eng: Engine) -> None:
    """`check_store_key` once per engine (every entry point reaches it through db.upgrade)."""
    if eng in _checked:
        return
    with Session(eng) as session, session.begin():
        check_store_key(session)
    _checked.add(eng)


def describe(eng: Engine) -> dict[str, str | None]:
    """Where the keys are and their fingerprints, beside what the store records (no key material)."""
    from ctdata.store.crypto import audit_key_path, load_audit_key

    path = settings().key_file
    audit_path = audit_key_path()
    with Session(eng) as s:
        facts = meta.get_all(s)
    audit_key = load_audit_key(audit_path)
    return {
        "key_file": str(path),
        "key": load_keyring(path).key_id if path.exists() else None,
        "store_key": facts.get(meta.KEY_ID),
        "audit_key_file": str(audit_path),
        "audit_key": audit_key.key_id if audit_key else None,
        "store_audit_key": facts.get(meta.AUDIT_KEY_ID),
        "store_id": facts.get(meta.STORE_ID),
    }


@dataclass
class RotateResult:
    old_key: str
    new_key: str
    fields: dict[str, int] = field(default_factory=dict)
    old_key_file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"old_key": self.old_key, "new_key": self.new_key, "fields": self.fields,
                "old_key_file": self.old_key_file}


def _new_keyring(old: KeyRing) -> tuple[KeyRing, bytes]:
    enc = AESGCM.generate_key(bit_length=256)
    data = {"version": 1, "enc_key": base64.b64encode(enc).decode(), "mac_key": base64.b64encode(old.mac_key).decode()}
    return KeyRing(enc, old.mac_key, hashlib.sha256(enc + old.mac_key).hexdigest()[:12]), json.dumps(data).encode()


#: PostgreSQL's SQLSTATE for a deadlock it broke by aborting this transaction
_DEADLOCK = "40P01"


@contextmanager
def _one_rotation(path: Path) -> Iterator[None]:
    """Hold `<key file>.rotating` for the whole rotation; a second rotation is refused, not queued."""
    lock = path.with_name(path.name + ".rotating")
    private_dir(lock.parent)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"another key rotation of {path} is under way: let it finish (its process holds "
                              f"{lock}); nothing was changed") from None
        _holding.add(str(lock))
        yield
    finally:
        _holding.discard(str(lock))
        os.close(fd)


def rotate(eng: Engine, *, actor: str = "system", path: Path | None = None, batch: int = 2000,
           attempts: int = 3) -> RotateResult:
    """Re-encrypt every encrypted field with a new encryption key (one transaction; the old key file is kept).

    A deadlock PostgreSQL breaks by aborting the rotation (a writer that changed rows of two encrypted
    tables while the rotation was locking them) rolls it back whole; it is run again, `attempts` in all.
    """
    path = Path(path or settings().key_file)
    unknown = unregistered_columns()
    if unknown:
        raise ConfigError(f"cannot rotate: encrypted columns without a registered context: {', '.join(unknown)}")
    staged = path.with_name(path.name + ".new")
    with _one_rotation(path):
        for attempt in range(1, attempts + 1):
            try:
                result, old = _reencrypt(eng, actor, path, staged, batch)
                break
            except OperationalError as exc:
                staged.unlink(missing_ok=True)
                if getattr(exc.orig, "sqlstate", None) != _DEADLOCK or attempt == attempts:
                    raise
                time.sleep(0.2 * attempt)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
        kept = path.with_name(f"{path.name}.{old.key_id}.old")
        write_private(kept, path.read_bytes())  # a copy: the key file is there, old or new, at every moment
        os.replace(staged, path)
    keyring_for.cache_clear()
    result.old_key_file = str(kept)
    return result


def _lock_tables(session: Session) -> None:
    """PostgreSQL: lock the tables a rotation rewrites against writes (reads go on) before the chain's lock.

    A writer holds its row locks until its commit, where it takes the chain's lock to append its
    audit entry; a rotation holding the chain's lock and waiting for such a row deadlocked with it.
    SQLite has one write lock for the whole file, which the rotation takes first (`_serialise_appends`).
    """
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    names = sorted({table.name for table, _col, _ctx in encrypted_columns()})
    conn.execute(text(f"LOCK TABLE {', '.join(quote(n) for n in names)} IN EXCLUSIVE MODE"))


def _reencrypt(eng: Engine, actor: str, path: Path, staged: Path, batch: int) -> tuple[RotateResult, KeyRing]:
    with Session(eng) as session, session.begin():
        session.info[audit.SETS_KEY] = True  # it checks every value it writes against the new key itself
        _lock_tables(session)
        audit._serialise_appends(session)  # the write lock: no field is written meanwhile
        old = check_store_key(session, path) or load_keyring(path)
        new, text = _new_keyring(old)
        write_private(staged, text)  # on disk before the store depends on it
        result = RotateResult(old.key_id, new.key_id)
        for table, col, ctx in encrypted_columns():
            pk = next(iter(table.primary_key.columns))
            c = table.c[col]
            rows = session.execute(select(pk, c).where(c.is_not(None)).order_by(pk)).all()
            stmt = update(table).where(pk == bindparam("_pk")).values({col: bindparam("_v")})
            for i in range(0, len(rows), batch):
                chunk = rows[i : i + batch]
                session.execute(stmt, [{"_pk": r[0], "_v": new.encrypt(old.decrypt(r[1], ctx), ctx)} for r in chunk])
            for _pk, blob in session.execute(select(pk, c).where(c.is_not(None))):  # verify: all decrypt
                new.decrypt(blob, ctx)
            result.fields[f"{table.name}.{col}"] = len(rows)
        meta.put(session, meta.KEY_ID, new.key_id)
        audit.record(session, actor=actor, action="keys.rotate", entity="store",
                     details={"old_key": old.key_id, "new_key": new.key_id, "fields": result.fields})
    return result, old

"""Backups of the store and their restore, checked before anything is replaced.

A backup is a directory:

- ``manifest.json``: what the backup holds - the store's id, the fingerprint of
  the encryption key its fields need (the key itself is NOT in the backup: keep
  the key files in a separate, safer place), the audit key's fingerprint, the
  audit chain's head, the schema revision and a SHA-256 of every file; signed
  with the audit key (HMAC), so a changed backup is refused.
- the store: on SQLite ``store.sqlite``, a consistent copy made with SQLite's
  online backup API while the store is in use; on PostgreSQL ``tables/*.jsonl``,
  a logical dump of every ctdata table read in one REPEATABLE READ transaction
  (a consistent snapshot; not a pg_dump: no roles, grants or server settings).
- ``warehouse/``: the Parquet snapshot, as files.

`restore` first checks the backup whole: the manifest's signature and file
digests, the audit chain inside it (keyed with the audit key here, ending at the
head the manifest recorded) and that the key file here is the one its fields
were encrypted with. Only then is the store replaced - on SQLite through the
backup API into the live file (other connections see the old or the new store,
never a mixture); on PostgreSQL by TRUNCATE and inserts in one transaction, for
a store at the same schema revision. The restore is itself recorded in the
audit log, and the head checkpoint moves to the restored chain.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Date, DateTime, Engine, Integer, LargeBinary, create_engine, func, inspect, select, text
from sqlalchemy.orm import Session

from ctdata.config import settings
from ctdata.errors import ConfigError
from ctdata.store import audit, meta
from ctdata.store.crypto import load_audit_key, load_keyring
from ctdata.store.files import private_dir, sha256_file, write_private
from ctdata.store.keys import check_store_key
from ctdata.store.models import AuditEntry, Base

FORMAT = 1
MANIFEST = "manifest.json"


@dataclass
class BackupResult:
    path: str
    backend: str
    store_id: str
    key_id: str | None
    entries: int
    head: str
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "backend": self.backend, "store_id": self.store_id, "key_id": self.key_id,
                "audit_entries": self.entries, "audit_head": self.head, "files": len(self.files)}


def _sign(manifest: dict[str, Any]) -> str:
    key = load_audit_key(create=False)
    if key is None:
        raise ConfigError("the audit key file is missing: a backup cannot be signed or checked without it")
    body = json.dumps({k: v for k, v in manifest.items() if k != "mac"}, sort_keys=True, separators=(",", ":"))
    return key.mac("ctdata-backup-1", body)


def _encode(col: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(col.type, LargeBinary):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode(col: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(col.type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(col.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(col.type, Date):
        return date.fromisoformat(value)
    return value


def _tables(eng: Engine) -> list[Any]:
    present = set(inspect(eng).get_table_names()) - {"alembic_version"}
    unknown = present - set(Base.metadata.tables)
    if unknown:
        raise ConfigError(f"the store has tables this ctdata does not know ({', '.join(sorted(unknown))}): "
                          "back it up with the ctdata version that made them")
    return [t for t in Base.metadata.sorted_tables if t.name in present]


def _sqlite_path(eng: Engine) -> Path:
    return Path(eng.url.database or "").expanduser()


def backup(eng: Engine, out: Path) -> BackupResult:
    """Write a backup of the store (and the warehouse) to the new directory `out`."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} exists and is not empty: choose a new directory for the backup")
    with Session(eng) as s, s.begin():
        check_store_key(s)  # the key file here must be the store's (and its fingerprint is recorded)
    private_dir(out)
    files: dict[str, str] = {}
    if eng.dialect.name == "sqlite":
        target = out / "store.sqlite"
        src = sqlite3.connect(f"file:{_sqlite_path(eng)}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, readable read-only
        finally:
            dst.close()
            src.close()
        target.chmod(0o600)
        snap_eng = create_engine(f"sqlite:///{target}")
        try:
            with Session(snap_eng) as s:
                facts, res, revision = _describe(s)
        finally:
            snap_eng.dispose()
    else:
        with eng.connect() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            with Session(bind=conn) as s:
                facts, res, revision = _describe(s)
                private_dir(out / "tables")
                for table in _tables(eng):
                    target = out / "tables" / f"{table.name}.jsonl.gz"
                    with gzip.open(target, "wt", encoding="utf-8") as fh:
                        cols = list(table.c)
                        for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                            fh.write(json.dumps({c.name: _encode(c, v) for c, v in zip(cols, row, strict=True)},
                                                ensure_ascii=False) + "\n")
                    target.chmod(0o600)
            conn.rollback()
    warehouse = settings().warehouse_dir
    if warehouse.is_dir():
        shutil.copytree(warehouse, out / "warehouse")
    for p in sorted(out.rglob("*")):
        if p.is_file():
            files[str(p.relative_to(out))] = sha256_file(p)
    manifest = {
        "format": FORMAT, "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "backend": eng.dialect.name, "revision": revision, "store_id": facts.get(meta.STORE_ID),
        "key_id": facts.get(meta.KEY_ID), "audit_key_id": facts.get(meta.AUDIT_KEY_ID),
        "audit_entries": res.entries, "audit_head": res.head, "files": files,
    }
    manifest["mac"] = _sign(manifest)
    write_private(out / MANIFEST, json.dumps(manifest, indent=1).encode())
    return BackupResult(str(out), eng.dialect.name, str(facts.get(meta.STORE_ID)), facts.get(meta.KEY_ID),
                        res.entries, res.head, files)


def _describe(s: Session) -> tuple[dict[str, str], audit.VerifyResult, str | None]:
    facts = meta.get_all(s)
    res = audit.verify(s)
    if not res.ok:
        raise ConfigError(f"the store's audit log does not verify ({res.problems[0]}): not backing up a store "
                          "whose log is broken; run `ctdata audit verify`")
    revision = s.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return facts, res, revision


# --------------------------------------------------------------------------- restore
@dataclass
class RestoreResult:
    path: str
    store_id: str
    entries: int
    head: str
    previous_head: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "store_id": self.store_id, "audit_entries": self.entries,
                "audit_head": self.head, "previous_head": self.previous_head}


def _load_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{src} is not a ctdata backup (no {MANIFEST})") from None
    except ValueError:
        raise ConfigError(f"{src / MANIFEST} is not readable JSON") from None
    if manifest.get("format") != FORMAT:
        raise ConfigError(f"{src}: backup format {manifest.get('format')!r} is not one this ctdata reads")
    if manifest.get("mac") != _sign(manifest):
        raise ConfigError(f"{src}: the manifest is not signed with this installation's audit key "
                          "(changed, or made with another audit key): nothing was restored")
    for name, digest in manifest["files"].items():
        p = src / name
        if not p.is_file() or sha256_file(p) != digest:
            raise ConfigError(f"{src}: {name} is missing or changed since the backup was made: nothing was restored")
    return manifest


def _jsonl(src: Path, table: Any) -> Iterator[dict[str, Any]]:
    path = src / "tables" / f"{table.name}.jsonl.gz"
    if not path.exists():
        return
    cols = {c.name: c for c in table.c}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            raw = json.loads(line)
            yield {k: _decode(cols[k], v) for k, v in raw.items() if k in cols}


def _check_backup(src: Path, manifest: dict[str, Any]) -> None:
    """The chain in the backup verifies and ends at the recorded head; the key file here is the backup's key."""
    key_here = settings().key_file
    if manifest.get("key_id"):
        if not key_here.exists():
            raise ConfigError(f"the key file {key_here} is missing; the backup's fields are encrypted with key "
                              f"{manifest['key_id']}: put that key file in place first (nothing was restored)")
        have = load_keyring(key_here).key_id
        if have != manifest["key_id"]:
            raise ConfigError(f"the key file {key_here} (key {have}) is not the key of the backup's fields "
                              f"({manifest['key_id']}): put the right key file in place first (nothing was restored)")
    key = load_audit_key(create=False)
    store_id = manifest["store_id"]
    if manifest["backend"] == "sqlite":
        snap = create_engine(f"sqlite:///file:{src / 'store.sqlite'}?mode=ro&uri=true")
        try:
            with Session(snap) as s:
                if meta.get(s, meta.STORE_ID) != store_id:
                    raise ConfigError(f"{src}: the store inside is not the one its manifest names (nothing restored)")
                first = s.execute(select(func.min(AuditEntry.id))).scalar()
                res = audit.verify_entries(audit.iter_entries(s), store_id=store_id, key=key,
                                           expect_head=manifest["audit_head"], first_id=first)
        finally:
            snap.dispose()
    else:
        table = AuditEntry.__table__
        rows = (SimpleNamespace(**r) for r in _jsonl(src, table))
        res = audit.verify_entries(rows, store_id=store_id, key=key, expect_head=manifest["audit_head"])
    if not res.ok:
        raise ConfigError(f"{src}: the backup's audit log does not verify ({res.problems[0]}): nothing was restored")


def restore(eng: Engine, src: Path, *, actor: str = "system") -> RestoreResult:
    """Replace the store (and the warehouse) with the backup at `src`, after checking it whole."""
    src = Path(src)
    manifest = _load_manifest(src)
    if manifest["backend"] != eng.dialect.name:
        raise ConfigError(f"{src} is a {manifest['backend']} backup; the store here is {eng.dialect.name}")
    _check_backup(src, manifest)
    previous = None
    try:
        with Session(eng) as s:
            previous = s.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    except Exception:  # noqa: BLE001 - an empty or missing store has no previous head
        previous = None
    if eng.dialect.name == "sqlite":
        eng.dispose()
        live = sqlite3.connect(_sqlite_path(eng), timeout=30)
        snap = sqlite3.connect(f"file:{src / 'store.sqlite'}?mode=ro", uri=True)
        try:
            snap.backup(live)
        finally:
            snap.close()
            live.close()
    else:
        _restore_pg(eng, src, manifest)
    warehouse = settings().warehouse_dir
    if (src / "warehouse").is_dir():
        staged = warehouse.with_name(warehouse.name + ".restoring")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(src / "warehouse", staged)
        old = warehouse.with_name(warehouse.name + ".before-restore")
        shutil.rmtree(old, ignore_errors=True)
        if warehouse.exists():
            warehouse.rename(old)
        staged.rename(warehouse)
        shutil.rmtree(old, ignore_errors=True)
    with Session(eng) as s, s.begin():
        entry = audit.record(s, actor=actor, action="store.restore", entity="store",
                             details={"backup": str(src), "made": manifest["created"],
                                      "backup_head": manifest["audit_head"], "previous_head": previous})
        audit.append_recorded(s)  # now: its id and hash go into the checkpoint below
        key = audit.store_audit_key(s)
        store_id, entry_id, head = manifest["store_id"], entry.id, entry.hash
    audit.write_checkpoint(key, store_id, entry_id, head, force=True)
    return RestoreResult(str(src), store_id, manifest["audit_entries"] + 1, head, previous)


def _restore_pg(eng: Engine, src: Path, manifest: dict[str, Any]) -> None:
    from alembic import command

    from ctdata.store.db import alembic_config, current_revision

    revision = current_revision(eng)
    if revision is None:  # an empty database: give it the backup's schema first
        command.upgrade(alembic_config(eng), manifest["revision"])
        revision = current_revision(eng)
    if revision != manifest["revision"]:
        raise ConfigError(f"{src} was made at schema revision {manifest['revision']}, the store here is at "
                          f"{revision}: restore into a store at the same revision (nothing was restored)")
    tables = _tables(eng)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY"))
        for table in tables:
            batch: list[dict[str, Any]] = []
            for row in _jsonl(src, table):
                batch.append(row)
                if len(batch) >= 2000:
                    conn.execute(table.insert(), batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
            for col in table.primary_key.columns:  # sequences continue after the restored ids
                if not isinstance(col.type, Integer):
                    continue
                conn.execute(text(
                    f"SELECT setval(seq, COALESCE((SELECT MAX({col.name}) FROM {table.name}), 0) + 1, false) "
                    f"FROM (SELECT pg_get_serial_sequence('{table.name}', '{col.name}') AS seq) s "
                    "WHERE seq IS NOT NULL"
                ))

"""Backup and restore: the store, its key fingerprint and the warehouse; restore checks before it replaces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ctdata.errors import ConfigError
from ctdata.ingest.standard_import import import_standard
from ctdata.store import audit, backup, crypto, db
from ctdata.store.files import sha256_file
from ctdata.store.models import AuditEntry, Person
from tests.conftest import reset_caches
from tests.ingest.helpers import record, write_records


def _load(tmp_path: Path, first: int, n: int) -> None:
    import_standard(write_records(tmp_path / f"r{first}.csv", [record(i) for i in range(first, first + n)]))


def _state(eng) -> tuple[int, list[str | None], str]:  # type: ignore[no-untyped-def]
    ring = crypto.keyring()
    with db.session_scope(eng) as s:
        names = [ring.decrypt(p.family_name_enc, "family_name")
                 for p in s.execute(select(Person).order_by(Person.id)).scalars()]
        head = s.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
        return s.execute(select(func.count()).select_from(AuditEntry)).scalar(), names, head


def _warehouse(store) -> Path:  # type: ignore[no-untyped-def]
    return store.data_dir / "warehouse"


def test_backup_then_restore_brings_back_store_and_warehouse(store, tmp_path: Path) -> None:
    _load(tmp_path, 0, 4)
    eng = db.upgrade()
    (_warehouse(store) / "cases").mkdir(parents=True)
    (_warehouse(store) / "cases" / "part-0.parquet").write_bytes(b"snapshot one")
    entries, names, head = _state(eng)
    res = backup.backup(eng, tmp_path / "bk")
    assert res.head == head and res.entries == entries and res.key_id == crypto.keyring().key_id
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert "warehouse/cases/part-0.parquet" in manifest["files"]
    assert not any("key" in name and name.endswith(".key") for name in manifest["files"])  # keys stay apart
    # the store moves on: more records, a new warehouse
    _load(tmp_path, 10, 3)
    (_warehouse(store) / "cases" / "part-0.parquet").write_bytes(b"snapshot two")
    assert _state(eng)[1] != names
    out = backup.restore(eng, tmp_path / "bk", actor="tester")
    reset_caches()
    eng = db.upgrade()
    entries_after, names_after, _head = _state(eng)
    assert names_after == names and entries_after == entries + 1  # + the restore's own entry
    assert out.previous_head is not None and out.previous_head != head
    assert (_warehouse(store) / "cases" / "part-0.parquet").read_bytes() == b"snapshot one"
    with db.session_scope(eng) as s:
        res_v = audit.verify(s)
        last = s.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert res_v.ok, res_v.problems
    assert last.action == "store.restore" and last.details["backup_head"] == head
    _load(tmp_path, 20, 2)  # the restored store takes new work (ids and sequences continue)
    with db.session_scope(eng) as s:
        assert audit.verify(s).ok


def _refused_unchanged(eng, src: Path, match: str) -> None:  # type: ignore[no-untyped-def]
    before = _state(eng)
    with pytest.raises(ConfigError, match=match):
        backup.restore(eng, src)
    assert _state(eng) == before


def test_restore_refuses_a_changed_backup(store, tmp_path: Path) -> None:
    _load(tmp_path, 0, 3)
    eng = db.upgrade()
    backup.backup(eng, tmp_path / "bk")
    _load(tmp_path, 10, 2)
    victim = next(p for p in (tmp_path / "bk").rglob("*") if p.is_file() and p.name != "manifest.json")
    victim.write_bytes(victim.read_bytes() + b"x")
    _refused_unchanged(eng, tmp_path / "bk", "changed since the backup")


def test_restore_refuses_a_backup_whose_chain_is_broken(store, tmp_path: Path) -> None:
    """A backup re-signed after its log was edited (someone holding the audit key) still fails the chain check."""
    _load(tmp_path, 0, 3)
    eng = db.upgrade()
    backup.backup(eng, tmp_path / "bk")
    bk = tmp_path / "bk"
    manifest = json.loads((bk / "manifest.json").read_text())
    if store.backend == "sqlite":
        import sqlite3

        con = sqlite3.connect(bk / "store.sqlite")
        con.execute("DROP TRIGGER audit_log_no_update")
        con.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
        con.commit()
        con.close()
        name = "store.sqlite"
    else:
        import gzip

        name = "tables/audit_log.jsonl.gz"
        lines = gzip.open(bk / name, "rt").read().splitlines()
        first = json.loads(lines[0])
        first["actor"] = "mallory"
        lines[0] = json.dumps(first)
        with gzip.open(bk / name, "wt") as fh:
            fh.write("\n".join(lines) + "\n")
    manifest["files"][name] = sha256_file(bk / name)
    manifest["mac"] = backup._sign(manifest)
    (bk / "manifest.json").write_text(json.dumps(manifest))
    _refused_unchanged(eng, bk, "audit log does not verify")


def test_restore_refuses_without_the_backups_key(store, tmp_path: Path) -> None:
    _load(tmp_path, 0, 3)
    eng = db.upgrade()
    backup.backup(eng, tmp_path / "bk")
    key_file = store.data_dir / "keys" / "ctdata.key"
    before = _state(eng)
    key_file.rename(tmp_path / "right.key")
    crypto.load_keyring(key_file)
    reset_caches()
    with pytest.raises(ConfigError, match="is not the key of the backup"):
        backup.restore(db.make_engine(), tmp_path / "bk")
    (tmp_path / "right.key").replace(key_file)
    reset_caches()
    assert _state(db.upgrade()) == before


def test_backup_refuses_a_non_empty_directory(store, tmp_path: Path) -> None:
    _load(tmp_path, 0, 1)
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "x").write_text("x")
    with pytest.raises(ConfigError, match="not empty"):
        backup.backup(db.upgrade(), tmp_path / "bk")


def test_backup_files_are_private(sqlite_store, tmp_path: Path) -> None:
    _load(tmp_path, 0, 1)
    backup.backup(db.upgrade(), tmp_path / "bk")
    assert (tmp_path / "bk").stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in (tmp_path / "bk").rglob("*") if p.is_file())

"""The store and its key: a missing or foreign key file is refused, never replaced; rotation re-encrypts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from ctdata.errors import ConfigError
from ctdata.store import audit, crypto, db, keys, meta
from ctdata.store.models import AuditEntry, Base, Person
from tests.conftest import reset_caches
from tests.ingest.helpers import record, write_records


def _cli(store, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "CTDATA_DATA_DIR": str(store.data_dir), "CTDATA_DATABASE_URL": store.url}
    env.pop("CTDATA_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "ctdata.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def _snapshot() -> dict[str, object]:
    """Every table's row count and the audit head: what 'the store is unchanged' means here."""
    reset_caches()
    eng = db.make_engine()
    with eng.connect() as c:
        counts = {t.name: c.execute(select(func.count()).select_from(t)).scalar() for t in Base.metadata.sorted_tables}
        head = c.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
        fp = c.execute(text("SELECT value FROM store_meta WHERE name = 'key_id'")).scalar()
    eng.dispose()
    return {"counts": counts, "head": head, "key_id": fp}


def _import(store, tmp_path: Path, first: int, n: int = 3) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    path = write_records(tmp_path / f"records{first}.csv", [record(i) for i in range(first, first + n)])
    return _cli(store, "import", "standard", str(path), "--json")


def _one_line_error(r: subprocess.CompletedProcess[str], *words: str) -> None:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def test_missing_key_file_refused_and_store_unchanged(store, tmp_path: Path) -> None:
    """The finding: with the key file gone, an import made a new key and encrypted new rows with it."""
    assert _import(store, tmp_path, 0).returncode == 0
    key_file = store.data_dir / "keys" / "ctdata.key"
    for recorded in (False, True):  # before and after the store has recorded its key's fingerprint
        before = _snapshot()
        assert before["counts"]["persons"] == 3 and bool(before["key_id"]) is recorded
        key_file.rename(tmp_path / "elsewhere.key")
        r = _import(store, tmp_path, 10)
        _one_line_error(r, "ctdata.key is missing", "encrypted", "nothing was changed")
        if recorded:
            assert str(before["key_id"]) in r.stderr
        assert not key_file.exists()  # no new key was made
        assert _snapshot() == before
        for args in (("report", "indicators", "--json"), ("user", "list")):
            _one_line_error(_cli(store, *args), "is missing")
        (tmp_path / "elsewhere.key").rename(key_file)
        assert _cli(store, "migrate").returncode == 0  # with the key back: recorded now
    assert _import(store, tmp_path, 10).returncode == 0


def test_other_key_file_refused(store, tmp_path: Path) -> None:
    assert _import(store, tmp_path, 0).returncode == 0
    assert _cli(store, "migrate").returncode == 0
    key_file = store.data_dir / "keys" / "ctdata.key"
    before = _snapshot()
    key_file.unlink()
    crypto.load_keyring(key_file)  # a new, different key in its place
    r = _import(store, tmp_path, 10)
    _one_line_error(r, "is not this store's key", str(before["key_id"]))
    assert _snapshot() == before


def test_older_store_without_fingerprint_is_checked_by_decrypting(store, tmp_path: Path) -> None:
    assert _import(store, tmp_path, 0).returncode == 0
    assert _cli(store, "migrate").returncode == 0
    key_file = store.data_dir / "keys" / "ctdata.key"
    eng = db.make_engine()
    with eng.begin() as c:
        c.execute(text("DELETE FROM store_meta WHERE name = 'key_id'"))
    eng.dispose()
    good = key_file.read_bytes()
    key_file.unlink()
    crypto.load_keyring(key_file)
    _one_line_error(_import(store, tmp_path, 10), "does not decrypt")
    key_file.write_bytes(good)
    assert _import(store, tmp_path, 10).returncode == 0
    assert _snapshot()["key_id"] == crypto.load_keyring(key_file).key_id


def test_store_without_encrypted_data_takes_any_key(store) -> None:
    eng = db.upgrade()
    with db.session_scope(eng) as s:
        assert keys.check_store_key(s) is None  # no key file and nothing encrypted: nothing made
    assert not (store.data_dir / "keys" / "ctdata.key").exists()


def _names(eng) -> list[tuple[str | None, str | None, str]]:  # type: ignore[no-untyped-def]
    ring = crypto.load_keyring(Path(os.environ["CTDATA_DATA_DIR"]) / "keys" / "ctdata.key")
    with db.session_scope(eng) as s:
        return [(ring.decrypt(p.given_name_enc, "given_name"), ring.decrypt(p.family_name_enc, "family_name"),
                 p.person_key) for p in s.execute(select(Person).order_by(Person.id)).scalars()]


def test_rotate_reencrypts_every_field(store, tmp_path: Path) -> None:
    path = write_records(tmp_path / "r.csv", [record(i) for i in range(5)] + [record(9, sex="blue")])
    assert _cli(store, "import", "standard", str(path)).returncode == 0
    reset_caches()
    eng = db.upgrade()
    before = _names(eng)
    key_file = store.data_dir / "keys" / "ctdata.key"
    old_id = crypto.load_keyring(key_file).key_id
    with db.session_scope(eng) as s:
        old_blobs = {p.id: p.given_name_enc for p in s.execute(select(Person)).scalars()}
    res = keys.rotate(eng, actor="tester")
    assert res.old_key == old_id and res.new_key != old_id
    assert res.fields["persons.given_name_enc"] == 5 and res.fields["quarantine.raw_enc"] == 1
    assert Path(res.old_key_file).exists() and crypto.load_keyring(Path(res.old_key_file)).key_id == old_id
    assert crypto.load_keyring(key_file).key_id == res.new_key
    assert _names(eng) == before  # same names, same pseudonyms
    with db.session_scope(eng) as s:
        assert all(p.given_name_enc != old_blobs[p.id] for p in s.execute(select(Person)).scalars())
        assert meta.get(s, meta.KEY_ID) == res.new_key
        assert audit.verify(s).ok
    reset_caches()
    r = _cli(store, "quarantine", "list", "--json")
    assert r.returncode == 0, r.stderr


def test_rotate_refuses_with_the_wrong_key_and_changes_nothing(store, tmp_path: Path) -> None:
    assert _import(store, tmp_path, 0).returncode == 0
    reset_caches()
    eng = db.upgrade()
    key_file = store.data_dir / "keys" / "ctdata.key"
    key_file.rename(tmp_path / "right.key")
    crypto.load_keyring(key_file)
    with pytest.raises(ConfigError, match="not this store's key"):
        keys.rotate(eng)
    assert not key_file.with_name("ctdata.key.new").exists()


def test_interrupted_rotation_is_explained(store, tmp_path: Path) -> None:
    assert _import(store, tmp_path, 0).returncode == 0
    reset_caches()
    eng = db.upgrade()
    key_file = store.data_dir / "keys" / "ctdata.key"
    res = keys.rotate(eng)
    # as if the process died after the commit, before the key files were swapped
    os.replace(key_file, key_file.with_name("ctdata.key.new"))
    os.replace(res.old_key_file, key_file)
    _one_line_error(_import(store, tmp_path, 10), "rotation was interrupted", "ctdata.key.new")


def test_every_encrypted_column_is_registered() -> None:
    """Rotation re-encrypts only the columns it knows the context of: every `*_enc` column must be listed."""
    assert keys.unregistered_columns() == []
    assert all(len(json.dumps(ctx)) > 2 for ctx in keys.ENCRYPTED_FIELDS.values())



def _another_process_records(eng, value: str):  # type: ignore[no-untyped-def]
    """Just before this process writes its fingerprint, another process commits one (the race of the finding)."""
    from sqlalchemy import event

    fired: list[bool] = []

    def before(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if not fired and "store_meta" in statement and statement.lstrip().upper().startswith("INSERT"):
            fired.append(True)
            other = db.make_engine()
            with other.begin() as c:
                c.execute(text("INSERT INTO store_meta (name, value) VALUES ('key_id', :v)"), {"v": value})
            other.dispose()

    event.listen(eng, "before_cursor_execute", before)


def test_fingerprint_recorded_meanwhile_by_another_process(store) -> None:
    """The finding (CI, security check item 1): six CLI processes opened a store whose key fingerprint
    was not recorded yet; each saw none, and all but the first failed writing it (UNIQUE constraint
    failed: store_meta.name). Recording a fact is first-writer-wins: the loser reads the winner's
    value and goes on when it names its own key."""
    eng = db.upgrade()
    key_file = store.data_dir / "keys" / "ctdata.key"
    ring = crypto.load_keyring(key_file)
    with eng.begin() as c:
        c.execute(text("DELETE FROM store_meta WHERE name = 'key_id'"))
    _another_process_records(eng, ring.key_id)
    with db.session_scope(eng) as s:
        assert keys.check_store_key(s, key_file) == ring
    assert _snapshot()["key_id"] == ring.key_id


def test_fingerprint_of_another_key_recorded_meanwhile_is_refused(store) -> None:
    """The same race with another key on the other side: refused, and the other's fingerprint kept."""
    eng = db.upgrade()
    key_file = store.data_dir / "keys" / "ctdata.key"
    crypto.load_keyring(key_file)
    with eng.begin() as c:
        c.execute(text("DELETE FROM store_meta WHERE name = 'key_id'"))
    _another_process_records(eng, "feedfacecafe")
    with pytest.raises(ConfigError, match="feedfacecafe"), db.session_scope(eng) as s:
        keys.check_store_key(s, key_file)
    assert _snapshot()["key_id"] == "feedfacecafe"

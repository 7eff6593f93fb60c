"""Key rotation beside other writers: lock order, two rotations at once, an interrupted rotation."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ctdata.store import audit, crypto, db, keys
from ctdata.store.models import Person
from tests.conftest import reset_caches
from tests.store.test_keys import _import, _names


def _pause_after_staging(monkeypatch) -> tuple[threading.Event, threading.Event]:  # type: ignore[no-untyped-def]
    """A rotation that stops once its new key is staged (`ctdata.key.new` written): the first event is set
    then, and it goes on when the second is set."""
    staged_written, go_on = threading.Event(), threading.Event()
    real_write = keys.write_private

    def slow_write(path, data, **kw):  # type: ignore[no-untyped-def]
        real_write(path, data, **kw)
        if path.name.endswith(".new"):
            staged_written.set()
            go_on.wait(30)

    monkeypatch.setattr(keys, "write_private", slow_write)
    return staged_written, go_on


def test_rotation_waits_for_a_writer_holding_a_row_it_reencrypts(store, tmp_path: Path) -> None:
    """A writer that changed a person row takes the store's write lock only at its commit (when its audit
    entry joins the chain); a rotation that took that lock first and then waited for the row deadlocked
    with it (PostgreSQL aborted one of them: `deadlock detected`)."""
    assert _import(store, tmp_path, 0).returncode == 0
    reset_caches()
    eng = db.upgrade()
    before = _names(eng)
    other = db.make_engine()
    wrote, errors = threading.Event(), []

    def writer() -> None:
        try:
            with db.session_scope(other) as s:
                s.execute(update(Person).where(Person.id == 1).values(sex="male"))
                audit.record(s, actor="w", action="case.update", entity="person", entity_id=1)
                wrote.set()
                time.sleep(2.5)  # the rotation starts meanwhile and needs this row
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            wrote.set()

    t = threading.Thread(target=writer)
    t.start()
    assert wrote.wait(30)
    try:
        res = keys.rotate(eng, actor="tester")
    finally:
        t.join(60)
    other.dispose()
    assert errors == []
    assert res.fields["persons.given_name_enc"] == 3
    reset_caches()
    assert _names(eng) == before
    with db.session_scope(eng) as s:
        assert s.execute(select(Person.sex).where(Person.id == 1)).scalar() == "male"
        assert audit.verify(s).ok


def _impatient_engine(store):  # type: ignore[no-untyped-def]
    """An engine that gives up waiting for the store's write lock after 0.3 s (an operator's Ctrl-C)."""
    from sqlalchemy import event

    eng = db.make_engine()

    @event.listens_for(eng, "connect")
    def short_wait(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=300" if store.backend == "sqlite" else "SET lock_timeout = '300ms'")
        cur.close()
        if store.backend == "postgresql":
            dbapi_conn.commit()

    return eng


def test_a_second_rotation_meanwhile_leaves_the_first_ones_key(store, tmp_path: Path, monkeypatch) -> None:
    """The finding: a second `keys rotate` started while one ran waited for the store's lock; when it gave
    up (lock timeout, Ctrl-C) it deleted `ctdata.key.new`, the first rotation's new key, which that one
    then failed to move into place after committing: the store encrypted with a key no file held."""
    assert _import(store, tmp_path, 0).returncode == 0
    reset_caches()
    eng = db.upgrade()
    before = _names(eng)
    key_file = store.data_dir / "keys" / "ctdata.key"
    staged_written, go_on = threading.Event(), threading.Event()
    real_write = keys.write_private

    def slow_write(path, data, **kw):  # type: ignore[no-untyped-def]
        real_write(path, data, **kw)
        if threading.current_thread().name == "first":
            staged_written.set()
            go_on.wait(30)

    monkeypatch.setattr(keys, "write_private", slow_write)
    out: dict[str, object] = {}

    def first() -> None:
        try:
            out["res"] = keys.rotate(eng, actor="first")
        except Exception as exc:  # noqa: BLE001 - checked below
            out["err"] = exc

    t = threading.Thread(target=first, name="first")
    t.start()
    assert staged_written.wait(30)
    impatient = _impatient_engine(store)
    try:
        keys.rotate(impatient, actor="second")
    except Exception as exc:  # noqa: BLE001 - refused: fine, as long as the first one's key survives
        out["second"] = exc
    finally:
        go_on.set()
        t.join(60)
        impatient.dispose()
    assert "err" not in out, out.get("err")
    assert "second" in out and "another key rotation" in str(out["second"])
    res = out["res"]
    assert crypto.load_keyring(key_file).key_id == res.new_key  # type: ignore[attr-defined]
    reset_caches()
    assert _names(eng) == before


def test_a_running_process_takes_the_new_key_after_a_rotation_elsewhere(store, tmp_path: Path) -> None:
    """The finding: the key ring was cached per path for the life of a process, so a server running while
    `ctdata keys rotate` ran in another process kept the old key: it could not read the re-encrypted
    fields, and encrypted what it wrote with a key the store no longer records (the next rotation then
    failed on those rows)."""
    from tests.store.test_keys import _cli

    assert _import(store, tmp_path, 0).returncode == 0
    reset_caches()
    eng = db.upgrade()
    old = crypto.keyring()  # the server's key ring, loaded before the rotation
    r = _cli(store, "keys", "rotate", "--json")
    assert r.returncode == 0, r.stderr
    new = crypto.keyring()
    assert new.key_id != old.key_id
    assert new.key_id == crypto.load_keyring(store.data_dir / "keys" / "ctdata.key").key_id
    with db.session_scope(eng) as s:
        blob = s.execute(select(Person.family_name_enc).where(Person.id == 1)).scalar()
    assert new.decrypt(blob, "family_name") == "Шевченко0"


def test_a_write_encrypted_with_the_old_key_during_a_rotation_is_refused(store, tmp_path: Path, monkeypatch) -> None:
    """The finding: a write made while a rotation ran encrypted with the key file it found (the old one, until
    the rotation ends), then waited for the rotation's lock and committed after it: a value under a key the
    store no longer records, which no read could decrypt and the next rotation refused. It is refused now
    (nothing saved, try again), and every stored value decrypts with the store's key."""
    from ctdata.errors import Conflict

    assert _import(store, tmp_path, 0).returncode == 0
    reset_caches()
    eng = db.upgrade()
    key_file = store.data_dir / "keys" / "ctdata.key"
    staged_written, go_on = _pause_after_staging(monkeypatch)
    out: dict[str, object] = {}

    def rotation() -> None:
        out["res"] = keys.rotate(eng, actor="rotation")

    def writer() -> None:
        other = db.make_engine()
        try:
            with db.session_scope(other) as s:
                blob = crypto.keyring().encrypt("Оксана", "given_name")  # the key file as found: the old key
                s.execute(update(Person).where(Person.id == 2).values(given_name_enc=blob))
                audit.record(s, actor="w", action="case.update", entity="person", entity_id=2)
        except Exception as exc:  # noqa: BLE001 - checked below
            out["writer"] = exc
        finally:
            other.dispose()

    r = threading.Thread(target=rotation)
    r.start()
    assert staged_written.wait(30)
    w = threading.Thread(target=writer)
    w.start()
    time.sleep(1.0)  # the writer has encrypted and waits for the rotation's lock
    go_on.set()
    r.join(60)
    w.join(60)
    assert "res" in out
    assert isinstance(out.get("writer"), Conflict), out.get("writer")
    assert "key was rotated" in str(out["writer"])
    ring = crypto.load_keyring(key_file)
    with db.session_scope(eng) as s:
        names = [ring.decrypt(b, "given_name") for (b,) in s.execute(select(Person.given_name_enc))]
    assert names == ["Олена"] * 3


def test_a_rotation_still_finishing_is_not_called_interrupted(store, tmp_path: Path) -> None:
    """Between a rotation's commit and its key file's move into place, a process opening the store was told the
    rotation 'was interrupted' and to move `ctdata.key.new` itself, racing the rotation that was about to."""
    import fcntl
    import os

    from ctdata.errors import ConfigError

    assert _import(store, tmp_path, 0).returncode == 0
    reset_caches()
    eng = db.upgrade()
    key_file = store.data_dir / "keys" / "ctdata.key"
    res = keys.rotate(eng)
    os.replace(key_file, key_file.with_name("ctdata.key.new"))  # the moment after the commit, before the move
    os.replace(res.old_key_file, key_file)
    lock = os.open(key_file.with_name("ctdata.key.rotating"), os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the rotating process still holds its lock
    try:
        with pytest.raises(ConfigError, match="under way") as exc, db.session_scope(eng) as s:
            keys.check_store_key(s, key_file)
        assert "interrupted" not in str(exc.value)
    finally:
        os.close(lock)
    with pytest.raises(ConfigError, match="rotation was interrupted"), db.session_scope(eng) as s:
        keys.check_store_key(s, key_file)  # its process gone: interrupted, and the message says what to do


def test_reads_between_a_rotations_commit_and_its_key_move_decrypt(store, tmp_path: Path) -> None:
    """Found with a live server beside `keys rotate`: for a moment after the rotation commits, the fields are
    under the new key and the key file is still the old one; the server answered 500 ('cannot decrypt a
    protected field'). The staged new key is there all along: reads fall back to it (writes with the old key
    are still refused at their commit)."""
    import os

    assert _import(store, tmp_path, 0).returncode == 0
    reset_caches()
    eng = db.upgrade()
    key_file = store.data_dir / "keys" / "ctdata.key"
    res = keys.rotate(eng)
    os.replace(key_file, key_file.with_name("ctdata.key.new"))  # the moment after the commit, before the move
    os.replace(res.old_key_file, key_file)
    with db.session_scope(eng) as s:
        blob = s.execute(select(Person.family_name_enc).where(Person.id == 1)).scalar()
    ring = crypto.keyring()
    assert ring.key_id == res.old_key  # the file as found
    assert ring.decrypt(blob, "family_name") == "Шевченко0"
    os.replace(key_file.with_name("ctdata.key.new"), key_file)  # the move
    assert crypto.keyring().key_id == res.new_key
    assert crypto.keyring().decrypt(blob, "family_name") == "Шевченко0"


def test_a_write_reading_back_its_old_key_value_after_a_rotation_is_a_conflict(store, tmp_path: Path,
                                                                                monkeypatch) -> None:
    """Found with a live server: a write that encrypted with the old key while a rotation ran, and read its own
    value back once the new key file was in place (an API answer shows what was saved), failed with 500
    'cannot decrypt a protected field' instead of the rotation's Conflict (nothing saved, try again)."""
    from ctdata.cases.tx import store_engine, transaction
    from ctdata.errors import Conflict

    assert _import(store, tmp_path, 0).returncode == 0
    reset_caches()
    eng = db.upgrade()
    key_file = store.data_dir / "keys" / "ctdata.key"
    staged_written, go_on = _pause_after_staging(monkeypatch)
    out: dict[str, object] = {}
    r = threading.Thread(target=lambda: out.setdefault("res", keys.rotate(eng, actor="rotation")))
    r.start()
    assert staged_written.wait(30)
    before = key_file.stat().st_ino

    def writer() -> None:
        other = store_engine(store.url)
        try:
            with transaction(other) as s:
                blob = crypto.keyring().encrypt("Оксана", "given_name")  # the old key: the file as found
                s.execute(update(Person).where(Person.id == 2).values(given_name_enc=blob))  # waits for the rotation
                for _ in range(300):  # the rotation's key file in place
                    if key_file.stat().st_ino != before and not key_file.with_name("ctdata.key.new").exists():
                        break
                    time.sleep(0.05)
                crypto.keyring().decrypt(blob, "given_name")  # the answer shows what was saved
                audit.record(s, actor="w", action="case.update", entity="person", entity_id=2)
        except Exception as exc:  # noqa: BLE001 - checked below
            out["writer"] = exc
        finally:
            other.dispose()

    w = threading.Thread(target=writer)
    w.start()
    time.sleep(1.0)
    go_on.set()
    r.join(60)
    w.join(60)
    assert "res" in out
    assert isinstance(out.get("writer"), Conflict), repr(out.get("writer"))
    assert "key was rotated" in str(out["writer"])

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from ctdata.errors import ConfigError
from ctdata.store import audit, db
from ctdata.store.crypto import AuditKey, audit_key_path
from ctdata.store.models import AuditEntry


def _fill(n: int = 5) -> None:
    with db.session_scope() as s:
        for i in range(n):
            audit.record(s, actor="tester", action="write", entity="case", entity_id=i, reason="test",
                         details={"i": i, "name": "ünïcode"})


def test_chain_verifies(store) -> None:
    _fill()
    with db.session_scope() as s:
        res = audit.verify(s)
    assert res.ok and res.entries == 5 and len(res.head) == 64


def test_database_refuses_update_and_delete(store) -> None:
    _fill(2)
    with pytest.raises(DBAPIError, match="append-only"), db.session_scope() as s:
        s.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 1"))
    with pytest.raises(DBAPIError, match="append-only"), db.session_scope() as s:
        s.execute(text("DELETE FROM audit_log WHERE id = 2"))


def _without_guard(store, sql: str) -> None:
    """Tamper as an attacker with DDL rights would: around the append-only triggers."""
    eng = db.engine()
    with eng.begin() as c:
        if store.backend == "sqlite":
            c.execute(text("DROP TRIGGER audit_log_no_update"))
            c.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        c.execute(text(sql))


def test_edit_is_detected(store) -> None:
    _fill()
    _without_guard(store, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    with db.session_scope() as s:
        res = audit.verify(s)
    assert not res.ok
    assert any("entry 3" in p and "edited" in p for p in res.problems)


def test_deletion_is_detected(store) -> None:
    _fill()
    _without_guard(store, "DELETE FROM audit_log WHERE id = 2")
    with db.session_scope() as s:
        res = audit.verify(s)
    assert not res.ok
    assert any("missing" in p for p in res.problems)


def test_truncation_detected_against_expected_head(store) -> None:
    _fill()
    with db.session_scope() as s:
        head = audit.verify(s).head
    _without_guard(store, "DELETE FROM audit_log WHERE id = 5")
    with db.session_scope() as s:
        res = audit.verify(s, expect_head=head)
    assert not res.ok and any("expected" in p for p in res.problems)


def test_truncation_detected_by_the_signed_checkpoint(store) -> None:
    """Deleting the newest entries left a shorter chain that verified; the checkpoint of the head catches it."""
    _fill()
    _without_guard(store, "DELETE FROM audit_log WHERE id >= 4")
    with db.session_scope() as s:
        res = audit.verify(s)
    assert not res.ok
    assert any("checkpoint" in p and "removed from the end" in p for p in res.problems), res.problems


def test_truncation_then_new_entries_detected(store) -> None:
    """Appending after a truncation (SQLite reuses the ids) does not hide it: the checkpointed entry differs."""
    _fill()
    _without_guard(store, "DELETE FROM audit_log WHERE id = 5")
    with db.session_scope() as s:
        res = audit.verify(s)
    assert not res.ok


def test_forged_checkpoint_detected(store) -> None:
    _fill()
    path = audit.checkpoint_path()
    data = json.loads(path.read_text())
    for cp in data.values():
        cp["id"] = 3
    path.write_text(json.dumps(data))
    with db.session_scope() as s:
        res = audit.verify(s)
    assert not res.ok and any("not signed" in p for p in res.problems)


def _rewrite_without_entry_2(store, *, as_version: int, key: object = None) -> None:
    """The attack of the finding: delete entry 2, renumber the later ones and recompute their hashes."""
    with db.session_scope() as s:
        rows = [(e.ts, e.actor, e.action, e.entity, e.entity_id, e.reason, e.details, e.hash, e.chain)
                for e in s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
        store_id = s.execute(text("SELECT value FROM store_meta WHERE name = 'store_id'")).scalar()
    _without_guard(store, "DELETE FROM audit_log WHERE id >= 2")
    prev = rows[0][7]
    with db.engine().begin() as c:
        for new_id, (ts, actor, action, entity, eid, reason, details, _h, _v) in enumerate(rows[2:], start=2):
            if as_version == 1:
                h = audit.entry_hash(prev, ts, actor, action, entity, eid, reason, details)
            else:
                h = audit.keyed_hash(key, store_id, prev, ts, actor, action, entity, eid, reason, details)
            c.execute(insert(AuditEntry).values(id=new_id, ts=ts, actor=actor, action=action, entity=entity,
                                                entity_id=eid, reason=reason, details=details, prev_hash=prev,
                                                hash=h, chain=as_version))
            prev = h


def test_deletion_with_recomputed_hashes_detected(store) -> None:
    """Without the audit key the rewritten entries cannot be keyed: as version 1 they are refused."""
    _fill()
    _rewrite_without_entry_2(store, as_version=1)
    with db.session_scope() as s:
        res = audit.verify(s)
    assert not res.ok and any("unkeyed" in p for p in res.problems), res.problems


def test_deletion_with_hashes_keyed_by_another_key_detected(store) -> None:
    _fill()
    _rewrite_without_entry_2(store, as_version=2, key=AuditKey(b"k" * 32, "attacker"))
    with db.session_scope() as s:
        res = audit.verify(s)
    assert not res.ok and any("keyed hash" in p for p in res.problems), res.problems


def test_store_before_keying_migrates(store) -> None:
    """Entries of a store from before the keyed chain (version 1) still verify; the next entry seals them."""
    eng = db.upgrade()
    prev = audit.GENESIS
    with eng.begin() as c:
        for i in range(1, 4):
            ts = datetime(2026, 1, i, 12, 0)
            h = audit.entry_hash(prev, ts, "old", "write", "case", str(i), None, {})
            c.execute(insert(AuditEntry).values(id=i, ts=ts, actor="old", action="write", entity="case",
                                                entity_id=str(i), reason=None, details={}, prev_hash=prev,
                                                hash=h, chain=1))
            prev = h
        if store.backend == "postgresql":
            c.execute(text("SELECT setval(pg_get_serial_sequence('audit_log', 'id'), 3)"))
    with db.session_scope() as s:
        res = audit.verify(s)
    assert res.ok and res.keyed == 0 and "none keyed yet" in res.notes[0]
    _fill(2)
    with db.session_scope() as s:
        res = audit.verify(s)
    assert res.ok and res.entries == 5 and res.keyed == 2 and "predate the keyed chain" in res.notes[0]
    _without_guard(store, "UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    with db.session_scope() as s:
        assert not audit.verify(s).ok


def test_missing_audit_key_refused_and_reported(store) -> None:
    _fill(2)
    audit_key_path().unlink()
    with pytest.raises(ConfigError, match="audit key file .* is missing"), db.session_scope() as s:
        audit.record(s, actor="tester", action="write", entity="case", entity_id=9)
    with db.session_scope() as s:
        res = audit.verify(s)
        assert not res.ok and any("missing" in p for p in res.problems)
        assert s.execute(select(func.count()).select_from(AuditEntry)).scalar() == 2


def test_digest_is_order_independent() -> None:
    assert audit.digest_ids([3, 1, 2]) == audit.digest_ids(["1", "2", "3"])
    assert audit.digest_ids([1, 2]) != audit.digest_ids([1, 2, 3])


def test_checkpoint_of_concurrent_commits_covers_the_last(store) -> None:
    """Threads that commit at once share checkpoint writes (one file write covers a batch of commits);
    when the last one returns the file holds the newest entry, signed, and truncation is still caught."""
    import threading

    def worker(n: int) -> None:
        for i in range(n):
            with db.session_scope() as s:
                audit.record(s, actor=f"t{threading.get_ident()}", action="read", entity="case", entity_id=i)

    db.upgrade()
    threads = [threading.Thread(target=worker, args=(15,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.session_scope() as s:
        head_id, head = s.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc())).first()
        res = audit.verify(s)
        store_id = s.execute(text("SELECT value FROM store_meta WHERE name = 'store_id'")).scalar()
    assert res.ok and res.entries == 90, res.problems
    cp = audit.read_checkpoint(store_id)
    assert cp is not None and (cp["id"], cp["hash"]) == (head_id, head)
    _without_guard(store, f"DELETE FROM audit_log WHERE id = {head_id}")
    with db.session_scope() as s:
        assert not audit.verify(s).ok

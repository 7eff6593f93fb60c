from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ctdata.store import audit, db


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
        assert audit.verify(s).ok  # a shorter chain is still a chain...
        res = audit.verify(s, expect_head=head)
    assert not res.ok  # ...but not the one recorded earlier


def test_digest_is_order_independent() -> None:
    assert audit.digest_ids([3, 1, 2]) == audit.digest_ids(["1", "2", "3"])
    assert audit.digest_ids([1, 2]) != audit.digest_ids([1, 2, 3])

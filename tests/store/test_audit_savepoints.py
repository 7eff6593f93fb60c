"""Audit entries and savepoints (SQLite and PostgreSQL): an entry goes where the changes of the savepoint it was
recorded in go. Rolled back with it, it never reaches the chain; released, it is appended at the transaction's
commit (not at the release: the chain's lock is not taken there, and no checkpoint names an uncommitted entry);
entries recorded before a savepoint survive its rollback."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ctdata.store import audit, db, meta
from ctdata.store.models import AuditEntry


def _entry(s: Session, name: str) -> None:
    audit.record(s, actor="tester", action=name, entity="case", entity_id=1)


def _begin_writing(s: Session) -> None:
    """A first write, so SQLite's transaction is open before any savepoint (the driver begins it lazily)."""
    meta.put(s, "savepoint_test", "1")


def _chain() -> list[str]:
    with db.session_scope() as s:
        res = audit.verify(s)
        assert res.ok, res.problems
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_an_entry_recorded_in_a_rolled_back_savepoint_is_not_appended(store) -> None:
    with db.session_scope() as s:
        _begin_writing(s)
        _entry(s, "before")
        sp = s.begin_nested()
        _entry(s, "inside")
        sp.rollback()
        _entry(s, "after")
    assert _chain() == ["before", "after"]


def test_a_released_savepoint_keeps_its_entries_until_an_enclosing_rollback(store) -> None:
    with db.session_scope() as s:
        _begin_writing(s)
        _entry(s, "before")
        outer = s.begin_nested()
        _entry(s, "outer")
        with s.begin_nested():
            _entry(s, "inner")  # released here: nothing may be appended yet
        if store.backend == "postgresql":  # the chain's lock is not held between the release and the commit
            held = s.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                  "AND pid = pg_backend_pid()")).scalar()
            assert held == 0
        outer.rollback()  # takes "outer" and "inner" with it, never "before"
        with s.begin_nested():
            _entry(s, "kept")
    assert _chain() == ["before", "kept"]
    with db.session_scope() as s:
        _begin_writing(s)
        _entry(s, "next")
    assert _chain() == ["before", "kept", "next"]  # and the checkpoint of the last commit verifies


def test_an_entry_appended_by_hand_inside_a_rolled_back_savepoint_waits_again(store) -> None:
    with db.session_scope() as s:
        _begin_writing(s)
        _entry(s, "before")
        sp = s.begin_nested()
        _entry(s, "inside")
        audit.append_recorded(s)  # a caller that needed the ids early
        sp.rollback()  # the INSERT is undone: "before" must be appended again at commit, "inside" never
    assert _chain() == ["before"]

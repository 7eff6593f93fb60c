"""Audit entries join the chain when their transaction commits, not when they are recorded.

Every request records an entry (reads are audited). When the chain's lock was taken at a
request's first entry and held until it committed, two requests reading cases at once ran one
after the other (4 web workers answered slower than 1). These check that two transactions
reading cases do not wait for each other until they commit, on SQLite and PostgreSQL, and that
an entry still commits or rolls back with its change.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from ctdata.cases import service
from ctdata.cases.tx import transaction
from ctdata.errors import Conflict
from ctdata.store import audit
from ctdata.store.models import AuditEntry
from tests.cases.conftest import CASE, PERSON


def _register(engine, actor) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return service.register_case(s, actor, PERSON, CASE).id


def test_two_case_reads_do_not_wait_for_each_other_until_they_commit(engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid = _register(engine, actors["th"])
    a_has_read, a_may_commit, b_committed = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def reader_a() -> None:
        try:
            with transaction(engine) as s:
                service.get_case(s, actors["th"], cid)
                a_has_read.set()
                a_may_commit.wait(60)  # the request is still working: its transaction is open
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            a_has_read.set()

    def reader_b() -> None:
        try:
            with transaction(engine) as s:
                service.get_case(s, actors["th2"], cid)
            b_committed.set()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    a = threading.Thread(target=reader_a)
    a.start()
    assert a_has_read.wait(30)
    b = threading.Thread(target=reader_b)
    b.start()
    b_done_first = b_committed.wait(20)
    a_may_commit.set()
    a.join(60)
    b.join(60)
    assert not errors, errors
    assert b_done_first, "the second read waited for the first transaction to end"
    with transaction(engine) as s:
        reads = s.execute(select(AuditEntry.actor).where(AuditEntry.action == "case.read")
                          .order_by(AuditEntry.id)).scalars().all()
        assert reads == ["th2", "th"]  # chain order is commit order
        res = audit.verify(s)
    assert res.ok, res.problems


def test_entries_commit_and_roll_back_with_their_change(engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid = _register(engine, actors["th"])
    with transaction(engine) as s:
        before = s.execute(select(func.count()).select_from(AuditEntry)).scalar()
    with pytest.raises(RuntimeError), transaction(engine) as s:
        service.get_case(s, actors["th"], cid)
        raise RuntimeError("the request failed after the read")
    with transaction(engine) as s:  # a session reused after its transaction ended keeps nothing
        assert s.execute(select(func.count()).select_from(AuditEntry)).scalar() == before
        service.get_case(s, actors["th"], cid)
        s.rollback()
        s.commit()
        assert s.execute(select(func.count()).select_from(AuditEntry)).scalar() == before
    with transaction(engine) as s:
        service.update_case(s, actors["th"], cid, 1, {"person": {"family_name": "Tran Thi"}})
    with pytest.raises(Conflict), transaction(engine) as s:  # refused at the version check: nothing kept
        service.update_case(s, actors["th2"], cid, 1, {"person": {"family_name": "Overwritten"}})
    with transaction(engine) as s:
        updates = s.execute(select(AuditEntry.actor).where(AuditEntry.action == "case.update")).scalars().all()
        assert updates == ["th"]
        res = audit.verify(s)
    assert res.ok, res.problems

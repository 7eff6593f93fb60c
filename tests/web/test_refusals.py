"""Refused unauthenticated requests cannot flood the audit log: one row at once, one count per source and minute."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import select

from ctdata.cases.tx import transaction
from ctdata.store import audit
from ctdata.store.models import AuditEntry

P = "/api/v1"


def _denied(engine) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return list(
            s.execute(select(AuditEntry).where(AuditEntry.action == "access_denied", AuditEntry.actor == "anonymous"))
            .scalars()
            .all()
        )


def test_hundreds_of_refusals_make_a_bounded_number_of_rows_with_their_count(app, engine):  # type: ignore[no-untyped-def]
    now = [1_800_000_000.0]
    app.state.refusals.clock = lambda: now[0]
    sent: Counter[str] = Counter()
    with TestClient(app, client=("203.0.113.9", 1000)) as a, TestClient(app, client=("198.51.100.2", 1000)) as b:
        for i in range(300):
            h = {"Authorization": "Bearer forged-token"} if i % 2 else {}
            assert a.get(f"{P}/cases/{i}", headers=h).status_code == 401
        sent["203.0.113.9"] += 300
        for _ in range(40):
            assert b.get(f"{P}/users").status_code == 401
        sent["198.51.100.2"] += 40
        assert len(_denied(engine)) == 2  # the first refusal of each source, at once
        now[0] += 60  # the next minute
        for _ in range(100):
            assert a.get(f"{P}/cases").status_code == 401
        sent["203.0.113.9"] += 100
        app.state.refusals.flush()  # the app also does this every few seconds
        assert len(_denied(engine)) == 2 + 2 + 1  # the finished minute: one row per source with its count
    # leaving the client shuts the app down, which writes the rest
    rows = _denied(engine)
    assert len(rows) <= 2 * 3, [(r.details, r.reason) for r in rows]
    got: Counter[str] = Counter()
    for r in rows:
        got[r.details["client"]] += r.details["count"]
    assert got == sent
    summary = next(r for r in rows if r.details["count"] == 299)
    assert summary.details["reasons"] == {"no credentials": 149, "the session is not valid; log in again": 150}
    assert len(summary.details["paths"]) == 5
    with transaction(engine) as s:
        assert audit.verify(s).ok


def test_many_sources_in_one_minute_are_counted_together_past_the_limit(app, engine):  # type: ignore[no-untyped-def]
    app.state.refusals.max_sources = 3
    for n in range(10):
        c = TestClient(app, client=(f"192.0.2.{n}", 1000))
        for _ in range(5):
            assert c.get(f"{P}/cases").status_code == 401
    app.state.refusals.flush(everything=True)
    rows = _denied(engine)
    assert len(rows) <= 2 * 4
    assert sum(r.details["count"] for r in rows) == 50
    assert "other" in {r.details["client"] for r in rows}

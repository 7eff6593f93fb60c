"""Perpetrators of a case: the people who recruited, moved, sold, controlled or exploited the victim.

They are recorded on the victim's case and live by its rules: the case's access rule decides who
may read or add them (`access.load_case`), identifying fields (names, aliases, phone numbers,
document numbers, addresses) are encrypted like the victim's and shown only to identifying roles
(`views.perpetrator_view`), erasure of the victim's record clears them (`erasure.FREE_TEXT`), and
every read and write is audited. The audit entry names the perpetrator row and the fields given,
never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdata.cases.access import Actor, load_case
from ctdata.cases.common import load_open, no_nul, record_by, touch_added, validate
from ctdata.cases.views import perpetrator_view
from ctdata.errors import NotFound
from ctdata.standard import models as std
from ctdata.store.fields import seal_list
from ctdata.store.models import CaseRecord, Perpetrator

#: The descriptive (not identifying) fields, stored as they are.
DESCRIPTIVE = ("roles", "sex", "age_band", "citizenship", "region", "relation", "paid_money", "means_of_control")


def add_perpetrator(
    session: Session,
    actor: Actor,
    case_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> Perpetrator:
    """Record a perpetrator on an open case the actor may change (audited)."""
    case = load_open(session, actor, case_id, "perpetrator.create", expected_version)
    p = validate(std.Perpetrator, data, "perpetrator")
    row = record_perpetrator(session, actor, case, p)
    touch_added(session, case, expected_version)
    return row


def record_perpetrator(session: Session, actor: Actor, case: CaseRecord, p: std.Perpetrator) -> Perpetrator:
    """Write one validated perpetrator on a case the caller has opened for writing (and audit it); the
    caller bumps the case's version (a screening that names perpetrators does so once for all)."""
    row = Perpetrator(case_id=case.id, grouped=bool(p.grouped), created_by=actor.username)
    for name in DESCRIPTIVE:
        setattr(row, name, getattr(p, name))
    for name in std.PERPETRATOR_IDENTIFYING:
        values = [no_nul(v, name) or "" for v in getattr(p, name)]
        setattr(row, f"{name}_enc", seal_list(values, "perpetrators", f"{name}_enc"))
    session.add(row)
    session.flush()
    given = sorted(n for n in p.model_fields_set if getattr(p, n))
    record_by(session, actor, "perpetrator.create", case.id, {"perpetrator_id": row.id, "fields": given})
    return row


def list_perpetrators(session: Session, actor: Actor, case_id: int) -> list[dict[str, Any]]:
    """The perpetrators of a case as the actor may see them (identifying fields for identifying roles; audited)."""
    case, level = load_case(session, actor, case_id, action="perpetrator.read")
    rows = session.scalars(select(Perpetrator).where(Perpetrator.case_id == case.id).order_by(Perpetrator.id)).all()
    out = [perpetrator_view(p, level.identifying) for p in rows]
    record_by(session, actor, "perpetrator.read", case.id, {"count": len(out), "access": level.value})
    return out


def remove_perpetrator(
    session: Session, actor: Actor, case_id: int, perpetrator_id: int, *, reason: str,
    expected_version: int | None = None,
) -> None:
    """Remove a perpetrator recorded in error (the reason is kept in the audit log)."""
    case = load_open(session, actor, case_id, "perpetrator.delete", expected_version)
    row = session.get(Perpetrator, perpetrator_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"case {case.id} has no perpetrator {perpetrator_id}")
    session.delete(row)
    touch_added(session, case, expected_version)
    session.flush()
    record_by(session, actor, "perpetrator.delete", case.id, {"perpetrator_id": perpetrator_id}, reason=reason)

"""Closing a case, with one of the standard's closure reasons; voiding a case registered by mistake."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ctdata.cases.access import Access, Actor, deny, load_case
from ctdata.cases.common import check_version, load_open, no_nul, record_by, touch
from ctdata.errors import Conflict, PermissionDenied, ValidationError
from ctdata.standard import vocab
from ctdata.standard.types import not_allowed
from ctdata.store.fields import seal
from ctdata.store.models import CaseRecord, utcnow
from ctdata.text import Plain, Text


def close_case(
    session: Session,
    actor: Actor,
    case_id: int,
    reason: str,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> CaseRecord:
    """Close the case; refused while a return is in progress or a transfer awaits a decision."""
    case = load_open(session, actor, case_id, "case.close", expected_version)
    if reason not in vocab.CLOSURE_REASON:
        raise ValidationError.at("reason", not_allowed(reason, vocab.CLOSURE_REASON.codes))
    if any(t.status == "pending" for t in case.transfers):
        raise Conflict(Text("case {number} has a transfer awaiting a decision; it cannot be closed yet",
                            number=Plain(case.id)))
    if any(r.status in ("requested", "approved") for r in case.returns):
        raise Conflict(Text("case {number} has a return in progress; travel or cancel it before closing",
                            number=Plain(case.id)))
    case.status, case.closure_reason, case.closed_at = "closed", reason, utcnow()
    case.closure_note_enc = seal(no_nul(note, "note"), "case_records", "closure_note_enc")
    touch(case)
    session.flush()
    record_by(
        session, actor, "case.close", case.id,
        {"closure_reason": reason, "fields": ["closure_note"] if note else []},
    )
    return case


#: Who may void a case besides those who may change it (its office's caseworkers, admins): the data
#: managers who see it (their agency's cases), who clean up mistaken registrations and duplicates.
VOIDERS = ("data_manager",)


def void_case(
    session: Session, actor: Actor, case_id: int, reason: str, *, expected_version: int | None = None
) -> CaseRecord:
    """Void a case registered by mistake: it stays, with its audit trail, but counts nowhere.

    Allowed to whoever may change the case (its office's caseworkers, an admin) and to a data
    manager who sees it. The reason is required (encrypted: it may name the person) and audited.
    What a voided case is left out of is one rule, `store.models.counted`.
    """
    case, level = load_case(session, actor, case_id, action="case.void")
    if level is not Access.WRITE and actor.role not in VOIDERS:
        deny(session, actor, "case.void", "case", case_id, f"read-only access ({level.value})")
        raise PermissionDenied(Text("you may read case {number} but not void it", number=Plain(case_id)))
    check_version(case, expected_version)
    if case.voided_at is not None:
        raise Conflict(Text("case {number} is already voided", number=Plain(case.id)))
    reason = (no_nul(reason, "reason") or "").strip()
    if not reason:
        raise ValidationError.at(
            "reason", Text("say why the case is void (for example: registered twice, or by mistake)"))
    case.voided_at, case.voided_by = utcnow(), actor.username
    case.void_reason_enc = seal(reason, "case_records", "void_reason_enc")
    touch(case)
    session.flush()
    record_by(session, actor, "case.void", case.id, {"fields": ["void_reason"]})
    return case

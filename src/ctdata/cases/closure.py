"""Closing a case, with one of the standard's closure reasons."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ctdata.cases.access import Actor
from ctdata.cases.common import load_open, no_nul, record_by, touch
from ctdata.errors import Conflict, ValidationError
from ctdata.standard import vocab
from ctdata.store.fields import seal
from ctdata.store.models import CaseRecord, utcnow


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
        raise ValidationError(f"closure reason must be one of: {', '.join(vocab.CLOSURE_REASON.codes)}")
    if any(t.status == "pending" for t in case.transfers):
        raise Conflict(f"case {case.id} has a transfer awaiting a decision; it cannot be closed yet")
    if any(r.status in ("requested", "approved") for r in case.returns):
        raise Conflict(f"case {case.id} has a return in progress; travel or cancel it before closing")
    case.status, case.closure_reason, case.closed_at = "closed", reason, utcnow()
    case.closure_note_enc = seal(no_nul(note, "note"), "case_records", "closure_note_enc")
    touch(case)
    session.flush()
    record_by(
        session, actor, "case.close", case.id,
        {"closure_reason": reason, "fields": ["closure_note"] if note else []},
    )
    return case

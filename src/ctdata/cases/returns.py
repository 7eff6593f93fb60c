"""Assisted voluntary return (AVRR) and its gates.

A return may be marked travelled only when every gate is closed:
informed written consent; a risk assessment with its mitigations; and, for a
child, a best-interest determination and the guardian's willingness and means to
receive the child. The refusal names each open gate in plain words. Whether the
person is a child is derived from the date of birth (today) or the registration,
and must be recorded when neither tells: an unknown age never skips the child gates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ctdata.cases.access import Access, Actor, known_id, load_case
from ctdata.cases.common import child_today, ensure_open, no_nul, record_by, touch, validate
from ctdata.cases.views import decrypt_person, return_view
from ctdata.errors import Conflict, NotFound, ValidationError
from ctdata.standard import models as std
from ctdata.standard import vocab
from ctdata.standard.dates import parse_partial_date
from ctdata.store.fields import seal, unseal
from ctdata.store.models import CaseRecord, ReturnRecord
from ctdata.text import Join, Plain, Terms, Text

#: a return's states that end it, as a sentence says them
RETURN_STATES = {"travelled": Text("travelled"), "cancelled": Text("cancelled")}

ACTIVE = ("requested", "approved")
_FIELDS = tuple(std.ReturnRecord.model_fields)
#: free-text fields of a return, stored encrypted (field -> column)
_SEALED = {"risk_mitigations": "risk_mitigations_enc", "bid_authority": "bid_authority_enc"}


def open_gates(r: ReturnRecord) -> list[str]:
    """The gates still open, each in plain words (empty: the return may travel)."""
    gates = []
    if not r.consent_written:
        gates.append(Text("the person's informed written consent to return has not been recorded"))
    if not r.risk_level:
        gates.append(Text("no risk assessment has been recorded"))
    if not (unseal(r.risk_mitigations_enc, "returns", "risk_mitigations_enc") or "").strip():
        gates.append(Text("the risk assessment has no mitigations recorded"))
    if r.is_child is None:
        gates.append(Text("it is not recorded whether the person is a child (the child gates cannot be judged)"))
    if r.is_child is not False:
        if not r.best_interest_determination:
            gates.append(Text(
                "for a child, the best-interest determination by a child protection authority has not been recorded"
            ))
        if not r.guardian_willing:
            gates.append(Text("for a child, the guardian's willingness to receive the child has not been confirmed"))
        if not r.guardian_able:
            gates.append(Text("for a child, the guardian's means to care for the child have not been confirmed"))
    return gates


#: Fields that may still change once the person has travelled: the plan and the reintegration follow-up.
AFTER_TRAVEL = frozenset({"reintegration_plan", "follow_up_date", "reintegration_status"})
#: The follow-up of reintegration, recorded only after the return has travelled.
FOLLOW_UP = frozenset({"follow_up_date", "reintegration_status"})


def _status(r: ReturnRecord) -> str:
    return "approved" if not open_gates(r) else "requested"


def _apply(r: ReturnRecord, data: Mapping[str, Any]) -> list[str]:
    data = dict(data)
    is_child = data.pop("is_child", ...)
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise ValidationError(Text("unknown return fields: {fields}", fields=Plain(", ".join(sorted(unknown)))))
    v = validate(std.ReturnRecord, data, "return")
    changed = sorted(v.model_fields_set)
    for f in changed:
        value = getattr(v, f)
        if isinstance(value, str):
            no_nul(value, f)
        if f in _SEALED:
            setattr(r, _SEALED[f], seal(value, "returns", _SEALED[f]))
        else:
            setattr(r, f, value)
    if is_child is not ...:
        if is_child is not None and not isinstance(is_child, bool):
            raise ValidationError(Text("is_child must be true, false or null"))
        r.is_child = is_child
        changed.append("is_child")
    return changed


def _child_rule(case: CaseRecord, r: ReturnRecord) -> None:
    derived = child_today(decrypt_person(case.person)["date_of_birth"], case.child_at_registration)
    if derived is True and r.is_child is False:
        raise ValidationError(Text("the recorded age shows a child; the child gates of a return cannot be skipped"))


def _get(session: Session, case: CaseRecord, return_id: int) -> ReturnRecord:
    r = session.get(ReturnRecord, return_id) if known_id(return_id) else None
    if r is None or r.case_id != case.id:
        raise NotFound(Text("return {number} of case {case} not found", number=Plain(return_id), case=Plain(case.id)))
    return r


def _check(r: ReturnRecord, expected: int | None) -> None:
    if expected is not None and expected != r.version:
        raise Conflict(
            f"return {r.id} was changed by someone else (you edited version {expected}, it is now "
            f"version {r.version}); reload it and apply your change again"
        )


def open_return(session: Session, actor: Actor, case_id: int, data: Mapping[str, Any]) -> ReturnRecord:
    """Record a request for assisted voluntary return (one active request per case)."""
    case, _ = load_case(session, actor, case_id, write=True, action="return.create")
    ensure_open(case)
    if any(r.status in ACTIVE for r in case.returns):
        raise Conflict(Text("case {number} already has a return in progress; update that one", number=Plain(case.id)))
    if data.get("travel_date"):
        raise ValidationError(Text("the travel date is recorded when the return is marked travelled"))
    if FOLLOW_UP & {k for k, v in data.items() if v not in (None, "")}:
        raise ValidationError(Text("a reintegration follow-up is recorded once the return has travelled"))
    r = ReturnRecord(case_id=case.id, status="requested", created_by=actor.username)
    dob = decrypt_person(case.person)["date_of_birth"]
    r.is_child = child_today(dob, case.child_at_registration)
    changed = _apply(r, data)
    _child_rule(case, r)
    r.status = _status(r)
    session.add(r)
    touch(case)
    session.flush()
    record_by(session, actor, "return.create", case.id, {"return_id": r.id, "fields": changed, "status": r.status})
    return r


def update_return(
    session: Session,
    actor: Actor,
    case_id: int,
    return_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None,
) -> ReturnRecord:
    """Record gate decisions and plans; after travel only the reintegration plan and follow-up can change."""
    case, _ = load_case(session, actor, case_id, write=True, action="return.update")
    r = _get(session, case, return_id)
    _check(r, expected_version)
    if r.status == "cancelled":
        raise Conflict(Text("return {number} was cancelled; open a new one", number=Plain(r.id)))
    if r.status == "travelled" and set(changes) - AFTER_TRAVEL:
        raise Conflict(Text("return {number} has travelled; only its reintegration plan and follow-up can still change",
                            number=Plain(r.id)))
    if r.status != "travelled" and FOLLOW_UP & {k for k, v in changes.items() if v not in (None, "")}:
        raise ValidationError(Text("a reintegration follow-up is recorded once the return has travelled"))
    if "travel_date" in changes and r.status != "travelled":
        raise ValidationError(Text("the travel date is recorded when the return is marked travelled"))
    changed = _apply(r, changes)
    _child_rule(case, r)
    if r.status != "travelled":
        r.status = _status(r)
    touch(case)
    session.flush()
    record_by(
        session, actor, "return.update", case.id,
        {"return_id": r.id, "fields": changed, "status": r.status, "open_gates": len(open_gates(r))},
    )
    return r


def mark_travelled(
    session: Session,
    actor: Actor,
    case_id: int,
    return_id: int,
    travel_date: str | None,
    expected_version: int | None = None,
) -> ReturnRecord:
    """Mark the return travelled; a Conflict names every gate still open."""
    case, _ = load_case(session, actor, case_id, write=True, action="return.travel")
    r = _get(session, case, return_id)
    _check(r, expected_version)
    if r.status not in ACTIVE:
        raise Conflict(Text("return {number} is {status}; it cannot be marked travelled", number=Plain(r.id),
                            status=Terms([vocab.RETURN_STATUS.terms.get(r.status, r.status)])))
    gates = open_gates(r)
    if gates:
        raise Conflict(Text("return {number} cannot be marked travelled while gates are open: {gates}",
                            number=Plain(r.id), gates=Join(gates, sep="; ")))
    d = parse_partial_date(travel_date, field="travel_date")
    r.travel_date = str(d) if d else None
    r.status = "travelled"
    touch(case)
    session.flush()
    record_by(session, actor, "return.travel", case.id, {"return_id": r.id, "travel_date": r.travel_date})
    return r


def cancel_return(
    session: Session,
    actor: Actor,
    case_id: int,
    return_id: int,
    reason: str,
    expected_version: int | None = None,
) -> ReturnRecord:
    case, _ = load_case(session, actor, case_id, write=True, action="return.cancel")
    r = _get(session, case, return_id)
    _check(r, expected_version)
    if r.status not in ACTIVE:
        raise Conflict(Text("return {number} is {status}; it cannot be cancelled", number=Plain(r.id),
                            status=RETURN_STATES.get(r.status, r.status)))
    if not (reason or "").strip():
        raise ValidationError(Text("say why the return is cancelled"))
    r.status = "cancelled"
    r.cancel_reason_enc = seal(no_nul(reason, "reason"), "returns", "cancel_reason_enc")
    touch(case)
    session.flush()
    record_by(session, actor, "return.cancel", case.id, {"return_id": r.id, "fields": ["cancel_reason"]})
    return r


def return_dict(r: ReturnRecord) -> dict[str, Any]:
    return {"case_id": r.case_id, **return_view(r, Access.WRITE)}

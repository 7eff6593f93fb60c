"""Small rules every case service shares: validation errors, versions, open cases, derived ages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from ctdata.cases.access import Actor, load_case
from ctdata.cases.tx import record
from ctdata.errors import Conflict, ValidationError
from ctdata.standard.ages import DERIVED, derive_values
from ctdata.standard.dates import age_on, age_range, parse_partial_date
from ctdata.store.fields import seal, seal_list, unseal_list
from ctdata.store.models import CaseRecord, ConsentDocument, utcnow
from ctdata.text import Day, Plain, Text

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Mapping[str, Any] | BaseModel, what: str) -> M:
    """Validate with a standard model; the first problem becomes one clear ValidationError."""
    if isinstance(data, model):
        return data
    if isinstance(data, BaseModel):
        data = data.model_dump()
    if not isinstance(data, Mapping):
        raise ValidationError(f"{what} must be an object")
    try:
        return model.model_validate(dict(data))
    except PydanticValidationError as exc:
        raise ValidationError.of_pydantic(exc, f"{what} field") from None


def no_nul(value: str | None, field: str) -> str | None:
    """Refuse NUL characters (PostgreSQL text cannot hold them)."""
    if value is not None and "\x00" in value:
        raise ValidationError(Text("{field} contains a NUL character", field=field))
    return value


def check_version(case: CaseRecord, expected: int | None) -> None:
    """Optimistic concurrency: the caller says which version they edited; a stale one is refused."""
    if expected is not None and expected != case.version:
        raise Conflict(
            f"case {case.id} was changed by someone else (you edited version {expected}, it is now "
            f"version {case.version}); reload it and apply your change again"
        )


def ensure_open(case: CaseRecord) -> None:
    if case.voided_at is not None:
        raise Conflict(Text("case {number} was voided (registered by mistake); it can no longer be changed",
                            number=Plain(case.id)))
    if case.status == "closed":
        raise Conflict(Text("case {number} is closed ({reason}); it can no longer be changed", number=Plain(case.id),
                            reason=case.closure_reason or ""))


def load_open(
    session: Session, actor: Actor, case_id: int, action: str, expected_version: int | None
) -> CaseRecord:
    """The case to change: the actor may write it, the version they edited is current and it is open."""
    case, _ = load_case(session, actor, case_id, write=True, action=action)
    check_version(case, expected_version)
    ensure_open(case)
    return case


def record_by(
    session: Session,
    actor: Actor,
    action: str,
    entity_id: object,
    details: dict[str, Any] | None = None,
    *,
    entity: str = "case",
    reason: str | None = None,
) -> None:
    """Append the audit entry of what the actor did (in the same transaction; flush first for new ids)."""
    record(
        session, actor=actor.username, action=action, entity=entity, entity_id=entity_id, reason=reason, details=details
    )


def touch(case: CaseRecord) -> None:
    """Mark the case changed: its version goes up and the warehouse sees it as updated."""
    case.updated_at = utcnow()


def touch_added(session: Session, case: CaseRecord, expected_version: int | None) -> None:
    """Bump the version for an addition (a leg, an assistance record) that overwrites nothing.

    With an expected version the caller asked for the strict check (ORM versioned update);
    without one, two colleagues adding records at once must both succeed, so the version
    is incremented in SQL whatever it is now.
    """
    if expected_version is not None:
        touch(case)
        return
    session.flush()
    session.execute(
        update(CaseRecord)
        .where(CaseRecord.id == case.id)
        .values(version=CaseRecord.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.expire(case, ["version", "updated_at"])


def state_consent(
    case: CaseRecord,
    kind: str,
    given: bool,
    recorded_by: str,
    *,
    organisation: str | None = None,
    when: date | None = None,
    document_ref: str | None = None,
) -> ConsentDocument:
    """Record one consent statement on the case, and show it on the case's own fields.

    Every statement, from the Consents tab, the API or a screening, goes through here, so the
    rule that reads them (`transfer.has_sharing_consent`: the latest statement naming an office
    decides) sees each one in the order it was made. A statement made at a screening is a
    document with no reference.
    """
    row = ConsentDocument(
        case_id=case.id,
        kind=kind,
        organisation_enc=seal(organisation, "consents", "organisation_enc"),
        given=given,
        date=when,
        document_ref_enc=seal(document_ref, "consents", "document_ref_enc"),
        recorded_by=recorded_by,
    )
    case.consents.append(row)
    if kind == "research":
        case.consent_research = given
    elif kind == "assistance":
        case.consent_assistance = given
    elif kind == "sharing":
        share_with(case, [organisation or ""], given=given)  # the case's sharing list shows it
    return row


def share_with(case: CaseRecord, organisations: list[str], *, given: bool = True) -> None:
    """Add organisations to the case's sharing consents (or, withdrawn, remove them); case and spacing
    do not make a new entry, and the order of first mention is kept."""
    current = unseal_list(case.consent_sharing_enc, "case_records", "consent_sharing_enc")

    def key(name: str) -> str:
        return " ".join(name.casefold().split())

    names = [no_nul(o, "consent.sharing") or "" for o in organisations]
    wanted = {key(o) for o in names if o.strip()}
    if given:
        seen = {key(o) for o in current}
        for name in names:
            if name.strip() and key(name) not in seen:
                current.append(" ".join(name.split()))
                seen.add(key(name))
    else:
        current = [o for o in current if key(o) not in wanted]
    case.consent_sharing_enc = seal_list(current, "case_records", "consent_sharing_enc")


def derived_ages(date_of_birth: str | None, registration_date: str | None) -> dict[str, Any]:
    """Ages at registration by the counting rules of DESIGN.md section 5 (`standard.ages`, as an import)."""
    reg = parse_partial_date(registration_date, field="registration_date")
    dob = parse_partial_date(date_of_birth, field="date_of_birth")
    bounds = age_range(dob, reg)
    if bounds is not None and bounds[1] < 0:
        raise ValidationError.at("date_of_birth", Text(
            "the date of birth ({birth}) is after the registration date ({registration})",
            birth=Day(str(date_of_birth)) if len(str(date_of_birth)) == 10 else str(date_of_birth),
            registration=Day(str(registration_date)) if len(str(registration_date)) == 10 else str(registration_date)))
    got = derive_values(registration_date, date_of_birth, None, None, None, None, None)
    return dict(zip(DERIVED[:4], got[:4], strict=True))


def child_today(date_of_birth: str | None, fallback: bool | None) -> bool | None:
    dob = parse_partial_date(date_of_birth, field="date_of_birth")
    if dob is not None:
        age = age_on(dob, date.today())
        if age is not None:
            return age < 18
    return fallback

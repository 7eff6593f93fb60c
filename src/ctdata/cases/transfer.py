"""Transfer of a case to another office, and the consents that allow it.

A transfer needs the person's recorded consent to share with the receiving
office: a `consents` row of kind 'sharing', given, whose organisation names the
receiving agency or office, or an entry in the case's sharing list (`consent_sharing_enc`) that
does. An organisation names the receiving office when, ignoring case and
punctuation, it is the agency ("IOM"), the office country code or name ("TH",
"Thailand"), or the agency with the country ("IOM TH", "IOM Thailand").

The receiving office accepts (the case's current office moves to it) or rejects
with a reason. After acceptance the sending office keeps read-only access to what
its staff wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ctdata.cases.access import Actor, deny, known_id, load_case, require_role, same_office
from ctdata.cases.agencies import require_agency
from ctdata.cases.common import ensure_open, no_nul, record_by, state_consent, touch, validate
from ctdata.cases.views import transfer_view
from ctdata.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ctdata.standard import countries, vocab
from ctdata.standard import models as std
from ctdata.standard.countries import UnknownCountry, to_alpha2
from ctdata.standard.dates import parse_full_date
from ctdata.standard.types import not_allowed
from ctdata.store import audit
from ctdata.store.fields import seal, unseal, unseal_list
from ctdata.store.models import CaseRecord, ConsentDocument, Transfer, utcnow
from ctdata.text import Country, Plain, Text

#: a transfer's decided states, as a sentence says them
TRANSFER_STATES = {"accepted": Text("accepted"), "rejected": Text("rejected"), "cancelled": Text("cancelled")}

CONSENT_KINDS = ("assistance", "sharing", "research", "return")


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _names_office(organisation: str, country: str, agency: str) -> bool:
    org, ag = _norm(organisation), _norm(agency)
    if not org:
        return False
    if org == ag:
        return True
    rest = org[len(ag) + 1 :] if ag and org.startswith(ag + " ") else org
    try:
        return to_alpha2(rest) == country
    except (UnknownCountry, ValueError, LookupError):
        return False


def has_sharing_consent(case: CaseRecord, country: str, agency: str) -> bool:
    """Whether the person consents, now, to their case being shared with the office (country, agency).

    The case's sharing list (written by screening, registration or an import) is where it starts;
    then every recorded sharing consent document that names the office, given or withdrawn, in the
    order it was recorded: the latest statement decides. So a withdrawal is honoured even when an
    earlier document, or the list, names the office in other words ("IOM" for every IOM office,
    "IOM Viet Nam" for "IOM VN"), and a consent given again after a withdrawal counts again."""
    sharing = unseal_list(case.consent_sharing_enc, "case_records", "consent_sharing_enc")
    allowed = any(_names_office(org, country, agency) for org in sharing)
    documents = sorted(
        (c for c in case.consents if c.kind == "sharing"),
        key=lambda c: (c.id is None, c.id or 0),  # ids grow in the order of recording; unsaved ones are latest
    )
    for c in documents:
        organisation = unseal(c.organisation_enc, "consents", "organisation_enc")
        if organisation and _names_office(organisation, country, agency):
            allowed = bool(c.given)
    return allowed


def record_consent(session: Session, actor: Actor, case_id: int, data: Mapping[str, Any]) -> ConsentDocument:
    """Record a consent document (kind: assistance, sharing, research or return)."""
    case, _ = load_case(session, actor, case_id, write=True, action="consent.create")
    ensure_open(case)
    kind = data.get("kind")
    if kind not in CONSENT_KINDS:
        raise ValidationError.at("kind", not_allowed(kind, CONSENT_KINDS))
    organisation = no_nul(data.get("organisation"), "organisation")
    if kind == "sharing" and not (organisation or "").strip():
        raise ValidationError(Text("a consent to share must name the organisation or office it allows"))
    given = data.get("given", True)
    if not isinstance(given, bool):
        raise ValidationError(Text("given must be true or false"))
    when = data.get("date")
    if when is not None and not isinstance(when, date):
        when = parse_full_date(when, field="date")
    row = state_consent(
        case,
        kind,
        given,
        actor.username,
        organisation=organisation,
        when=when,
        document_ref=no_nul(data.get("document_ref"), "document_ref"),
    )
    touch(case)
    session.flush()
    record_by(session, actor, "consent.create", case.id, {
        "consent_id": row.id,
        "kind": kind,
        "given": given,
        "fields": [f for f in ("organisation", "document_ref") if data.get(f)],
    })
    return row


def request_transfer(session: Session, actor: Actor, case_id: int, data: Mapping[str, Any]) -> Transfer:
    """Refer the case to another office; refused without recorded consent to share with it."""
    case, _ = load_case(session, actor, case_id, write=True, action="transfer.create")
    ensure_open(case)
    t = validate(std.Transfer, data, "transfer")
    to_country = t.to_office_country or ""
    if not to_country:
        raise ValidationError.at("to_office_country", Text("choose the country of the receiving office"))
    to_agency = require_agency(session, t.to_agency)
    if (to_country, to_agency) == (case.current_office_country, case.current_agency):
        raise ValidationError(Text("the case is already with that office"))
    if any(x.status == "pending" for x in case.transfers):
        raise Conflict(Text("case {number} already has a transfer awaiting a decision", number=Plain(case.id)))
    if not has_sharing_consent(case, to_country, to_agency):
        raise Conflict(Text(
            "the person has not consented to share their case with {agency} {country}: record a "
            "consent to share (kind 'sharing') naming that office or agency first",
            agency=to_agency, country=Country(to_country, countries.name(to_country)),  # 'IOM Thailand', not 'IOM TH'
        ))
    row = Transfer(
        case_id=case.id,
        from_office_country=case.current_office_country or "",
        from_agency=case.current_agency or "",
        to_office_country=to_country,
        to_agency=to_agency,
        status="pending",
        reason_enc=seal(no_nul(t.reason, "reason"), "transfers", "reason_enc"),
        requested_by=actor.username,
    )
    case.transfers.append(row)
    touch(case)
    session.flush()
    record_by(
        session, actor, "transfer.create", case.id,
        {"transfer_id": row.id, "to": f"{to_agency} {to_country}", "fields": ["reason"] if t.reason else []},
    )
    return row


def _pending_for(session: Session, actor: Actor, transfer_id: int, action: str) -> Transfer:
    require_role(session, actor, ("admin", "caseworker"), action)
    t = session.get(Transfer, transfer_id) if known_id(transfer_id) else None
    visible = t is not None and (
        actor.role == "admin"
        or same_office(actor, t.to_office_country, t.to_agency)
        or same_office(actor, t.from_office_country, t.from_agency)
    )
    if t is None or not visible:
        deny(
            session,
            actor,
            action,
            "transfer",
            transfer_id,
            "no such transfer" if t is None else "transfer is outside the actor's office",
        )
        raise NotFound(Text("transfer {number} not found", number=Plain(transfer_id)))
    if actor.role != "admin" and not same_office(actor, t.to_office_country, t.to_agency):
        deny(session, actor, action, "transfer", transfer_id, "only the receiving office decides")
        raise PermissionDenied(Text("only the receiving office can accept or reject a transfer"))
    if t.status != "pending":
        raise Conflict(Text("transfer {number} was already {status}", number=Plain(t.id),
                            status=TRANSFER_STATES.get(t.status, t.status)))
    return t


def accept_transfer(session: Session, actor: Actor, transfer_id: int) -> Transfer:
    """The receiving office takes over the case."""
    t = _pending_for(session, actor, transfer_id, "transfer.accept")
    case = session.get(CaseRecord, t.case_id)
    assert case is not None
    ensure_open(case)
    t.status, t.decided_by, t.decided_at = "accepted", actor.username, utcnow()
    case.current_office_country, case.current_agency = t.to_office_country, t.to_agency
    case.referral_from_office = t.from_office_country
    touch(case)
    session.flush()
    record_by(session, actor, "transfer.accept", case.id, {
        "transfer_id": t.id,
        "from": f"{t.from_agency} {t.from_office_country}",
        "to": f"{t.to_agency} {t.to_office_country}",
    })
    return t


def reject_transfer(session: Session, actor: Actor, transfer_id: int, reason: str) -> Transfer:
    """The receiving office declines; the case stays with the sending office."""
    t = _pending_for(session, actor, transfer_id, "transfer.reject")
    if not (reason or "").strip():
        raise ValidationError(Text("say why the transfer is rejected"))
    t.status, t.decided_by, t.decided_at = "rejected", actor.username, utcnow()
    t.decision_reason_enc = seal(no_nul(reason, "reason"), "transfers", "decision_reason_enc")
    case = session.get(CaseRecord, t.case_id)
    assert case is not None
    touch(case)
    session.flush()
    record_by(session, actor, "transfer.reject", t.case_id, {"transfer_id": t.id, "fields": ["decision_reason"]})
    return t


def list_transfers(
    session: Session, actor: Actor, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Transfers to and from the actor's office (all for an admin), newest first."""
    require_role(session, actor, ("admin", "caseworker"), "transfer.list")
    if status is not None and status not in vocab.TRANSFER_STATUS:
        raise ValidationError.at("status", not_allowed(status, vocab.TRANSFER_STATUS.codes))
    q = select(Transfer)
    if actor.role != "admin":
        q = q.where(
            or_(
                same_office(actor, Transfer.to_office_country, Transfer.to_agency),
                same_office(actor, Transfer.from_office_country, Transfer.from_agency),
            )
        )
    if status:
        q = q.where(Transfer.status == status)
    rows = session.execute(q.order_by(Transfer.id.desc()).limit(max(1, min(limit, 500)))).scalars().all()
    record_by(
        session, actor, "transfer.list", None,
        {"count": len(rows), "ids_digest": audit.digest_ids(r.id for r in rows)},
        entity="transfer",
    )
    return [transfer_view(r) for r in rows]

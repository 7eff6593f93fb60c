"""What a case looks like to someone: plain dicts, identifying fields only for roles allowed them.

One place decides what is shown, so the API, the pages and the tests agree. The
analyst's view drops names, dates of birth, document numbers and every free-text
field (notes, indicators, reasons, mitigations, providers, the best-interest authority,
consent organisations and the sharing list, document references), which could name someone:
de-identified means no free text at all.
A sending office's view after a transfer keeps only the entries its own staff wrote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdata.cases.access import Access
from ctdata.standard import models as std
from ctdata.store.crypto import keyring
from ctdata.store.fields import unseal, unseal_list
from ctdata.store.models import (
    Assistance,
    CaseRecord,
    ConsentDocument,
    JourneyLeg,
    Perpetrator,
    Person,
    ReturnRecord,
    Transfer,
    User,
)
from ctdata.store.persons import ENCRYPTED

PERSON_FIELDS = ENCRYPTED  # identifying field -> encrypted column


#: The fields of a journey leg as the case services answer them: the standard's, with the row's id
#: and author (the one shape of a leg, for the case view and the API alike).
LEG_FIELDS = ("id", *std.JourneyLeg.model_fields, "created_by")


def leg_view(leg: JourneyLeg) -> dict[str, Any]:
    """A journey leg as the case view, the pages and the API show it."""
    return {name: getattr(leg, name) for name in LEG_FIELDS}


#: The fields of an assistance entry as the case services answer them (free text only for identifying roles).
ASSISTANCE_FIELDS = ("id", *std.Assistance.model_fields, "created_by")


def assistance_view(a: Assistance, identifying: bool) -> dict[str, Any]:
    """An assistance entry as the case view, the pages and the API show it."""
    out = {name: getattr(a, name) for name in ASSISTANCE_FIELDS if name != "provider"}
    out["provider"] = unseal(a.provider_enc, "assistance", "provider_enc") if identifying else None  # free text
    out["legal_types"] = a.legal_types or []
    return out


#: The descriptive fields of a perpetrator (the standard's, less the identifying ones, which are encrypted).
PERPETRATOR_FIELDS = tuple(n for n in std.Perpetrator.model_fields if n not in std.PERPETRATOR_IDENTIFYING)


def perpetrator_view(p: Perpetrator, identifying: bool) -> dict[str, Any]:
    """A perpetrator as the case view, the pages and the API show it (identifiers for identifying roles only)."""
    out: dict[str, Any] = {"id": p.id}
    for name in PERPETRATOR_FIELDS:
        value = getattr(p, name)
        out[name] = bool(value) if name == "grouped" else (value or [])
    for name in std.PERPETRATOR_IDENTIFYING:
        out[name] = unseal_list(getattr(p, f"{name}_enc"), "perpetrators", f"{name}_enc") if identifying else []
    out["created_by"] = p.created_by
    return out


def decrypt_person(person: Person) -> dict[str, str | None]:
    keys = keyring()
    return {name: keys.decrypt(getattr(person, col), name) for name, col in PERSON_FIELDS.items()}


def person_view(person: Person, level: Access) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sex": person.sex,
        "citizenship": person.citizenship or [],
        "languages": person.languages or [],
        "erased": person.erased_at is not None,
    }
    if level.identifying:
        out.update(decrypt_person(person))
        out["person_key"] = person.person_key
    return out


def return_view(r: ReturnRecord, level: Access) -> dict[str, Any]:
    from ctdata.cases.returns import open_gates

    ident = level.identifying
    out = {
        "id": r.id,
        "version": r.version,
        "status": r.status,
        "requested_date": r.requested_date,
        "consent_written": r.consent_written,
        "risk_level": r.risk_level,
        "risk_mitigations": unseal(r.risk_mitigations_enc, "returns", "risk_mitigations_enc") if ident else None,
        "is_child": r.is_child,
        "best_interest_determination": r.best_interest_determination,
        "bid_authority": unseal(r.bid_authority_enc, "returns", "bid_authority_enc") if ident else None,
        "cancel_reason": unseal(r.cancel_reason_enc, "returns", "cancel_reason_enc") if ident else None,
        "guardian_willing": r.guardian_willing,
        "guardian_able": r.guardian_able,
        "travel_date": r.travel_date,
        "receiving_office_country": r.receiving_office_country,
        "reintegration_plan": r.reintegration_plan,
        "follow_up_date": r.follow_up_date,
        "reintegration_status": r.reintegration_status,
        "open_gates": open_gates(r),
        "created_by": r.created_by,
    }
    return out


def consent_view(c: ConsentDocument, identifying: bool) -> dict[str, Any]:
    """A recorded consent as the case view and the API show it (its free text for identifying roles only)."""
    return {
        "id": c.id,
        "kind": c.kind,
        "organisation": unseal(c.organisation_enc, "consents", "organisation_enc") if identifying else None,
        "given": c.given,
        "date": c.date.isoformat() if c.date else None,
        "document_ref": unseal(c.document_ref_enc, "consents", "document_ref_enc") if identifying else None,
        "recorded_by": c.recorded_by,
    }


def transfer_view(t: Transfer, level: Access = Access.WRITE) -> dict[str, Any]:
    ident = level.identifying
    return {
        "id": t.id,
        "case_id": t.case_id,
        "from_office_country": t.from_office_country,
        "from_agency": t.from_agency,
        "to_office_country": t.to_office_country,
        "to_agency": t.to_agency,
        "status": t.status,
        "reason": unseal(t.reason_enc, "transfers", "reason_enc") if ident else None,
        "decision_reason": unseal(t.decision_reason_enc, "transfers", "decision_reason_enc") if ident else None,
        "requested_by": t.requested_by,
        "decided_by": t.decided_by,
        "created_at": t.created_at,
        "decided_at": t.decided_at,
    }


def _office_users(session: Session, country: str | None, agency: str | None) -> set[str]:
    """Accounts of one office (agency and country are canonical keys: equality)."""
    q = select(User.username).where(User.office_country == country, User.agency == agency)
    return set(session.execute(q).scalars())


def case_view(
    session: Session, case: CaseRecord, level: Access, *, sent_by: tuple[str, str] | None = None
) -> dict[str, Any]:
    """The full case as the actor may see it (sent_by: the sending office, for Access.SENT)."""
    ident = level.identifying
    keys = keyring() if ident else None
    mine: set[str] | None = None
    if level is Access.SENT and sent_by is not None:
        mine = _office_users(session, *sent_by)

    def wrote(created_by: str | None) -> bool:
        return mine is None or created_by in mine

    def text(blob: bytes | None, table: str, column: str) -> str | None:
        return unseal(blob, table, column) if ident else None

    screenings = []
    for s in case.screenings:
        if not wrote(s.decided_by):
            continue
        screenings.append(
            {
                "id": s.id,
                "actions": s.actions or [],
                "means": s.means or [],
                "purposes": s.purposes or [],
                "vulnerabilities": s.vulnerabilities or [],
                "indicators": unseal_list(s.indicators_enc, "screenings", "indicators_enc") if ident else [],
                "age_at_exploitation": s.age_at_exploitation,
                "notes": keys.decrypt(s.notes_enc, "screening_notes") if keys else None,
                "determination": s.determination,
                "rule": s.rule,
                "missing": s.missing or [],
                "override_determination": s.override_determination,
                "override_reason": text(s.override_reason_enc, "screenings", "override_reason_enc"),
                "decided_by": s.decided_by,
                "decided_at": s.decided_at,
            }
        )
    legs = [leg_view(leg) for leg in case.journey_legs if wrote(leg.created_by)]
    assistance = [assistance_view(a, ident) for a in case.assistance if wrote(a.created_by)]
    consents = [consent_view(c, ident) for c in case.consents if wrote(c.recorded_by)]
    out = summary_view(case, level)
    out.update(
        {
            "data_source": case.data_source,
            "registration_year": case.registration_year,
            "age_at_registration": case.age_at_registration,
            "child_at_registration": case.child_at_registration,
            "age_at_exploitation": case.age_at_exploitation,
            "child_at_exploitation": case.child_at_exploitation,
            "status_rule": case.status_rule,
            "exploitation": {
                "types": case.exploitation_types or [],
                "labour_sectors": case.labour_sectors or [],
                "sexual_exploitation_types": case.sexual_exploitation_types or [],
                "means_of_control": case.means_of_control or [],
                "recruiter_relation": case.recruiter_relation or [],
                "recruitment_tactics": case.recruitment_tactics or [],
                "promised_job": text(case.promised_job_enc, "case_records", "promised_job_enc"),
                "promised_sector": case.promised_sector,
                "country_of_exploitation": case.country_of_exploitation,
                "start": case.exploitation_start,
            },
            "referral_from_office": case.referral_from_office,
            "consent": {
                "assistance": case.consent_assistance,
                "research": case.consent_research,
                "sharing": unseal_list(case.consent_sharing_enc, "case_records", "consent_sharing_enc")
                if ident
                else [],
            },
            "closure_reason": case.closure_reason,
            "closure_note": text(case.closure_note_enc, "case_records", "closure_note_enc"),
            "closed_at": case.closed_at,
            "voided": None if case.voided_at is None else {
                "at": case.voided_at,
                "by": case.voided_by,
                "reason": text(case.void_reason_enc, "case_records", "void_reason_enc"),
            },
            "created_by": case.created_by,
            "created_at": case.created_at,
            "person": person_view(case.person, level),
            "screenings": screenings,
            "journey_legs": legs,
            "assistance": assistance,
            "returns": [return_view(r, level) for r in case.returns if wrote(r.created_by)],
            "transfers": [transfer_view(t, level) for t in case.transfers],
            "consents": consents,
            "perpetrators": [perpetrator_view(p, ident) for p in case.perpetrators if wrote(p.created_by)],
        }
    )
    return out


def summary_view(case: CaseRecord, level: Access, person: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fields of a case list row."""
    out: dict[str, Any] = {
        "id": case.id,
        "version": case.version,
        "access": level.value,
        "status": case.status,
        "agency": case.agency,
        "office_country": case.office_country,
        "current_agency": case.current_agency,
        "current_office_country": case.current_office_country,
        "registration_date": case.registration_date,
        "age_band": case.age_band,
        "updated_at": case.updated_at,
        "voided": case.voided_at is not None,
    }
    if person is not None:
        out["person"] = person
    return out

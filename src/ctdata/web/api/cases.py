"""Case routes of the JSON API: thin calls into `ctdata.cases` inside one audited transaction each.

Who may call what (the service then scopes by office: a caseworker gets 404 for a
case of another office):

- read a case or the case list: admin, data_manager, caseworker, analyst (analysts
  get a de-identified view and cannot search by name);
- case work (register, update, screening, exploitation, legs, assistance, consents,
  return, transfer, close): admin, caseworker;
- erase a person's identifying data: admin, data_manager;
- void a case registered by mistake: admin, caseworker, data_manager (`cases.closure.void_case` decides);
- read a case's audit trail: `access.AUDIT_READERS` (the same rule as the case page's tab).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from ctdata.cases import (
    assistance,
    closure,
    exploitation,
    journeys,
    perpetrators,
    returns,
    screening,
    service,
    transfer,
    views,
)
from ctdata.cases.access import AUDIT_READERS, Actor, load_case
from ctdata.cases.tx import transaction
from ctdata.publish import erasure as erasure_flow
from ctdata.web.api.schemas import (
    AssistanceIn,
    AssistanceOut,
    AuditOut,
    CaseCreate,
    CaseId,
    CaseList,
    CaseOut,
    CaseUpdate,
    CloseIn,
    ConsentDocIn,
    ConsentDocOut,
    DeterminationOut,
    ErasedOut,
    ExploitationIn,
    ItemId,
    JourneyLegIn,
    JourneyLegOut,
    OverrideIn,
    PerpetratorIn,
    PerpetratorOut,
    ReasonIn,
    ReturnIn,
    ReturnOut,
    ReturnPatch,
    ScreeningIn,
    TransferIn,
    TransferOut,
    TravelIn,
)
from ctdata.web.security import engine_of, requires

router = APIRouter(prefix="/cases", tags=["cases"])

READERS = requires("admin", "data_manager", "caseworker", "analyst")
WRITERS = requires("admin", "caseworker")
ERASERS = requires("admin", "data_manager")
VOIDERS = requires("admin", "caseworker", *closure.VOIDERS)
AUDITORS = requires(*AUDIT_READERS)
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not logged in"},
    403: {"description": "role not allowed"},
    404: {"description": "no such case, or not visible to you"},
    409: {"description": "stale version, open gate or state conflict"},
}


def _case(request: Request, actor: Actor, case_id: int) -> dict[str, Any]:
    """The case after a write, in the same shape as GET (the write is already audited)."""
    with transaction(engine_of(request)) as s:
        case, level = load_case(s, actor, case_id)
        return service.view(s, actor, case, level)


@router.post("", response_model=CaseOut, status_code=201, responses=ERRORS)
def create_case(body: CaseCreate, request: Request, actor: Actor = Depends(WRITERS)) -> dict[str, Any]:
    """Register a person and a case record (one instance of assistance); returns the case with its id."""
    data = body.model_dump(exclude={"person"}, exclude_none=True)
    with transaction(engine_of(request)) as s:
        case = service.register_case(s, actor, body.person.model_dump(), data)
        case_id = case.id
    return _case(request, actor, case_id)


@router.get("", response_model=CaseList, responses=ERRORS)
def list_cases(
    request: Request,
    actor: Actor = Depends(READERS),
    q: str | None = Query(None, max_length=200, description="Name search: each word is a name prefix."),
    status: str | None = Query(None, max_length=32),
    office_country: str | None = Query(None, max_length=2),
    registration_year: int | None = Query(None, ge=1900, le=2200),
    include_voided: bool = Query(False, description="Also list cases voided as registered by mistake."),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict[str, Any]:
    """Cases you may see, newest first (one audit entry with a digest of the ids listed)."""
    with transaction(engine_of(request)) as s:
        return service.list_cases(
            s,
            actor,
            q=q,
            status=status,
            office_country=office_country,
            registration_year=registration_year,
            include_voided=include_voided,
            limit=limit,
            offset=offset,
        )


@router.get("/{case_id}", response_model=CaseOut, responses=ERRORS)
def get_case(case_id: CaseId, request: Request, actor: Actor = Depends(READERS)) -> dict[str, Any]:
    """One case with its screenings, journey, assistance, returns, transfers and consents."""
    with transaction(engine_of(request)) as s:
        return service.get_case(s, actor, case_id)


@router.patch("/{case_id}", response_model=CaseOut, responses=ERRORS)
def update_case(case_id: CaseId, body: CaseUpdate, request: Request, actor: Actor = Depends(WRITERS)) -> dict[str, Any]:
    """Change person and case fields; 409 when someone else changed the case since `version`."""
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    if "person" in changes:
        changes["person"] = body.person.model_dump(exclude_unset=True) if body.person else {}
    if "consent" in changes:
        changes["consent"] = body.consent.model_dump(exclude_unset=True) if body.consent else {}
    with transaction(engine_of(request)) as s:
        service.update_case(s, actor, case_id, body.version, changes)
    return _case(request, actor, case_id)


@router.post("/{case_id}/screening", response_model=DeterminationOut, status_code=201, responses=ERRORS)
def screen(case_id: CaseId, body: ScreeningIn, request: Request, actor: Actor = Depends(WRITERS)) -> dict[str, Any]:
    """Screen against the Protocol Art. 3 elements; returns the determination, rule and what is missing."""
    data = body.model_dump(exclude={"expected_version"})
    with transaction(engine_of(request)) as s:
        return screening.screen(s, actor, case_id, data, expected_version=body.expected_version)


@router.post("/{case_id}/screenings/{screening_id}/override", response_model=DeterminationOut, responses=ERRORS)
def override(
    case_id: CaseId, screening_id: ItemId, body: OverrideIn, request: Request, actor: Actor = Depends(WRITERS)
) -> dict[str, Any]:
    """Override a determination with a reason (the engine's answer is kept and the change audited)."""
    with transaction(engine_of(request)) as s:
        return screening.override(
            s,
            actor,
            case_id,
            screening_id,
            body.determination,
            body.reason,
            expected_version=body.expected_version,
        )


@router.patch("/{case_id}/exploitation", response_model=CaseOut, responses=ERRORS)
def set_exploitation(
    case_id: CaseId, body: ExploitationIn, request: Request, actor: Actor = Depends(WRITERS)
) -> dict[str, Any]:
    """Record exploitation details (only the fields sent change)."""
    data = body.model_dump(exclude={"version"}, exclude_unset=True)
    with transaction(engine_of(request)) as s:
        exploitation.set_exploitation(s, actor, case_id, data, body.version)
    return _case(request, actor, case_id)


@router.post("/{case_id}/journey-legs", response_model=JourneyLegOut, status_code=201, responses=ERRORS)
def add_leg(case_id: CaseId, body: JourneyLegIn, request: Request, actor: Actor = Depends(WRITERS)) -> Any:
    data = body.model_dump(exclude={"expected_version"}, exclude_none=True)
    with transaction(engine_of(request)) as s:
        return views.leg_view(journeys.add_leg(s, actor, case_id, data, expected_version=body.expected_version))


@router.post("/{case_id}/assistance", response_model=AssistanceOut, status_code=201, responses=ERRORS)
def add_assistance(case_id: CaseId, body: AssistanceIn, request: Request, actor: Actor = Depends(WRITERS)) -> Any:
    data = body.model_dump(exclude={"expected_version"}, exclude_none=True)
    with transaction(engine_of(request)) as s:
        row = assistance.add_assistance(s, actor, case_id, data, expected_version=body.expected_version)
        return views.assistance_view(row, actor.identifying)


@router.get("/{case_id}/perpetrators", response_model=list[PerpetratorOut], responses=ERRORS)
def list_perpetrators(case_id: CaseId, request: Request, actor: Actor = Depends(READERS)) -> Any:
    """The perpetrators recorded on a case (identifying fields empty for analysts; the read is audited)."""
    with transaction(engine_of(request)) as s:
        return perpetrators.list_perpetrators(s, actor, case_id)


@router.post("/{case_id}/perpetrators", response_model=PerpetratorOut, status_code=201, responses=ERRORS)
def add_perpetrator(case_id: CaseId, body: PerpetratorIn, request: Request, actor: Actor = Depends(WRITERS)) -> Any:
    """Record a perpetrator (recruiter, transporter, exploiter, broker, controller) of the case's victim."""
    data = body.model_dump(exclude={"expected_version"}, exclude_none=True)
    with transaction(engine_of(request)) as s:
        row = perpetrators.add_perpetrator(s, actor, case_id, data, expected_version=body.expected_version)
        return views.perpetrator_view(row, actor.identifying)


@router.delete("/{case_id}/perpetrators/{perpetrator_id}", status_code=204, responses=ERRORS)
def remove_perpetrator(
    case_id: CaseId,
    perpetrator_id: ItemId,
    request: Request,
    reason: str = Query("recorded in error", min_length=1, max_length=2000, description="Why (audited)."),
    actor: Actor = Depends(WRITERS),
) -> None:
    """Remove a perpetrator recorded in error (the reason is audited)."""
    with transaction(engine_of(request)) as s:
        perpetrators.remove_perpetrator(s, actor, case_id, perpetrator_id, reason=reason)


@router.post("/{case_id}/consents", response_model=ConsentDocOut, status_code=201, responses=ERRORS)
def add_consent(case_id: CaseId, body: ConsentDocIn, request: Request, actor: Actor = Depends(WRITERS)) -> Any:
    """Record a consent (to assistance, to share with a named office or agency, to research, to return)."""
    with transaction(engine_of(request)) as s:
        c = transfer.record_consent(s, actor, case_id, body.model_dump())
        return views.consent_view(c, actor.identifying)


@router.post("/{case_id}/return", response_model=ReturnOut, status_code=201, responses=ERRORS)
def open_return(case_id: CaseId, body: ReturnIn, request: Request, actor: Actor = Depends(WRITERS)) -> Any:
    """Request an assisted voluntary return; the response lists the gates still open."""
    with transaction(engine_of(request)) as s:
        return returns.return_dict(returns.open_return(s, actor, case_id, body.model_dump(exclude_unset=True)))


@router.patch("/{case_id}/return/{return_id}", response_model=ReturnOut, responses=ERRORS)
def update_return(
    case_id: CaseId, return_id: ItemId, body: ReturnPatch, request: Request, actor: Actor = Depends(WRITERS)
) -> Any:
    """Record gate decisions (consent, risk, best interest, guardian) and the reintegration plan."""
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    with transaction(engine_of(request)) as s:
        return returns.return_dict(returns.update_return(s, actor, case_id, return_id, changes, body.version))


@router.post("/{case_id}/return/{return_id}/travel", response_model=ReturnOut, responses=ERRORS)
def travel(
    case_id: CaseId, return_id: ItemId, body: TravelIn, request: Request, actor: Actor = Depends(WRITERS)
) -> Any:
    """Mark the return travelled; 409 naming each gate still open."""
    with transaction(engine_of(request)) as s:
        r = returns.mark_travelled(s, actor, case_id, return_id, body.travel_date, body.version)
        return returns.return_dict(r)


@router.post("/{case_id}/return/{return_id}/cancel", response_model=ReturnOut, responses=ERRORS)
def cancel_return(
    case_id: CaseId, return_id: ItemId, body: ReasonIn, request: Request, actor: Actor = Depends(WRITERS)
) -> Any:
    with transaction(engine_of(request)) as s:
        return returns.return_dict(returns.cancel_return(s, actor, case_id, return_id, body.reason))


@router.post("/{case_id}/transfers", response_model=TransferOut, status_code=201, responses=ERRORS)
def request_transfer(case_id: CaseId, body: TransferIn, request: Request, actor: Actor = Depends(WRITERS)) -> Any:
    """Refer the case to another office; 409 without recorded consent to share with it."""
    with transaction(engine_of(request)) as s:
        t = transfer.request_transfer(s, actor, case_id, body.model_dump())
        return transfer.transfer_view(t)


@router.post("/{case_id}/close", response_model=CaseOut, responses=ERRORS)
def close_case(case_id: CaseId, body: CloseIn, request: Request, actor: Actor = Depends(WRITERS)) -> dict[str, Any]:
    with transaction(engine_of(request)) as s:
        closure.close_case(s, actor, case_id, body.reason, note=body.note, expected_version=body.version)
    return _case(request, actor, case_id)


@router.post("/{case_id}/void", response_model=CaseOut, responses=ERRORS)
def void_case(case_id: CaseId, body: ReasonIn, request: Request, actor: Actor = Depends(VOIDERS)) -> dict[str, Any]:
    """Void a case registered by mistake (its office's caseworkers, a data manager who sees it, an admin)."""
    with transaction(engine_of(request)) as s:
        closure.void_case(s, actor, case_id, body.reason)
    return _case(request, actor, case_id)


@router.post("/{case_id}/erase", response_model=ErasedOut, responses=ERRORS)
def erase(case_id: CaseId, body: ReasonIn, request: Request, actor: Actor = Depends(ERASERS)) -> Any:
    """Erase the person's identifying data on request; the de-identified record stays for statistics."""
    out = erasure_flow.erase(actor, case_id, body.reason, engine=engine_of(request))
    return {"case_id": case_id, "person_erased_at": out["erased_at"], **out}


@router.get("/{case_id}/audit", response_model=list[AuditOut], responses=ERRORS)
def case_audit(
    case_id: CaseId,
    request: Request,
    actor: Actor = Depends(AUDITORS),
    limit: int = Query(200, ge=1, le=1000),
) -> Any:
    """The audit trail of one case, newest first (reading it is itself audited)."""
    with transaction(engine_of(request)) as s:
        return service.case_audit(s, actor, case_id, limit=limit)

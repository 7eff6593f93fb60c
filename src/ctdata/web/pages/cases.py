"""The case list (with search) and the case page with its tabs and forms.

Each tab is a partial: the full page includes the selected one (so a link or a
reload works without JavaScript) and HTMX swaps the others in. A form in a tab
posts with the version the caseworker saw; the answer is the re-rendered tab
with either "Saved" or the reason it was not (a stale version, an open gate).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ctdata.cases import assistance, closure, exploitation, journeys, perpetrators, returns, service, transfer
from ctdata.cases.access import AUDIT_READERS, Actor, load_case
from ctdata.cases.common import check_version
from ctdata.errors import CtdataError, NotFound, PermissionDenied, ValidationError
from ctdata.standard import countries, vocab
from ctdata.standard import models as std
from ctdata.text import Day, Join, Text, words_of
from ctdata.web import security
from ctdata.web.i18n import N_
from ctdata.web.pages.common import (
    READERS,
    WORKERS,
    csrf_of,
    error_message,
    error_page,
    field_errors,
    form_of,
    integer,
    is_htmx,
    many,
    run,
    standard_fields,
    status_for,
    text,
    typed_values,
    version_of,
    yes_no,
)
from ctdata.web.pages.render import Message, options, render
from ctdata.web.pages.viewmodels import CaseView, audit_rows, case_view, perpetrator_rows, row_view, sentence

router = APIRouter()

TABS = [
    ("overview", N_("Overview")),
    ("journey", N_("Journey")),
    ("assistance", N_("Assistance")),
    ("perpetrators", N_("Perpetrators")),
    ("return", N_("Return")),
    ("transfers", N_("Transfers")),
    ("consent", N_("Consent")),
    ("audit", N_("Audit trail")),
]
TAB_KEYS = {k for k, _ in TABS}
CASE_NUMBER = re.compile(r"^\s*(?:case\s*)?#?\s*(\d{1,9})\s*$", re.IGNORECASE)


# --- list -------------------------------------------------------------------------------------------


PAGE_SIZE = 50


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """What the case list was asked for, as the query string carries it (filters, order, page)."""

    q: str | None = None
    status: str | None = None
    office: str | None = None
    determination: str | None = None
    registered_from: str | None = None
    registered_to: str | None = None
    year: str | None = None
    voided: str | None = None  # "yes": void cases too (left out by default)
    sort: str = service.DEFAULT_SORT
    page: int = 1

    @classmethod
    def of(cls, params: Mapping[str, str]) -> ListQuery:
        def value(name: str, size: int = 40) -> str | None:
            return (params.get(name) or "").strip()[:size] or None

        page = value("page", 9) or "1"
        return cls(
            q=value("q", 200),
            status=value("status"),
            office=value("office", 2),
            determination=value("determination"),
            registered_from=value("registered_from", 10),
            registered_to=value("registered_to", 10),
            year=value("year", 4),
            voided="yes" if value("voided", 3) == "yes" else None,
            sort=value("sort") or service.DEFAULT_SORT,
            page=max(1, int(page)) if page.isdigit() else 1,
        )

    def url(self, page: int | None = None, path: str = "/cases") -> str:
        """The address of this list (on another page): plain links and HTMX share it."""
        pairs = [(k, v) for k, v in asdict(self).items() if v and k not in ("page", "sort")]
        if self.sort != service.DEFAULT_SORT:
            pairs.append(("sort", self.sort))
        if (page or self.page) > 1:
            pairs.append(("page", str(page or self.page)))
        return f"{path}?{urlencode(pairs)}" if pairs else path


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit():
        raise ValidationError(Text("year: “{text}” is not a year", text=text))
    return int(text)


def _list(session: Session, actor: Actor, lq: ListQuery) -> dict[str, Any]:
    """One page of the list: a case number opens that case; other text searches names (identifying roles)."""
    m = CASE_NUMBER.match(lq.q or "")
    if m:
        try:
            one = service.get_case(session, actor, int(m.group(1)), reason="search by case number")
        except NotFound:
            return {"total": 0, "offset": 0, "items": []}
        items = [one] if lq.status in (None, one["status"]) else []
        return {"total": len(items), "offset": 0, "items": items}
    if lq.q and not actor.identifying:
        raise PermissionDenied(Text("Your role can search by case number only; names are not shown to you."))
    return service.list_cases(
        session,
        actor,
        q=lq.q,
        status=lq.status,
        office_country=lq.office,
        determination=lq.determination,
        registered_from=lq.registered_from,
        registered_to=lq.registered_to,
        registration_year=_year(lq.year),
        include_voided=lq.voided == "yes",
        sort=lq.sort,
        limit=PAGE_SIZE,
        offset=(lq.page - 1) * PAGE_SIZE,
    )


async def _rows_context(request: Request, actor: Actor, lq: ListQuery) -> tuple[dict[str, Any], list[Message]]:
    """The rows, the caption's numbers and the neighbouring pages; a refused filter becomes a message."""
    messages: list[Message] = []
    try:
        listing = await run(request, lambda s: _list(s, actor, lq))
    except (ValidationError, PermissionDenied) as exc:
        listing = {"total": 0, "offset": 0, "items": []}
        messages.append(Message("info", text=words_of(exc)))
    items, total, first = listing["items"], listing["total"], listing["offset"]
    return {
        "cases": [row_view(c, actor.identifying) for c in items],
        "q": lq.q,
        "query": lq,
        "total": total,
        "first": first + 1,
        "last": first + len(items),
        "prev_url": lq.url(lq.page - 1) if lq.page > 1 and first > 0 else None,
        "next_url": lq.url(lq.page + 1) if first + len(items) < total else None,
        "first_url": lq.url(1),
        "rows_url": lambda url: "/cases/rows" + url.removeprefix("/cases"),
    }, messages


@router.get("/cases", response_class=HTMLResponse)
async def case_list(request: Request, actor: Actor = Depends(security.requires(*READERS))) -> HTMLResponse:
    lq = ListQuery.of(request.query_params)
    ctx, messages = await _rows_context(request, actor, lq)
    return render(
        request,
        "pages/cases.html",
        {
            **ctx,
            "can_screen": actor.role in WORKERS,
            "determination_options": options(vocab.DETERMINATION),
            "sort_options": [(k, label) for k, (label, _) in service.SORTS.items()],
        },
        actor=actor,
        csrf=csrf_of(request),
        active="cases",
        messages=messages,
    )


@router.get("/cases/rows", response_class=HTMLResponse)
async def case_rows(request: Request, actor: Actor = Depends(security.requires(*READERS))) -> HTMLResponse:
    """The result table with its caption and page links alone (HTMX search and paging).

    The address bar is set to the list's own address, so a reload or a shared link shows the same page.
    """
    lq = ListQuery.of(request.query_params)
    ctx, messages = await _rows_context(request, actor, lq)
    response = render(request, "pages/_case_rows.html", ctx, actor=actor, csrf=csrf_of(request), messages=messages)
    response.headers["HX-Replace-Url"] = lq.url()
    return response


# --- case page and tabs -----------------------------------------------------------------------------


def _tab_context(session: Session, actor: Actor, case_id: int, tab: str) -> dict[str, Any]:
    data = service.get_case(session, actor, case_id)
    view: CaseView = case_view(data, actor.identifying)
    ctx: dict[str, Any] = {
        "case": view,
        "can_edit": data.get("access") == "write" and data.get("status") != "closed" and not data.get("voided"),
        "can_void": not data.get("voided") and (data.get("access") == "write" or actor.role in closure.VOIDERS),
        "tab": tab,
        "tab_template": f"pages/tabs/{tab}.html",
        "tabs": [{"key": k, "label": label} for k, label in TABS if k != "audit" or actor.role in AUDIT_READERS],
        "tab_messages": [],
        "entries": [],
    }
    if tab == "perpetrators":
        ctx["perpetrators"] = perpetrator_rows(data.get("perpetrators") or [])
    if tab == "audit":
        entries = service.case_audit(session, actor, case_id)
        ctx["entries"] = audit_rows(list(reversed(entries)) if _ascending(entries) else entries, actor.identifying)
    return ctx


def _ascending(entries: list[Any]) -> bool:
    return len(entries) > 1 and entries[0]["id"] < entries[-1]["id"]


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(
    request: Request,
    case_id: int,
    tab: str = "overview",
    registered: int = 0,
    actor: Actor = Depends(security.requires(*READERS)),
) -> HTMLResponse:
    tab = tab if tab in TAB_KEYS else "overview"
    try:
        ctx = await run(request, lambda s: _tab_context(s, actor, case_id, tab))
    except CtdataError as exc:
        return error_page(request, actor, status_for(exc), words_of(exc))
    if registered:
        ctx["tab_messages"] = [
            Message(
                "ok",
                title=Text("{case} registered", case=ctx["case"].ref),
                text=Text("The screening outcome is recorded. Add the journey, assistance and consents in the tabs "
                          "below."),
            )
        ]
    return render(request, "pages/case.html", ctx, actor=actor, csrf=csrf_of(request), active="cases")


@router.get("/cases/{case_id}/tabs/{tab}", response_class=HTMLResponse)
async def case_tab(
    request: Request, case_id: int, tab: str, actor: Actor = Depends(security.requires(*READERS))
) -> HTMLResponse:
    tab = tab if tab in TAB_KEYS else "overview"
    try:
        ctx = await run(request, lambda s: _tab_context(s, actor, case_id, tab))
    except CtdataError as exc:
        return error_page(request, actor, status_for(exc), words_of(exc))
    return render(request, ctx["tab_template"], ctx, actor=actor, csrf=csrf_of(request))


async def _change(
    request: Request, actor: Actor, case_id: int, tab: str, change: Callable[[Session, FormData], str]
) -> Response:
    """Apply one change and answer with the tab: 'Saved' or why not (the change is rolled back)."""
    form = await form_of(request)
    messages: list[Message] = []
    status_code = 200
    refused: dict[str, Any] = {}
    try:
        done = await run(request, lambda s: change(s, form))
        messages.append(Message("ok", text=done))
    except CtdataError as exc:
        if isinstance(exc, NotFound | PermissionDenied) and "case" in str(exc):
            return error_page(request, actor, status_for(exc), words_of(exc))
        messages.append(_refusal(exc))
        status_code = status_for(exc)
        # nothing typed is lost: the form comes back with its values, the faulty fields marked
        refused = {"values": typed_values(form), "field_errors": field_errors(exc)}
    try:
        ctx = await run(request, lambda s: _tab_context(s, actor, case_id, tab))
    except CtdataError as exc:
        return error_page(request, actor, status_for(exc), words_of(exc))
    ctx.update(refused)
    ctx["tab_messages"] = messages
    if is_htmx(request):
        return render(request, ctx["tab_template"], ctx, actor=actor, csrf=csrf_of(request), status_code=status_code)
    return render(
        request,
        "pages/case.html",
        ctx,
        actor=actor,
        csrf=csrf_of(request),
        active="cases",
        status_code=status_code,
    )


def _refusal(exc: CtdataError) -> Message:
    """Open return gates get a list, one gate a line; other refusals one clear line."""
    msg = str(exc)
    said = words_of(exc)
    marker = "cannot be marked travelled while gates are open: "
    if marker in msg:
        gates_said = getattr(said, "params", {}).get("gates")
        parts = gates_said.parts if isinstance(gates_said, Join) else msg.split(marker, 1)[1].split(";")
        gates = [sentence(g.strip() if not isinstance(g, Text) else g) for g in parts if g.strip()]
        return Message("bad", title=Text("Not marked travelled: these checks are still open"), items=gates)
    message = error_message(exc)
    if "not consented to share" in msg:
        message.title = Text("Not sent: the person has not agreed to share their case with that office")
        message.text = Text("Record their consent to share with that office first, then send the transfer again.")
        message.link = ("?tab=consent", Text("Record a consent to share"))
    return message


def _country(form: FormData, name: str) -> str | None:
    return text(form, name)


@router.post("/cases/{case_id}/recruitment", response_class=HTMLResponse)
async def set_recruitment(
    request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS))
) -> Response:
    """How the person was recruited and what was promised (the exploitation service's recruitment fields).

    The lists and the sector are the form's whole answer (nothing ticked clears them); the job promised
    is changed only when typed, as the form does not show the stored words to roles that may not read them.
    """
    def change(s: Session, form: FormData) -> str:
        fields: dict[str, Any] = {
            "recruitment_tactics": many(form, "recruitment_tactics"),
            "recruiter_relation": many(form, "recruiter_relation"),
            "promised_sector": text(form, "promised_sector"),
        }
        if text(form, "promised_job") is not None:
            fields["promised_job"] = text(form, "promised_job")
        exploitation.set_exploitation(s, actor, case_id, fields, expected_version=version_of(form))
        return Text("Recruitment details saved.")

    return await _change(request, actor, case_id, "overview", change)


@router.post("/cases/{case_id}/journey", response_class=HTMLResponse)
async def add_leg(request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS))) -> Response:
    def change(s: Session, form: FormData) -> str:
        fields = standard_fields(form, std.JourneyLeg)
        leg = journeys.add_leg(s, actor, case_id, fields, expected_version=version_of(form))
        return Text("Step {number} of the journey added.", number=leg.leg_number)

    return await _change(request, actor, case_id, "journey", change)


@router.post("/cases/{case_id}/assistance", response_class=HTMLResponse)
async def add_assistance(
    request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS))
) -> Response:
    def change(s: Session, form: FormData) -> str:
        fields = standard_fields(form, std.Assistance)
        row = assistance.add_assistance(s, actor, case_id, fields, expected_version=version_of(form))
        return Text("Assistance recorded: {kind}.", kind=Text(vocab.ASSISTANCE_TYPES.label(row.assistance_type)))

    return await _change(request, actor, case_id, "assistance", change)


@router.post("/cases/{case_id}/perpetrators", response_class=HTMLResponse)
async def add_perpetrator(
    request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS))
) -> Response:
    def change(s: Session, form: FormData) -> str:
        fields = standard_fields(form, std.Perpetrator)
        perpetrators.add_perpetrator(s, actor, case_id, fields, expected_version=version_of(form))
        return Text("Perpetrator recorded.")

    return await _change(request, actor, case_id, "perpetrators", change)


def _case_version(s: Session, actor: Actor, case_id: int, form: FormData, action: str) -> None:
    """Services without a version argument: refuse a stale form here, before changing anything."""
    case, _ = load_case(s, actor, case_id, write=True, action=action)
    check_version(case, version_of(form))


@router.post("/cases/{case_id}/return", response_class=HTMLResponse)
async def request_return(
    request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS))
) -> Response:
    def change(s: Session, form: FormData) -> str:
        _case_version(s, actor, case_id, form, "return.create")
        returns.open_return(
            s,
            actor,
            case_id,
            {
                "requested_date": text(form, "requested_date"),
                "receiving_office_country": _country(form, "receiving_office_country"),
            },
        )
        return Text("Return requested. Record the checks below before travel.")

    return await _change(request, actor, case_id, "return", change)


def _return_id(form: FormData) -> int:
    rid = integer(form, "return_id", Text("the return"))
    if rid is None:
        raise ValidationError(Text("the form does not say which return; reload the case and try again"))
    return rid


GATE_FIELDS = (
    "consent_written",
    "best_interest_determination",
    "guardian_willing",
    "guardian_able",
    "reintegration_plan",
)


@router.post("/cases/{case_id}/return/gates", response_class=HTMLResponse)
async def return_gates(request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS))) -> Response:
    def change(s: Session, form: FormData) -> str:
        changes: dict[str, Any] = {}
        for name in GATE_FIELDS:
            if name in form:
                changes[name] = yes_no(form, name)
        for name in ("risk_level", "risk_mitigations", "bid_authority", "receiving_office_country",
                     "follow_up_date", "reintegration_status"):
            if name in form:
                changes[name] = text(form, name)
        if "is_child" in form:
            changes["is_child"] = yes_no(form, "is_child")
        r = returns.update_return(s, actor, case_id, _return_id(form), changes, version_of(form))
        left = returns.open_gates(r)
        if not left:
            return Text("Checks saved. All checks are met: the return can be marked travelled.")
        if len(left) == 1:
            return Text("Checks saved. 1 check still open.")
        return Text("Checks saved. {count} checks still open.", count=len(left))

    return await _change(request, actor, case_id, "return", change)


@router.post("/cases/{case_id}/return/travelled", response_class=HTMLResponse)
async def return_travelled(
    request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS))
) -> Response:
    def change(s: Session, form: FormData) -> str:
        r = returns.mark_travelled(s, actor, case_id, _return_id(form), text(form, "travel_date"), version_of(form))
        if r.travel_date:
            return Text("Return marked travelled on {day}.", day=Day(r.travel_date))
        return Text("Return marked travelled.")

    return await _change(request, actor, case_id, "return", change)


def _organisation(agency: str | None, country: str | None) -> str | None:
    """'IOM Thailand' when the country's name reads back to its code, else 'IOM TH'."""
    if not country:
        return agency
    name = countries.name(country)
    try:
        label = name if countries.to_alpha2(name) == country else country
    except ValueError:
        label = country
    return f"{agency} {label}" if agency else label


@router.post("/cases/{case_id}/consents", response_class=HTMLResponse)
async def add_consent(request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS))) -> Response:
    def change(s: Session, form: FormData) -> str:
        _case_version(s, actor, case_id, form, "consent.create")
        kind = text(form, "kind")
        organisation = text(form, "organisation")
        if kind == "sharing":
            organisation = _organisation(organisation, text(form, "office_country"))
        transfer.record_consent(
            s,
            actor,
            case_id,
            {
                "kind": kind,
                "organisation": organisation,
                "given": bool(yes_no(form, "given")),
                "date": text(form, "date"),
                "document_ref": text(form, "document_ref"),
            },
        )
        return Text("Consent recorded.")

    return await _change(request, actor, case_id, "consent", change)


@router.post("/cases/{case_id}/transfers", response_class=HTMLResponse)
async def request_transfer(
    request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS))
) -> Response:
    def change(s: Session, form: FormData) -> str:
        _case_version(s, actor, case_id, form, "transfer.create")
        t = transfer.request_transfer(
            s,
            actor,
            case_id,
            {
                "to_office_country": _country(form, "to_office_country"),
                "to_agency": text(form, "to_agency"),
                "reason": text(form, "reason"),
            },
        )
        return Text(
            "Transfer sent to the {agency} office in {country}. It waits for that office to accept it.",
            agency=t.to_agency, country=countries.in_sentence(t.to_office_country),
        )

    return await _change(request, actor, case_id, "transfers", change)


@router.post("/cases/{case_id}/void", response_class=HTMLResponse)
async def void_case(
    request: Request, case_id: int, actor: Actor = Depends(security.requires(*WORKERS, *closure.VOIDERS))
) -> Response:
    def change(s: Session, form: FormData) -> str:
        closure.void_case(s, actor, case_id, text(form, "reason") or "", expected_version=version_of(form))
        return Text("The case is void: it is left out of lists, figures and reports.")

    return await _change(request, actor, case_id, "overview", change)

"""The screening form: live Protocol Art. 3 determination while typing, then "Register case".

The live outcome comes from the pure engine (`ctdata.screening.determine`) and
stores nothing; registering goes through the case services (register the person
and case, record the screening, the country of exploitation) in one transaction,
so a refusal leaves no half-registered case behind.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ctdata.cases import exploitation, screening, service
from ctdata.cases.access import Actor
from ctdata.errors import CtdataError
from ctdata.screening import ScreeningInput, determine
from ctdata.standard import models as std
from ctdata.web import security
from ctdata.web.pages.common import (
    WORKERS,
    csrf_of,
    error_message,
    form_of,
    integer,
    many,
    run,
    standard_fields,
    text,
    yes_no,
)
from ctdata.web.pages.render import Message, render
from ctdata.web.pages.viewmodels import HELP, determination_view

router = APIRouter()

FORM_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "citizenship",
    "age_at_exploitation",
    "registration_date",
    "country_of_exploitation",
    "notes",
)
CHOICE_FIELDS = ("actions", "means", "purposes", "vulnerabilities")


def _form_values(form: FormData | None) -> dict[str, Any]:
    """What the form shows (echoed back after a refusal so nothing typed is lost)."""
    values: dict[str, Any] = {k: None for k in FORM_FIELDS}
    values.update({k: [] for k in CHOICE_FIELDS})
    values["registration_date"] = date.today().isoformat()
    values["consent_assistance"] = False
    values["consent_research"] = False
    if form is not None:
        for k in FORM_FIELDS:
            values[k] = text(form, k)
        for k in CHOICE_FIELDS:
            values[k] = many(form, k)
        values["consent_assistance"] = bool(yes_no(form, "consent_assistance"))
        values["consent_research"] = bool(yes_no(form, "consent_research"))
    return values


def engine_input(form: FormData) -> ScreeningInput:
    return ScreeningInput.parse(
        {
            "actions": many(form, "actions"),
            "means": many(form, "means"),
            "purposes": many(form, "purposes"),
            "vulnerabilities": many(form, "vulnerabilities"),
            "age_at_exploitation": integer(form, "age_at_exploitation", "the age when the exploitation began"),
        }
    )


def _page(
    request: Request,
    actor: Actor,
    form: FormData | None,
    *,
    messages: list[Message] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    det, problem = None, None
    try:
        det = determination_view(determine(engine_input(form) if form is not None else ScreeningInput()))
    except CtdataError as exc:
        problem = str(exc)
    return render(
        request,
        "pages/screening.html",
        {"form": _form_values(form), "help": HELP, "det": det, "problem": problem, "oob": False},
        actor=actor,
        csrf=csrf_of(request),
        active="screening",
        messages=messages,
        status_code=status_code,
    )


@router.get("/screening", response_class=HTMLResponse)
async def screening_form(request: Request, actor: Actor = Depends(security.requires(*WORKERS))) -> HTMLResponse:
    return _page(request, actor, None)


@router.post("/screening/determine", response_class=HTMLResponse)
async def live_determination(request: Request, actor: Actor = Depends(security.requires(*WORKERS))) -> HTMLResponse:
    """The outcome panel for what the form holds now (HTMX, on every change); stores nothing."""
    form = await form_of(request)
    det, problem = None, None
    try:
        det = determination_view(determine(engine_input(form)))
    except CtdataError as exc:
        problem = str(exc)
    return render(
        request,
        "pages/_determination.html",
        {"det": det, "problem": problem, "oob": True},
        actor=actor,
        csrf=csrf_of(request),
    )


@router.post("/screening/register", response_class=HTMLResponse)
async def register(request: Request, actor: Actor = Depends(security.requires(*WORKERS))) -> Response:
    form = await form_of(request)
    try:
        inp = engine_input(form)
        person = standard_fields(form, std.Person)
        case = {
            "office_country": actor.office_country,
            "registration_date": text(form, "registration_date") or date.today().isoformat(),
            "consent": {
                "assistance": yes_no(form, "consent_assistance"),
                "research": yes_no(form, "consent_research"),
            },
        }
        if actor.agency:
            case["agency"] = actor.agency
        where = text(form, "country_of_exploitation")
        notes = text(form, "notes")

        def work(session) -> int:  # type: ignore[no-untyped-def]
            rec = service.register_case(session, actor, person, case)
            result = screening.screen(session, actor, rec.id, {**inp.model_dump(), "notes": notes})
            if where:
                exploitation.set_exploitation(
                    session,
                    actor,
                    rec.id,
                    {"country_of_exploitation": where},
                    expected_version=result["case_version"],
                )
            return rec.id

        case_id = await run(request, work)
    except CtdataError as exc:
        return _page(request, actor, form, messages=[error_message(exc)], status_code=422)
    return RedirectResponse(f"/cases/{case_id}?registered=1", status_code=303)

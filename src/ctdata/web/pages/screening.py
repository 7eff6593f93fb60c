"""The screening form: live Protocol Art. 3 determination while typing, then "Register case".

The live outcome comes from the pure engine (`ctdata.screening.determine`) and
stores nothing; registering calls `cases.screening.register_screened` (register the
person and case, record the screening and write its findings into the case: types,
country of exploitation, consents) in one transaction, so a refusal leaves no
half-registered case behind.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ctdata.cases import screening
from ctdata.cases.access import Actor
from ctdata.cases.common import validate
from ctdata.errors import CtdataError, ValidationError
from ctdata.screening import ScreeningInput, explain
from ctdata.standard import models as std
from ctdata.text import Text, words_of
from ctdata.web import security
from ctdata.web.pages.common import (
    WORKERS,
    csrf_of,
    error_message,
    field_errors,
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
    "place_of_birth",
    "sex",
    "citizenship",
    "age_at_exploitation",
    "registration_date",
    "country_of_exploitation",
    "notes",
    "consent_sharing",
)
CHOICE_FIELDS = ("actions", "means", "purposes", "vulnerabilities")
#: How many perpetrator blocks the form offers (blank ones are ignored); more are recorded on the case page.
PERPETRATOR_BLOCKS = 2
#: The perpetrator fields the form ticks (several values); the others are one value each.
PERPETRATOR_CHOICES = ("roles", "means_of_control")


def _block_prefix(i: int) -> str:
    """The names of block i's fields: "p1-sex" is the first person's sex."""
    return f"p{i}-"


def _block(form: FormData, i: int) -> FormData:
    """Block i's fields under the standard's names (what `standard_fields` reads)."""
    prefix = _block_prefix(i)
    return FormData([(k.removeprefix(prefix), v) for k, v in form.multi_items() if k.startswith(prefix)])


def perpetrators_of(form: FormData) -> list[dict[str, Any]]:
    """The perpetrators the form describes, as the service's `perpetrators` (standard Perpetrator fields).

    A block left blank is no one. Each block is checked by the standard's own model (its one-person
    rule included, `std.perpetrator_problem`) so a refusal names the block's field ("p2-sex") and the
    form can say so beside it; the service checks them again before writing anything.
    """
    found: list[dict[str, Any]] = []
    problems: dict[str, str] = {}
    first: str | None = None
    for i in range(1, PERPETRATOR_BLOCKS + 1):
        fields = standard_fields(_block(form, i), std.Perpetrator)
        if not fields:
            continue
        try:
            validate(std.Perpetrator, fields, f"perpetrator {i}")
        except ValidationError as exc:
            first = first or str(exc)
            for where, problem in (exc.fields or {"value": str(exc)}).items():
                problems.setdefault(_block_prefix(i) + where, problem)
            continue
        found.append(fields)
    if problems:
        raise ValidationError(first or "perpetrator: invalid", fields=problems)
    return found


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
    blocks = [_block(form, i) if form is not None else FormData() for i in range(1, PERPETRATOR_BLOCKS + 1)]
    values["perpetrators"] = [
        {name: many(b, name) if name in PERPETRATOR_CHOICES else text(b, name) for name in std.Perpetrator.model_fields}
        for b in blocks
    ]
    return values


def sharing_of(value: str | None) -> list[str]:
    """Organisations typed one per line (or separated by semicolons) -> their names."""
    return [name.strip() for line in (value or "").splitlines() for name in line.split(";") if name.strip()]


def engine_input(form: FormData) -> ScreeningInput:
    return ScreeningInput.parse(
        {
            "actions": many(form, "actions"),
            "means": many(form, "means"),
            "purposes": many(form, "purposes"),
            "vulnerabilities": many(form, "vulnerabilities"),
            "age_at_exploitation": integer(form, "age_at_exploitation", Text("the age when the exploitation began")),
        }
    )


def _page(
    request: Request,
    actor: Actor,
    form: FormData | None,
    *,
    messages: list[Message] | None = None,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    confirm: list[str] | None = None,
) -> HTMLResponse:
    det, problem = None, None
    try:
        det = determination_view(*explain(engine_input(form) if form is not None else ScreeningInput()))
    except CtdataError as exc:
        problem = next(iter(exc.fields.values())) if getattr(exc, "fields", None) else words_of(exc)
    return render(
        request,
        "pages/screening.html",
        {
            "form": _form_values(form),
            "help": HELP,
            "det": det,
            "problem": problem,
            "oob": False,
            "field_errors": errors or {},
            "confirm_gaps": confirm or [],
        },
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
        det = determination_view(*explain(engine_input(form)))
    except CtdataError as exc:
        problem = next(iter(exc.fields.values())) if getattr(exc, "fields", None) else words_of(exc)
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
        case: dict[str, Any] = {
            "office_country": actor.office_country,
            "registration_date": text(form, "registration_date") or date.today().isoformat(),
        }
        if actor.agency:
            case["agency"] = actor.agency
        findings = {
            **inp.model_dump(),
            "notes": text(form, "notes"),
            "country_of_exploitation": text(form, "country_of_exploitation"),
            "consent": {
                "assistance": yes_no(form, "consent_assistance"),
                "research": yes_no(form, "consent_research"),
                "sharing": sharing_of(text(form, "consent_sharing")),
            },
            "perpetrators": perpetrators_of(form),
        }

        confirmed = bool(yes_no(form, "confirm_blank"))
        draft_id = text(form, "draft_id")  # an offline draft's own id (see pages/offline.py)

        def work(session) -> int:  # type: ignore[no-untyped-def]
            return screening.register_screened(session, actor, person, case, findings, confirmed=confirmed,
                                               draft_id=draft_id)["case_id"]

        case_id = await run(request, work)
    except screening.UnconfirmedBlank as exc:
        ask = Message("warn", title=Text("Register this case?"), text=Text("Nothing was registered yet."),
                      items=exc.gaps)
        return _page(request, actor, form, messages=[ask], status_code=409, confirm=exc.gaps)
    except CtdataError as exc:
        return _page(request, actor, form, messages=[error_message(exc)], status_code=422, errors=field_errors(exc))
    return RedirectResponse(f"/cases/{case_id}?registered=1", status_code=303)

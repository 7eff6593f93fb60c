"""The transfer inbox: cases other offices hand over to the actor's office, to accept or reject."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ctdata.cases import transfer
from ctdata.cases.access import Actor, same_office
from ctdata.errors import CtdataError
from ctdata.text import Text
from ctdata.web import security
from ctdata.web.pages.common import WORKERS, csrf_of, error_message, form_of, is_htmx, run, status_for, text
from ctdata.web.pages.render import Message, office_label, render
from ctdata.web.pages.viewmodels import _when, case_ref

router = APIRouter()


def _incoming(session: Session, actor: Actor) -> list[dict[str, Any]]:
    rows = transfer.list_transfers(session, actor, status="pending")
    mine = [t for t in rows if actor.role == "admin" or same_office(actor, t["to_office_country"], t["to_agency"])]
    return [
        {
            "id": t["id"],
            "case_id": t["case_id"],
            "case_ref": case_ref(t["case_id"]),
            "from_text": office_label(t["from_office_country"], t["from_agency"]),
            "to_text": office_label(t["to_office_country"], t["to_agency"]),
            "created_text": _when(t.get("created_at")),
            "requested_by": t.get("requested_by"),
            "reason": t.get("reason"),
        }
        for t in mine
    ]


def _inbox(
    request: Request,
    actor: Actor,
    items: list[dict[str, Any]],
    messages: list[Message],
    status_code: int = 200,
) -> HTMLResponse:
    ctx = {"transfers": items, "inbox_messages": messages}
    template = "pages/_inbox_list.html" if is_htmx(request) else "pages/inbox.html"
    return render(request, template, ctx, actor=actor, csrf=csrf_of(request), active="inbox", status_code=status_code)


@router.get("/transfers/inbox", response_class=HTMLResponse)
async def inbox(request: Request, actor: Actor = Depends(security.requires(*WORKERS))) -> HTMLResponse:
    items = await run(request, lambda s: _incoming(s, actor))
    return _inbox(request, actor, items, [])


async def _decide(request: Request, actor: Actor, transfer_id: int, accept: bool) -> Response:
    form = await form_of(request)
    reason = text(form, "reason")
    messages: list[Message] = []
    status_code = 200
    try:

        def work(s: Session) -> Any:
            if accept:
                return transfer.accept_transfer(s, actor, transfer_id)
            return transfer.reject_transfer(s, actor, transfer_id, reason or "")

        t = await run(request, work)
        ref = case_ref(t.case_id)
        if accept:
            messages.append(
                Message(
                    "ok",
                    title=Text("{case} accepted", case=ref),
                    text=Text("The case is now with your office."),
                    link=(f"/cases/{t.case_id}", Text("Open {case}", case=ref)),
                )
            )
        else:
            messages.append(
                Message(
                    "ok",
                    title=Text("{case} rejected", case=ref),
                    text=Text("The sending office keeps the case and sees your reason."),
                )
            )
    except CtdataError as exc:
        messages.append(error_message(exc))
        status_code = status_for(exc)
    items = await run(request, lambda s: _incoming(s, actor))
    return _inbox(request, actor, items, messages, status_code)


@router.post("/transfers/{transfer_id}/accept", response_class=HTMLResponse)
async def accept(request: Request, transfer_id: int, actor: Actor = Depends(security.requires(*WORKERS))) -> Response:
    return await _decide(request, actor, transfer_id, accept=True)


@router.post("/transfers/{transfer_id}/reject", response_class=HTMLResponse)
async def reject(request: Request, transfer_id: int, actor: Actor = Depends(security.requires(*WORKERS))) -> Response:
    return await _decide(request, actor, transfer_id, accept=False)

"""Releases in the browser: create a k-anonymised draft, approve it (four eyes), withdraw it.

The rules are `publish.flows`' (who may create, approve or withdraw; the approver must not be
the creator, checked by `publish.releases.ReleaseRegistry.approve` for the signed-in user),
so this page only lists the registry and posts the signed-in actor's decision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ctdata.cases.access import Actor
from ctdata.errors import CtdataError
from ctdata.publish import flows
from ctdata.publish.releases import approval_refusal
from ctdata.text import Text
from ctdata.web import security
from ctdata.web.pages.common import (
    csrf_of,
    done_of,
    error_message,
    form_of,
    integer,
    see_other,
    shown,
    status_for,
    text,
)
from ctdata.web.pages.render import Message, render

router = APIRouter()
READERS = flows.CREATE_ROLES
STATE_KIND = {"draft": "warn", "approved": "ok", "withdrawn": "bad"}


def _entries(actor: Actor) -> list[dict[str, Any]]:
    from ctdata.publish.source import registry

    out = []
    for e in sorted(registry().list(), key=lambda e: e.created, reverse=True):
        out.append({
            **vars(e),
            "state_kind": STATE_KIND.get(e.state, "info"),
            # the page offers approval to roles that may approve, other than the creator; the flow decides
            "can_approve": actor.role in flows.APPROVE_ROLES and approval_refusal(e, actor.username) is None,
            "own_draft": e.state == "draft" and e.created_by == actor.username,
            "can_withdraw": e.state == "approved" and actor.role in flows.WITHDRAW_ROLES,
        })
    return out


async def _page(request: Request, actor: Actor, messages: list[Message], status_code: int = 200,
                ctx: dict[str, Any] | None = None) -> HTMLResponse:
    entries = await run_in_threadpool(_entries, actor)
    return render(request, "pages/releases.html", {"releases": entries, **(ctx or {})}, actor=actor,
                  csrf=csrf_of(request), active="releases", messages=messages, status_code=status_code)


@router.get("/data/releases", response_class=HTMLResponse)
async def releases(request: Request, actor: Actor = Depends(security.requires(*READERS))) -> Response:
    messages, _ = done_of(request)  # after a decision (post, then redirect: a reload does not repeat it)
    return shown(request, await _page(request, actor, messages))


async def _act(request: Request, actor: Actor, work: Callable[[], str]) -> Response:
    """Run a decision: a refusal is shown on the page with what was typed; done, the browser is sent back
    to the list with what was done (post, then redirect: a reload posts nothing again)."""
    try:
        done = await run_in_threadpool(work)
    except CtdataError as exc:
        fields = {k: v[:1].upper() + v[1:] for k, v in getattr(exc, "fields", {}).items()}
        return await _page(request, actor, [error_message(exc)], status_for(exc), {"field_errors": fields})
    return see_other(request, "/data/releases", Message("ok", title=Text("Done"), text=done))


@router.post("/data/releases", response_class=HTMLResponse, response_model=None)
async def create(request: Request,
                 actor: Actor = Depends(security.requires(*READERS))) -> Response:
    form = await form_of(request)

    def work() -> str:
        from ctdata.publish.settings import KAnonSettings

        k = integer(form, "k", Text("k (the smallest group size)"))
        entry, _ = flows.create_release(actor, KAnonSettings(k=k) if k is not None else KAnonSettings())
        return Text("Draft {release} created ({rows} records). Another data manager must approve it before it "
                    "is public.", release=entry.release_id, rows=entry.rows)

    return await _act(request, actor, work)


@router.post("/data/releases/{release_id}/approve", response_class=HTMLResponse, response_model=None)
async def approve(request: Request, release_id: str,
                  actor: Actor = Depends(security.requires(*flows.APPROVE_ROLES))) -> Response:
    def work() -> str:
        entry = flows.approve_release(actor, release_id)
        return Text("{release} is approved and public.", release=entry.release_id)

    return await _act(request, actor, work)


@router.post("/data/releases/{release_id}/withdraw", response_class=HTMLResponse, response_model=None)
async def withdraw(request: Request, release_id: str,
                   actor: Actor = Depends(security.requires(*flows.WITHDRAW_ROLES))) -> Response:
    form = await form_of(request)

    def work() -> str:
        entry = flows.withdraw_release(actor, release_id, text(form, "reason") or "")
        return Text("{release} is withdrawn: it is no longer on the public list.", release=entry.release_id)

    return await _act(request, actor, work)

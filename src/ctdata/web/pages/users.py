"""User administration for admins: add an account, disable or enable one, reset its password, end its sessions.

Each action is one call of the account services in cases.users, which check the
role and write the audit entry; this module only renders and reads the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ctdata.cases import users
from ctdata.cases.access import Actor
from ctdata.errors import CtdataError
from ctdata.text import Terms, Text
from ctdata.web import security
from ctdata.web.pages.common import csrf_of, done_of, error_message, form_of, run, see_other, shown, status_for
from ctdata.web.pages.render import ROLE_LABELS, Message, office_label, render
from ctdata.web.pages.viewmodels import _when

router = APIRouter()
ADMIN = security.requires("admin")


def _rows(session: Session, actor: Actor) -> list[dict[str, Any]]:
    return [
        {
            "username": u["username"],
            "role_label": Text(ROLE_LABELS.get(u["role"], u["role"])),  # in the page's language
            "office_text": office_label(u["office_country"], u["agency"]) if u["agency"] else "",
            "active": u["active"],
            "locked_text": _when(u["locked_until"]) if u["locked_until"] else "",
            "is_me": u["username"] == actor.username,
        }
        for u in users.list_users(session, actor)
    ]


async def _page(
    request: Request, actor: Actor, messages: list[Message], status_code: int = 200, typed: dict[str, Any] | None = None
) -> HTMLResponse:
    rows = await run(request, lambda s: _rows(s, actor))
    return render(
        request,
        "pages/users.html",
        {"users": rows, "user_messages": messages, "values": typed or {},
         "role_options": [(k, Text(v)) for k, v in ROLE_LABELS.items()]},
        actor=actor,
        csrf=csrf_of(request),
        active="users",
        status_code=status_code,
    )


@router.get("/admin/users", response_class=HTMLResponse)
async def user_list(request: Request, actor: Actor = Depends(ADMIN)) -> Response:
    messages, _ = done_of(request)  # after an account action (post, then redirect)
    return shown(request, await _page(request, actor, messages))


async def _act(request: Request, actor: Actor, work: Callable[[Session], str]) -> Response:
    """Run an account action: refused, the page says why; done, the browser is sent back to the list with
    what was done (post, then redirect: a reload does not repeat it)."""
    try:
        done = await run(request, work)
    except CtdataError as exc:
        return await _page(request, actor, [error_message(exc)], status_for(exc))
    return see_other(request, "/admin/users", Message("ok", title=Text("Done"), text=done))


#: an account action: (session, admin, username) -> the line shown when it is done
AccountAction = Callable[[Session, Actor, str], str]


def _set_active(active: bool) -> AccountAction:
    def action(s: Session, actor: Actor, username: str) -> str:
        users.set_active(s, actor, username, active)
        if active:
            return Text("{user} is enabled again.", user=username)
        return Text("{user} is disabled: it cannot sign in, and its sessions have ended.", user=username)

    return action


def _end_sessions(s: Session, actor: Actor, username: str) -> str:
    n = users.end_sessions(s, actor, username)
    if n == 1:
        return Text("1 session of {user} ended.", user=username)
    return Text("{count} sessions of {user} ended.", count=n, user=username)


def _account_route(path: str, action: AccountAction) -> None:
    """POST /admin/users/{username}/<path>: run ``action`` for an admin and show the page with its outcome."""

    async def endpoint(request: Request, username: str, actor: Actor = Depends(ADMIN)) -> Response:
        return await _act(request, actor, lambda s: action(s, actor, username))

    endpoint.__name__ = path.replace("-", "_")
    router.post(f"/admin/users/{{username}}/{path}", response_class=HTMLResponse, response_model=None)(endpoint)


_account_route("disable", _set_active(False))
_account_route("enable", _set_active(True))
_account_route("end-sessions", _end_sessions)


@router.post("/admin/users/{username}/reset-password", response_class=HTMLResponse, response_model=None)
async def reset_password(request: Request, username: str, actor: Actor = Depends(ADMIN)) -> Response:
    form = await form_of(request)
    password = form.get("password")
    password = password if isinstance(password, str) else ""

    def work(s: Session) -> str:
        users.reset_password(s, actor, username, password)
        return Text("The password of {user} is reset and its sessions have ended. Give the new password in person.",
                    user=username)

    return await _act(request, actor, work)


@router.post("/admin/users", response_class=HTMLResponse, response_model=None)
async def add_user(request: Request, actor: Actor = Depends(ADMIN)) -> Response:
    """Add an account (cases.users.create_user checks the role, the name, the password and the office)."""
    form = await form_of(request)

    def value(name: str) -> str | None:
        v = form.get(name)
        return v.strip() or None if isinstance(v, str) else None

    def work(s: Session) -> str:
        password = form.get("password")
        u = users.create_user(
            s, actor, value("username") or "", password if isinstance(password, str) else "",
            value("role") or "", value("office_country"), value("agency"),
        )
        return Text("{user} is added as {role}. Give the password in person.", user=u.username,
                    role=Terms([ROLE_LABELS.get(u.role, u.role)]))

    try:
        done = await run(request, work)
    except CtdataError as exc:
        typed = {k: value(k) for k in ("username", "role", "office_country", "agency")}
        return await _page(request, actor, [error_message(exc)], status_for(exc), typed)
    return see_other(request, "/admin/users", Message("ok", title=Text("Done"), text=done))

"""Sign in and sign out.

The login form has no session yet, so its CSRF protection is a double-submit
token: a random value in a short-lived SameSite=Strict cookie that the form must
echo. Signing out is an ordinary authenticated POST (session CSRF token).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ctdata.cases.access import Actor, NotAuthenticated, TooManyAttempts
from ctdata.web import security
from ctdata.web.pages.common import READERS, form_of, text
from ctdata.web.pages.render import Message, render

router = APIRouter()
LOGIN_CSRF_COOKIE = "ctdata_login_csrf"


def safe_next(value: str | None) -> str:
    """Only same-site paths; anything else (//evil, https://...) goes to the case list."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/cases"
    return value


def _login_page(
    request: Request,
    *,
    username: str = "",
    next_: str = "/cases",
    message: Message | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "pages/login.html",
        {"username": username, "next": next_},
        csrf=token,
        messages=[message] if message else [],
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=1800,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login", dependencies=[Depends(security.public_route())], response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002
    return _login_page(request, next_=safe_next(next))


@router.post("/login", dependencies=[Depends(security.public_route())], response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await form_of(request)
    username = text(form, "username") or ""
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    next_ = safe_next(text(form, "next"))
    sent, expected = text(form, "csrf_token") or "", request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not expected or not hmac.compare_digest(sent, expected):
        return _login_page(
            request,
            username=username,
            next_=next_,
            status_code=403,
            message=Message(
                "bad",
                title="Please try again",
                text="The sign-in form had expired. Enter your details again.",
            ),
        )
    try:
        from ctdata.web.auth import login_user  # imported here: ctdata.web.auth loads the API package

        new = await run_in_threadpool(login_user, request, username, password)
    except TooManyAttempts as exc:
        return _login_page(
            request,
            username=username,
            next_=next_,
            status_code=429,
            message=Message("bad", title="Too many attempts", text=str(exc).capitalize() + "."),
        )
    except NotAuthenticated as exc:
        return _login_page(
            request,
            username=username,
            next_=next_,
            status_code=401,
            message=Message("bad", title="Could not sign in", text=str(exc).capitalize() + "."),
        )
    response = RedirectResponse(next_, status_code=303)
    security.set_session_cookie(response, request, new)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", response_class=HTMLResponse)
async def logout(request: Request, actor: Actor = Depends(security.requires(*READERS))) -> Response:
    response = RedirectResponse("/login", status_code=303)
    from ctdata.web.auth import logout_user

    await run_in_threadpool(logout_user, request, response)
    return response


def login_redirect(request: Request) -> Response:
    """Where an unauthenticated page request goes: the login page, coming back afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or request.headers.get("hx-request") == "true":
        target = "/cases"
    location = f"/login?next={quote(target, safe='/')}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": location})  # type: ignore[return-value]
    return RedirectResponse(location, status_code=303)

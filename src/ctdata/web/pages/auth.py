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
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from ctdata.cases import users
from ctdata.cases.access import NotAuthenticated, TooManyAttempts
from ctdata.text import Sentence, Text, words_of
from ctdata.web import i18n, security
from ctdata.web.pages.common import error_page, form_of, run, text
from ctdata.web.pages.render import Message, render

router = APIRouter()
LOGIN_CSRF_COOKIE = "ctdata_login_csrf"


def safe_next(value: str | None) -> str:
    """Only same-site paths; anything else (//evil, https://...) goes to the case list."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/cases"
    return value


def page_to_return_to(app: object, target: str) -> str:
    """The nearest page a browser can open for `target`: the page itself (with its query), else the nearest
    address above it that is one. A refused form is shown at its POST address (/screening/register,
    /cases/7/journey); going back there with GET would answer "not allowed", so the language switch
    goes to the form's page (/screening, /cases/7) instead, and to the case list when nothing above is."""
    path, sep, query = target.partition("?")
    path = path.rstrip("/")
    if not path:  # the portal's home page
        return "/" + sep + query
    parts = path.split("/")
    while len(parts) > 1:
        candidate = "/".join(parts)
        scope = {"type": "http", "path": candidate, "method": "GET", "root_path": ""}
        if any(route.matches(scope)[0] == Match.FULL for route in app.router.routes):  # type: ignore[attr-defined]
            return candidate + (sep + query if candidate == path else "")
        parts.pop()
    return "/cases"


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
async def login_form(request: Request, next: str | None = None,  # noqa: A002
                     ended: str | None = None) -> HTMLResponse:
    message = None
    if ended:  # sent here by a page whose session had ended (`login_redirect`)
        message = Message("info", title=Text("Your session has ended"),
                          text=Text("For the safety of the case records, sessions end after a while. Sign in again "
                                    "to go back to the page you were on."))
    return _login_page(request, next_=safe_next(next), message=message)


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
            status_code=400,
            message=Message(
                "bad",
                title=Text("Please try again"),
                text=Text("The sign-in form had expired. Enter your details again."),
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
            message=Message("bad", title=Text("Too many attempts"), text=Sentence(words_of(exc))),
        )
    except NotAuthenticated as exc:
        return _login_page(
            request,
            username=username,
            next_=next_,
            status_code=401,
            message=Message("bad", title=Text("Could not sign in"), text=Sentence(words_of(exc))),
        )
    response = RedirectResponse(next_, status_code=303)
    security.set_session_cookie(response, request, new)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Depends(security.public_route())], response_class=HTMLResponse)
async def logout(request: Request) -> Response:
    """End the cookie session (with its CSRF token) and go to sign-in; with no live session, just go.

    Public so that signing out of an expired session is not an error; a live session is
    only ended when the form carries that session's CSRF token.
    """
    token = request.cookies.get(security.COOKIE)
    if token:
        form = await form_of(request)
        sent = request.headers.get(security.CSRF_HEADER) or text(form, security.CSRF_FIELD) or ""

        def work(session: Session) -> bool:
            try:
                _, auth = users.session_actor(session, token)
            except NotAuthenticated:
                return True  # nothing left to end
            if not hmac.compare_digest(sent, auth.csrf_token):
                return False
            users.end_session(session, token)
            return True

        if not await run(request, work):
            return error_page(request, None, 403, Text("The sign-out form had expired; reload the page and try again."))
    response = RedirectResponse("/login", status_code=303)
    security.clear_session_cookie(response)
    # offline drafts, their key and the cached pages go with the session (see pages/offline.py)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


def login_redirect(request: Request) -> Response:
    """Where an unauthenticated page request goes: the login page, coming back afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or request.headers.get("hx-request") == "true":
        target = "/cases"
    location = f"/login?next={quote(target, safe='/')}"
    if request.cookies.get(security.COOKIE):  # the browser had a session, which has ended: say so at sign-in
        location += "&ended=1"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": location})  # type: ignore[return-value]
    return RedirectResponse(location, status_code=303)


@router.post("/language", dependencies=[Depends(security.public_route())])
async def language(request: Request) -> Response:
    """Keep the person's choice of language and go back to the page they were on.

    The choice is kept in a cookie (a year) and, for a signed-in person whose form carries
    their session's CSRF token, on their account (`cases.users.set_language`), so it follows
    them to another browser. A cookie alone changes nothing but the words of the pages.
    """
    form = await form_of(request)
    lang, nxt, csrf = text(form, "lang"), text(form, "next"), text(form, "csrf_token") or ""
    response = RedirectResponse(page_to_return_to(request.app, safe_next(nxt)), status_code=303)
    if lang not in i18n.LANGUAGES:
        return response
    token = security.session_token(request)
    if token:

        def remember(s: Session) -> None:
            try:
                actor, auth = users.session_actor(s, token)
            except NotAuthenticated:
                return  # an ended session: the cookie alone keeps the choice
            if hmac.compare_digest(csrf, auth.csrf_token):
                users.set_language(s, actor, lang)

        await run(request, remember)
    response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True,
                        secure=request.url.scheme == "https")
    return response

"""Login, logout and "who am I" (/api/v1/auth), and the login helper the pages use.

The API's login returns a bearer token; the pages' login form calls `login_user`
and `security.set_session_cookie`. Both name a server-side session, which expires
after `settings().session_minutes`.
Failed logins are counted (lockout after `settings().max_failed_logins`) and
audited; attempts are rate-limited per username and per client address (429).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from ctdata.cases.access import Actor, NotAuthenticated
from ctdata.cases.tx import transaction
from ctdata.cases.users import NewSession, authenticate, end_session, start_session
from ctdata.web.api.schemas import LoginIn, MeOut, TokenOut
from ctdata.web.security import (
    ROLES,
    check_login_rate,
    clear_session_cookie,
    engine_of,
    public_route,
    requires,
    session_token,
)

router = APIRouter(prefix="/auth", tags=["auth"])
ANY_USER = requires(*ROLES)


def login_user(request: Request, username: str, password: str) -> NewSession:
    """Check the rate limit and the credentials and open a session (NotAuthenticated / TooManyAttempts)."""
    check_login_rate(request, username)
    client = request.client.host if request.client else None
    failure: NotAuthenticated | None = None
    with transaction(engine_of(request)) as s:
        try:
            user = authenticate(s, username, password, client)
            new = start_session(s, user)
        except NotAuthenticated as exc:
            failure = exc  # the failed-login count and its audit entry must commit
    if failure is not None:
        raise failure
    return new


def logout_user(request: Request, response: Response) -> None:
    with transaction(engine_of(request)) as s:
        end_session(s, session_token(request))
    clear_session_cookie(response)


@router.post(
    "/login",
    response_model=TokenOut,
    dependencies=[Depends(public_route())],
    responses={401: {"description": "wrong username or password"}, 429: {"description": "rate limited"}},
)
def login(body: LoginIn, request: Request) -> TokenOut:
    """Log in with a username and password; use the access_token as `Authorization: Bearer <token>`."""
    new = login_user(request, body.username, body.password)
    return TokenOut(access_token=new.token, expires_at=new.expires_at, csrf_token=new.csrf_token)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, actor: Actor = Depends(ANY_USER)) -> Response:
    """End the current session (the token stops working at once)."""
    out = Response(status_code=204)
    logout_user(request, out)
    return out


@router.get("/me", response_model=MeOut)
def me(actor: Actor = Depends(ANY_USER)) -> MeOut:
    return MeOut(username=actor.username, role=actor.role, office_country=actor.office_country, agency=actor.agency)

"""Server-rendered case-management pages (Jinja2 + HTMX, every asset served by the app itself).

`router` holds every page route; each declares its policy through
`security.requires(...)` or `security.public_route()`. `html_error_handler`
turns a refused or failed page request into an HTML page (a sign-in redirect
for 401) instead of JSON; the app installs it as `app.state.html_error_handler`.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ctdata.web import security
from ctdata.web.pages import (
    auth,
    cases,
    data,
    estimates,
    linkage,
    networks,
    offline,
    releases,
    screening,
    transfers,
    users,
)
from ctdata.web.pages.common import error_page

log = logging.getLogger(__name__)


async def _install_error_pages(request: Request) -> None:
    """Until the app sets it itself: page requests get HTML errors (see ctdata.web.errors)."""
    state = request.app.state
    if getattr(state, "html_error_handler", None) is None:
        state.html_error_handler = html_error_handler


router = APIRouter(include_in_schema=False, dependencies=[Depends(_install_error_pages)])
router.include_router(auth.router)
router.include_router(screening.router)
router.include_router(cases.router)
router.include_router(transfers.router)
router.include_router(linkage.router)
router.include_router(estimates.router)
router.include_router(networks.router)
router.include_router(users.router)
router.include_router(data.router)
router.include_router(releases.router)
router.include_router(offline.router)


async def html_error_handler(request: Request, code: int, detail: str) -> Response:
    """An error on a page request as a page: 401 goes to sign-in, the rest to a plain error page that
    knows who is signed in, even where no route's policy ran (an unknown address, a wrong method)."""
    if code == 401:
        return auth.login_redirect(request)
    try:
        actor = await security.signed_in(request)
    except Exception:  # the store may be what failed: the error page still goes out, as to a visitor
        log.warning("could not tell who is signed in for the error page on %s", request.url.path, exc_info=True)
        actor = None
    return error_page(request, actor, code, detail)


__all__ = ["html_error_handler", "router"]

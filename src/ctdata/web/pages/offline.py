"""Offline screening: the service worker, and the key a browser encrypts its offline drafts with.

A caseworker in the field may lose the connection with a screening half typed. The
browser keeps the screening page (the service worker, ``static/js/sw.js``) and, when
there is no connection, keeps each screening the caseworker registers as a draft
encrypted with AES-GCM (``static/js/offline.js``) in IndexedDB, then sends the drafts
through the ordinary registration form (`screening.register`, so every rule and the
audit apply) when the connection returns. The key comes from here, once per session
(`cases.users.draft_key`): the browser keeps it as a non-extractable key until the
session's end, and signing out clears the site's storage (``Clear-Site-Data``).
"""

from __future__ import annotations

import base64
from importlib import resources

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from ctdata.cases import users
from ctdata.cases.access import Actor
from ctdata.web import security
from ctdata.web.pages.common import WORKERS, csrf_of, run

router = APIRouter()


@router.get("/sw.js", dependencies=[Depends(security.public_route())])
async def service_worker() -> Response:
    """The service worker, served from the root so that it may answer for /screening."""
    js = resources.files("ctdata.web").joinpath("static", "js", "sw.js").read_text(encoding="utf-8")
    return Response(js, media_type="application/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@router.get("/offline/key")
async def draft_key(request: Request, actor: Actor = Depends(security.requires(*WORKERS))) -> JSONResponse:
    """This session's draft key (base64url), when it expires, and the session's CSRF token for sending drafts."""
    token = security.session_token(request)

    def work(session: Session) -> tuple[bytes, str]:
        key, expires = users.draft_key(session, token)
        return key, expires.isoformat() + "Z"

    key, expires = await run(request, work)
    return JSONResponse(
        {"key": base64.urlsafe_b64encode(key).decode().rstrip("="), "expires_at": expires, "csrf": csrf_of(request)},
        headers={"Cache-Control": "no-store"},
    )

"""Error responses: JSON {"detail": ...} with the status HTTP gives it, or a page for a browser.

A request that asks for HTML outside /api/ (a browser following a link to /cases/abc
or to a path that does not exist) gets the pages' error page, installed by the app as
`app.state.html_error_handler`; API clients and anything not asking for HTML get JSON.

ctdata's errors are the user's to fix and carry one clear line; they map to
401 (not authenticated), 403 (not allowed), 404 (not found, or not visible to
you), 409 (a stale version or an open gate), 422 (a value breaks a rule) and
429 (too many login attempts). Anything else is a bug: 500 with a generic
message, the traceback goes to the server log only.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ctdata.cases.access import NotAuthenticated, TooManyAttempts
from ctdata.errors import (
    ConfigError,
    Conflict,
    CtdataError,
    NotFound,
    PermissionDenied,
    ValidationError,
    pydantic_problem,
)
from ctdata.text import Join, Text, words_of

log = logging.getLogger("ctdata.web")

STATUS: list[tuple[type[CtdataError], int]] = [
    (NotAuthenticated, 401),
    (TooManyAttempts, 429),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (ValidationError, 422),
    (ConfigError, 500),
]


def status_of(exc: CtdataError) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 400


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


async def _page(request: Request, code: int, detail: str) -> Response | None:
    """The HTML error page when the request is a browser's page request and the pages are installed."""
    handler = getattr(request.app.state, "html_error_handler", None)
    if handler is not None and _wants_html(request):
        page = handler(request, code, detail)
        return await page if inspect.isawaitable(page) else page  # type: ignore[no-any-return]
    return None


async def ctdata_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CtdataError)
    code = status_of(exc)
    headers: dict[str, str] = {}
    if code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if code == 429:
        headers["Retry-After"] = str(getattr(exc, "retry_after", 60))
    if code >= 500:
        log.error("server configuration error on %s: %s", request.url.path, exc)
    page = await _page(request, code, words_of(exc))  # a Text stays translatable on the page
    if page is not None:
        return page
    return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        out.append({"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "invalid")), "type": e.get("type")})
    return out


async def validation_error(request: Request, exc: Exception) -> Response:
    """422 for a bad body or query; 404 when only the path is wrong (an id beyond the store's range names nothing,
    as the case services answer for any id they cannot find)."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if errors and all(tuple(e.get("loc", ()))[:1] == ("path",) for e in errors):
        page = await _page(request, 404, "")
        return page or JSONResponse({"detail": f"{request.url.path} not found"}, status_code=404)
    cleaned = _clean(errors)
    said = Join([Text("{column}: {problem}", column=".".join(str(x) for x in e.get("loc", ())[1:]) or "value",
                      problem=pydantic_problem(e)) for e in errors], sep="; ")  # plain words, for a page
    return await _page(request, 422, said) or JSONResponse({"detail": jsonable_encoder(cleaned)}, status_code=422)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    page = await _page(request, exc.status_code, str(exc.detail)) if exc.status_code >= 400 else None
    if page is not None:
        return page
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def data_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "a value is not acceptable to the database (too long or malformed)"}, status_code=422
    )


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    try:
        page = await _page(request, 500, "")
    except Exception:  # the error page itself failed: the plain answer still goes out
        log.exception("the error page failed on %s", request.url.path)
        page = None
    if page is not None:
        return page
    return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CtdataError, ctdata_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DataError, data_error)
    app.add_exception_handler(Exception, unexpected)

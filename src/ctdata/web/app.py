"""The FastAPI application: JSON API under /api/v1, the case pages, the public portal, static files.

`create_app(database_url)` brings the store's schema up to date before it serves.
The pages (`ctdata.web.pages`) and the public portal (`ctdata.web.portal`) are
included when those modules are present; their routes declare policies with
`ctdata.web.security.requires` / `public_route` like the API's.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ctdata.cases.tx import prepare
from ctdata.store import db
from ctdata.web import errors, headers
from ctdata.web.api import PREFIX
from ctdata.web.api import router as api_router
from ctdata.web.security import PUBLIC_PATHS, LoginLimiter, TokenCache

log = logging.getLogger("ctdata.web")
STATIC = Path(__file__).with_name("static")
#: Optional routers written by others: module -> whether its routes belong in the API's OpenAPI schema.
OPTIONAL_ROUTERS = {"ctdata.web.pages": False, "ctdata.web.portal": True}


def create_app(database_url: str | None = None, *, login_limiter: LoginLimiter | None = None) -> FastAPI:
    """Build the app on the store at `database_url` (default: the configured store), upgrading its schema."""
    eng = db.engine_for(db.normalise_url(database_url)) if database_url else db.engine()
    prepare(eng)  # runs db.upgrade() once for this engine
    app = FastAPI(
        title="ctdata",
        summary="Counter-trafficking case data: case management API",
        version="1",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.engine = eng
    app.state.login_limiter = login_limiter or LoginLimiter()
    app.state.token_cache = TokenCache()
    errors.install(app)
    headers.install(app, f"{PREFIX}/docs")
    app.include_router(api_router)
    for module, in_schema in OPTIONAL_ROUTERS.items():
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        router = getattr(mod, "router", None)
        if router is not None:
            app.include_router(router, include_in_schema=in_schema)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    PUBLIC_PATHS.update({f"{PREFIX}/openapi.json", f"{PREFIX}/docs", "/static"})
    return app

"""The FastAPI application: JSON API under /api/v1, the case pages, the public portal, static files.

`create_app(database_url)` brings the store's schema up to date before it serves.
The pages (`ctdata.web.pages`) and the public portal (`ctdata.web.portal`) are
included when those modules are present; their routes declare policies with
`ctdata.web.security.requires` / `public_route` like the API's.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from ctdata.cases.refusals import RefusalLog
from ctdata.cases.tx import prepare
from ctdata.store import db
from ctdata.web import errors, headers
from ctdata.web.api import PREFIX
from ctdata.web.api import router as api_router
from ctdata.web.security import PUBLIC_PATHS, LoginLimiter, TokenCache
from ctdata.web.shared import web_settings, window_factory

log = logging.getLogger("ctdata.web")
STATIC = Path(__file__).with_name("static")
#: Optional routers written by others: module -> whether its routes belong in the API's OpenAPI schema.
OPTIONAL_ROUTERS = {"ctdata.web.pages": False, "ctdata.web.portal": True}


FLUSH_SECONDS = 5.0


async def _flush_refusals(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(FLUSH_SECONDS)
        try:
            await run_in_threadpool(app.state.refusals.flush)
        except Exception:  # the next round retries; a refusal count is never worth stopping the server
            log.exception("could not write the refusal counts to the audit log")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Write the per-minute refusal counts every few seconds, and the rest when the server stops."""
    task = asyncio.create_task(_flush_refusals(app))
    try:
        yield
    finally:
        task.cancel()
        await run_in_threadpool(app.state.refusals.flush, everything=True)


def create_app(database_url: str | None = None, *, login_limiter: LoginLimiter | None = None) -> FastAPI:
    """Build the app on the store at `database_url` (default: the configured store), upgrading its schema."""
    web = web_settings()
    if web.workers > 1:  # one of several workers: its share of the connections (db_connections), all kept
        share = web.connections_per_worker
        eng = db.make_engine(database_url, connections=share, keep=share)
    else:
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
        lifespan=lifespan,
    )
    app.state.engine = eng
    app.state.web_settings = web
    app.state.login_limiter = login_limiter or LoginLimiter(window=window_factory(eng, web))
    app.state.token_cache = TokenCache(ttl=web.cache_seconds) if web.cache_seconds > 0 else None
    app.state.refusals = RefusalLog(eng)
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
        if getattr(mod, "html_error_handler", None) is not None:  # a browser gets error pages, not JSON
            app.state.html_error_handler = mod.html_error_handler
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    PUBLIC_PATHS.update({f"{PREFIX}/openapi.json", f"{PREFIX}/docs", "/static"})
    return app


def worker_app() -> FastAPI:
    """The app of one worker of `ctdata serve --workers N` (uvicorn's factory; the store from the settings).

    `serve` puts the database URL and CTDATA_WEB_WORKERS in the environment the workers inherit.
    Also for other process managers: ``gunicorn -k uvicorn_worker.UvicornWorker -w 4
    'ctdata.web.app:worker_app()'`` with CTDATA_WEB_WORKERS=4 set.
    """
    return create_app()

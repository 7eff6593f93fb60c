"""The versioned JSON API: everything under /api/v1."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Depends

from ctdata.web import auth
from ctdata.web.api import cases, transfers, users
from ctdata.web.api.schemas import HealthOut
from ctdata.web.security import public_route

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX)
router.include_router(auth.router)
router.include_router(cases.router)
router.include_router(transfers.router)
router.include_router(users.router)


@router.get("/health", response_model=HealthOut, tags=["meta"], dependencies=[Depends(public_route())])
def health() -> HealthOut:
    """Liveness check (public)."""
    try:
        v = version("ctdata")
    except PackageNotFoundError:
        v = "unknown"
    return HealthOut(status="ok", version=v)

"""User administration (admin only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from ctdata.cases import users
from ctdata.cases.access import Actor
from ctdata.cases.tx import transaction
from ctdata.web.api.cases import ERRORS
from ctdata.web.api.schemas import UserIn, UserOut
from ctdata.web.security import engine_of, requires

router = APIRouter(prefix="/users", tags=["users"])
ADMIN = requires("admin")


@router.get("", response_model=list[UserOut], responses=ERRORS)
def list_users(request: Request, actor: Actor = Depends(ADMIN)) -> Any:
    with transaction(engine_of(request)) as s:
        return users.list_users(s, actor)


@router.post("", response_model=UserOut, status_code=201, responses=ERRORS)
def create_user(body: UserIn, request: Request, actor: Actor = Depends(ADMIN)) -> Any:
    with transaction(engine_of(request)) as s:
        u = users.create_user(s, actor, body.username, body.password, body.role, body.office_country, body.agency)
        return users.user_dict(u)

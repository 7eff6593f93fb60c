"""Transfer decisions: the receiving office accepts or rejects (admin, caseworker)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from ctdata.cases import transfer
from ctdata.cases.access import Actor
from ctdata.cases.tx import transaction
from ctdata.web.api.cases import ERRORS
from ctdata.web.api.schemas import ItemId, ReasonIn, TransferOut
from ctdata.web.security import engine_of, requires

router = APIRouter(prefix="/transfers", tags=["transfers"])
DECIDERS = requires("admin", "caseworker")


@router.get("", response_model=list[TransferOut], responses=ERRORS)
def list_transfers(
    request: Request, actor: Actor = Depends(DECIDERS), status: str | None = Query(None, max_length=20)
) -> Any:
    """Transfers to and from your office, newest first."""
    with transaction(engine_of(request)) as s:
        return transfer.list_transfers(s, actor, status=status)


@router.post("/{transfer_id}/accept", response_model=TransferOut, responses=ERRORS)
def accept(transfer_id: ItemId, request: Request, actor: Actor = Depends(DECIDERS)) -> Any:
    """Accept a transfer to your office: the case becomes yours; the sender keeps read-only access."""
    with transaction(engine_of(request)) as s:
        return transfer.transfer_view(transfer.accept_transfer(s, actor, transfer_id))


@router.post("/{transfer_id}/reject", response_model=TransferOut, responses=ERRORS)
def reject(transfer_id: ItemId, body: ReasonIn, request: Request, actor: Actor = Depends(DECIDERS)) -> Any:
    with transaction(engine_of(request)) as s:
        return transfer.transfer_view(transfer.reject_transfer(s, actor, transfer_id, body.reason))

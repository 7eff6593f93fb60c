"""The analysts' page of trafficking networks: victims linked through shared perpetrators and numbers.

It reads only the warehouse, which holds no name, number or address: networks are numbered, a
perpetrator is shown by its keyed pseudonym, victims only as counts, identifiers only as counts of
shared keys (`analytics.networks`). With it, the victim-perpetrator figures of
`analytics.perpetrators` (the within-region share and its definition). Analysts, data managers
and administrators reach it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ctdata.analytics import networks, perpetrators
from ctdata.cases.access import Actor
from ctdata.errors import CtdataError
from ctdata.text import Sentence, words_of
from ctdata.warehouse.query import connect
from ctdata.web import security
from ctdata.web.pages.common import csrf_of
from ctdata.web.pages.render import render

router = APIRouter()
ROLES = ("analyst", "data_manager", "admin")
SHOWN = 50


def _compute() -> dict[str, Any]:
    con = connect()
    found = networks.from_warehouse(con)
    table = found.table
    return {
        "summary": perpetrators.summary(con),
        "networks": len(table),
        "linked": int((table["victims"] > 1).sum()) if len(table) else 0,
        "rows": [r | {"corridors": {networks.corridor_words(c): n for c, n in r["corridors"].items()}}
                 for r in table.head(SHOWN).to_dict(orient="records")],
        "shown": min(SHOWN, len(table)),
    }


@router.get("/networks", response_class=HTMLResponse)
async def networks_page(request: Request, actor: Actor = Depends(security.requires(*ROLES))) -> HTMLResponse:
    error, result = "", None
    try:
        result = await run_in_threadpool(_compute)
    except CtdataError as exc:
        error = Sentence(words_of(exc))
    return render(request, "pages/networks.html", {"result": result, "error": error},
                  actor=actor, csrf=csrf_of(request), active="networks")

"""Data managers' and analysts' pages: import a file, review the quarantine, releases, indicators.

Each page calls the service or flow the CLI calls (`ingest.standard_import.import_standard`,
`ingest.quarantine.rows_for/show_for/retry_for`, `publish.flows` for releases with their
four-eyes approval, `analytics.indicators` for the headline table), so the web holds no rule:
who may see a quarantined row, who may approve a release and what an indicator counts are
decided there.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ctdata.cases.access import Actor
from ctdata.errors import CtdataError, ValidationError
from ctdata.ingest import quarantine
from ctdata.standard.units import unit_of
from ctdata.text import Sentence, Text, words_of
from ctdata.web import security
from ctdata.web.i18n import N_, reread
from ctdata.web.pages.common import (
    csrf_of,
    done_of,
    error_message,
    error_page,
    form_of,
    see_other,
    sentence,
    shown,
    status_for,
    text,
)
from ctdata.web.pages.render import Message, render

router = APIRouter()
MANAGERS = quarantine.REVIEWERS  # data managers and admins
#: The file kinds the import page takes, by file name ending.
IMPORTABLE = (".csv", ".xlsx")
#: The tables of the standard template, as the quarantine pages name them (in the page's language).
TABLE_NAMES = {"records": Text("case records"), "journey_legs": Text("journey steps"),
               "assistance": Text("assistance"), "returns": Text("returns"), "perpetrators": Text("perpetrators")}
#: What the import page shows of an import's result (it goes through the redirect in a small cookie).
SHOWN_RESULT = ("rows_read", "loaded", "inserted", "updated", "already_present", "quarantined", "top_reasons")
COLUMN_REASON = re.compile(r"^(?:\w+ field )?([a-z_]+)(?:\.\d+)?: (.+)$", re.S)


# --- import -------------------------------------------------------------------------------------------


def _import_page(request: Request, actor: Actor, ctx: dict[str, Any], messages: list[Message],
                 status_code: int = 200) -> HTMLResponse:
    return render(request, "pages/data_import.html", {"result": None, **ctx}, actor=actor, csrf=csrf_of(request),
                  active="import", messages=messages, status_code=status_code)


@router.get("/data/import", response_class=HTMLResponse)
async def import_form(request: Request, actor: Actor = Depends(security.requires(*MANAGERS))) -> Response:
    messages, done = done_of(request)  # after an import (post, then redirect): its result
    return shown(request, _import_page(request, actor, {"result": done.get("result")}, messages))


def _run_import(upload: UploadFile, actor: Actor) -> dict[str, Any]:
    """Save the upload under its own name in a fresh folder and import it as the CLI does."""
    from ctdata.ingest.standard_import import import_standard

    name = Path(upload.filename or "").name
    if not name.lower().endswith(IMPORTABLE):
        raise ValidationError.at("file", Text("choose a records file in the standard template: a .csv or an .xlsx "
                                             "workbook"))
    folder = Path(tempfile.mkdtemp(prefix="ctdata-import-"))
    try:
        path = folder / ("records.xlsx" if name.lower().endswith(".xlsx") else "records.csv")
        with path.open("wb") as fh:
            shutil.copyfileobj(upload.file, fh)
        result = import_standard(path, actor=actor.username)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out = {k: v for k, v in result.to_dict().items() if k in SHOWN_RESULT}
    out["file_name"] = name
    return out


@router.post("/data/import", response_class=HTMLResponse, response_model=None)
async def import_file(request: Request, actor: Actor = Depends(security.requires(*MANAGERS))) -> Response:
    """Import the file; the result is shown after a redirect (a reload does not import the file again)."""
    form = await form_of(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        err = ValidationError.at("file", Text("choose the file to import"))
        return _import_page(request, actor, {"field_errors": {"file": Sentence(Text("choose the file to import"))}},
                            [error_message(err)], 422)
    try:
        result = await run_in_threadpool(_run_import, upload, actor)
    except CtdataError as exc:
        problems = {k: sentence(v) for k, v in getattr(exc, "fields", {}).items()}
        if not problems:
            problems = {"file": sentence(words_of(exc))}
        return _import_page(request, actor, {"field_errors": problems}, [error_message(exc)], status_for(exc))
    title = Text("{file}: {rows} rows read", file=result["file_name"], rows=result["rows_read"])
    kind = "warn" if result["quarantined"] else "ok"
    text_ = Text("{loaded} loaded ({new} new, {changed} changed, {present} already present); "
                 "{quarantined} quarantined.",
                 loaded=result["loaded"], new=result["inserted"], changed=result["updated"],
                 present=result["already_present"], quarantined=result["quarantined"])
    link = ("/data/quarantine", Text("Review the quarantined rows")) if result["quarantined"] else None
    return see_other(request, "/data/import", Message(kind, title=title, text=text_, link=link), result=result)


# --- quarantine -----------------------------------------------------------------------------------------


@router.get("/data/quarantine", response_class=HTMLResponse)
async def quarantine_list(request: Request, actor: Actor = Depends(security.requires(*MANAGERS))) -> HTMLResponse:
    rows = [{**r, "reason": reread(r["reason"])} for r in await run_in_threadpool(quarantine.rows_for, actor, "open")]
    return render(request, "pages/quarantine.html", {"rows": rows, "table_names": TABLE_NAMES}, actor=actor,
                  csrf=csrf_of(request),
                  active="quarantine")


def _reason_fields(reason: str, columns: list[str]) -> dict[str, str]:
    """The column a quarantine reason names ('date_of_birth: ...'), to mark that field on the page."""
    out: dict[str, str] = {}
    for part in reason.split("; "):
        m = COLUMN_REASON.match(part.strip())
        if m and m.group(1) in columns:
            out.setdefault(m.group(1), sentence(m.group(2)))
    return out


async def _row_page(request: Request, actor: Actor, qid: int, messages: list[Message],
                    typed: dict[str, str] | None = None, status_code: int = 200) -> Response:
    try:
        row = await run_in_threadpool(quarantine.show_for, actor, qid)
    except CtdataError as exc:
        return error_page(request, actor, status_for(exc), words_of(exc))
    values = {k: ("" if v is None else str(v)) for k, v in row["values"].items()}
    if typed:
        values.update(typed)
    columns = list(values)
    return render(
        request,
        "pages/quarantine_row.html",
        {"row": {**row, "reason": reread(row["reason"])}, "columns": columns, "values": values,
         "table_names": TABLE_NAMES,
         "field_errors": _reason_fields(row["reason"], columns) if row["status"] == "open" else {}},
        actor=actor, csrf=csrf_of(request), active="quarantine", messages=messages, status_code=status_code,
    )


@router.get("/data/quarantine/{qid}", response_class=HTMLResponse)
async def quarantine_row(request: Request, qid: int,
                         actor: Actor = Depends(security.requires(*MANAGERS))) -> Response:
    messages, _ = done_of(request)  # after a retry that loaded the row (post, then redirect)
    return shown(request, await _row_page(request, actor, qid, messages))


@router.post("/data/quarantine/{qid}/retry", response_class=HTMLResponse)
async def quarantine_retry(request: Request, qid: int,
                           actor: Actor = Depends(security.requires(*MANAGERS))) -> Response:
    form = await form_of(request)
    try:
        before = (await run_in_threadpool(quarantine.show_for, actor, qid))["values"]
    except CtdataError as exc:
        return error_page(request, actor, status_for(exc), words_of(exc))
    typed = {k: (text(form, k) or "") for k in before}
    fixes = {k: v for k, v in typed.items() if v != ("" if before[k] is None else str(before[k]))}
    try:
        out = await run_in_threadpool(quarantine.retry_for, actor, qid, fixes)
    except CtdataError as exc:
        return await _row_page(request, actor, qid, [error_message(exc)], typed, status_for(exc))
    if out["loaded"] or out["companions_loaded"]:
        passed = (Text("The row passed and is now in the store with {count} companion row(s).",
                       count=out["companions_loaded"]) if out["companions_loaded"]
                  else Text("The row passed and is now in the store."))
        msg = Message("ok", title=Text("Loaded"), text=passed,
                      link=("/data/quarantine", Text("Back to the quarantine")))
        return see_other(request, f"/data/quarantine/{qid}", msg)
    reason = out["reasons"][0]["reason"] if out["reasons"] else Text("it still breaks a rule")
    msg = Message("bad", title=Text("Still quarantined"),
                  text=Text("The row does not pass yet: {reason}", reason=reread(reason)))
    return await _row_page(request, actor, qid, [msg], typed, 422)


# --- indicators -----------------------------------------------------------------------------------------


def _indicators() -> dict[str, Any]:
    """The headline figures as `ctdata report indicators` prints them (warehouse brought up to date first)."""
    from ctdata.analytics.indicators import headline, indicator_rows
    from ctdata.warehouse.build import build

    build(progress=False)
    data = headline()
    # the unit agrees with the count ('1 instance of assistance'), the page translating the English words
    return {"data": data, "rows": indicator_rows(data), "unit": unit_of(data["instances"], data["count_unit"])}


#: The words of the indicators table the page shows in its language (`analytics.indicators` writes them in English).
INDICATOR_WORDS = {
    "sex": N_("sex"), "age": N_("age"), "journey": N_("journey"), "citizenship": N_("citizenship"),
    "exploitation country": N_("exploitation country"), "exploitation type": N_("exploitation type"),
    "regional office": N_("regional office"), "children": N_("children"), "adults": N_("adults"),
    "cross-border": N_("cross-border"), "internal": N_("internal"), "unknown": N_("unknown"),
    "instances of assistance": N_("instances of assistance"), "hotline reports": N_("hotline reports"),
    "case records": N_("case records"),
    "instance of assistance": N_("instance of assistance"), "hotline report": N_("hotline report"),
    "case record": N_("case record"),
    "case records (instances of assistance and hotline reports)":
        N_("case records (instances of assistance and hotline reports)"),
}


@router.get("/indicators", response_class=HTMLResponse)
async def indicators(request: Request,
                     actor: Actor = Depends(security.requires("analyst", "data_manager", "admin"))) -> HTMLResponse:
    messages: list[Message] = []
    ctx: dict[str, Any] = {"data": None, "rows": []}
    try:
        ctx = await run_in_threadpool(_indicators)
    except CtdataError as exc:
        messages.append(Message("info", title=Text("No figures yet"), text=Sentence(words_of(exc))))
    return render(request, "pages/indicators.html", ctx, actor=actor, csrf=csrf_of(request), active="indicators",
                  messages=messages)

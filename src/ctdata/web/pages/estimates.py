"""The analysts' page for prevalence: multiple systems estimation over linked individuals.

It reads only the warehouse (never the live store) and shows the estimate of
the hidden total by method, with intervals, the lists used, a chart and the
caveats of MSE in plain words. Analysts, data managers and administrators
reach it; it shows no record-level data at all.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ctdata.cases.access import Actor
from ctdata.errors import CtdataError
from ctdata.prevalence.chart import (
    CAVEATS,
    METHODS_AXIS,
    METHODS_DESCRIPTION,
    METHODS_TITLE,
    interval_name,
    method_name,
    methods_chart,
    model_words,
)
from ctdata.prevalence.estimate import estimate_across_methods
from ctdata.prevalence.sources import LIST_BY, list_name, patterns_from_warehouse
from ctdata.text import Sentence, Text, words_of
from ctdata.web import i18n, security
from ctdata.web.pages.common import csrf_of
from ctdata.web.pages.render import language_of, render

router = APIRouter()
ROLES = ("analyst", "data_manager", "admin")
LIST_LABELS = {"agency": Text("Agency"), "data_source": Text("Data source"),
               "office_type": Text("Office type (destination/origin)")}


def _years(frm: str | None, to: str | None) -> tuple[int, int] | None:
    try:
        a = int(frm) if frm else None
        b = int(to) if to else None
    except ValueError:
        raise CtdataError(Text("years must be whole numbers, e.g. 2011")) from None
    if a is None and b is None:
        return None
    return (a or b or 0, b or a or 0)


def _compute(list_by: str, years: tuple[int, int] | None, lang: str = i18n.DEFAULT) -> dict[str, Any]:
    table = patterns_from_warehouse(list_by, years)
    results = estimate_across_methods(table)
    if not results:
        raise CtdataError(Text("no log-linear model could be fitted to these lists"))
    chart = methods_chart(results, title=i18n.localise(METHODS_TITLE, lang), axis=i18n.localise(METHODS_AXIS, lang),
                          description=i18n.localise(METHODS_DESCRIPTION, lang),
                          words=lambda text: str(i18n.localise(text, lang)))
    spec = chart.to_dict()
    return {
        "observed": int(table.counts.sum()),
        "lists": [(list_name(name), n) for name, n in sorted(table.list_totals().items())],
        "rows": [{"method": method_name(r.method), "model": model_words(r.model, list_name), "estimate": r.estimate,
                  "ci_low": r.ci_low, "ci_high": r.ci_high, "ci_method": interval_name(r.ci_method)}
                 for r in results],
        "spec": json.dumps(spec, ensure_ascii=False).replace("</", "<\\/"),  # read by the page in its language
    }


@router.get("/estimates", response_class=HTMLResponse)
async def estimates(request: Request, lists: str = "agency", year_from: str | None = None,
                    year_to: str | None = None, actor: Actor = Depends(security.requires(*ROLES))) -> HTMLResponse:
    lists = lists if lists in LIST_BY else "agency"
    error, result = "", None
    try:
        result = await run_in_threadpool(_compute, lists, _years(year_from, year_to), language_of(request))
    except CtdataError as exc:
        error = Sentence(words_of(exc))
    return render(request, "pages/estimates.html", {
        "lists": lists, "list_labels": LIST_LABELS, "year_from": year_from or "", "year_to": year_to or "",
        "result": result, "error": error, "caveats": CAVEATS,
    }, actor=actor, csrf=csrf_of(request), active="estimates")

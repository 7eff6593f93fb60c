"""Linkage review: the data manager works through pairs the model is unsure about.

The queue lists open pairs (most uncertain first); a pair opens side by side
with the evidence (a waterfall of match weights) and a form: same person,
different people, or unsure, with a reason. The decision is kept as a label
that overrides the model and is applied to the clusters at once, so the page
can say which individual(s) the two records now belong to.

Only data managers and administrators reach these pages; a data manager of an
agency sees only pairs whose two records both belong to that agency's cases.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ctdata.cases.access import Actor
from ctdata.errors import CtdataError, NotFound
from ctdata.linkage import flows, review_store
from ctdata.linkage.store_io import last_run
from ctdata.standard import countries, vocab
from ctdata.store.models import CaseRecord
from ctdata.text import Country, Day, Join, Sentence, Terms, Text, words_of
from ctdata.web import security
from ctdata.web.pages.common import (
    csrf_of,
    done_of,
    error_message,
    error_page,
    form_of,
    run,
    see_other,
    shown,
    status_for,
    text,
)
from ctdata.web.pages.render import Message, office_label, render
from ctdata.web.pages.viewmodels import case_ref

router = APIRouter()
REVIEWERS = review_store.REVIEWERS
#: Why other roles are turned away (shown on the "Not allowed" page).
WHY = Text(
    "Linkage review is for data managers and administrators: it shows two case records side by side, "
    "with the names and dates of birth of the people in them. Analysts work with de-identified figures; "
    "the count of individuals that linkage gives is in the indicators and the estimates."
)
#: Pairs listed at once (the most uncertain first); the rest follow as these are decided.
SHOWN = 200
DECISION_LABELS = {
    "match": Text("Same person"),
    "not_match": Text("Different people"),
    "unsure": Text("Unsure"),
}
STATUS_TABS = [("open", Text("Waiting for review")), ("decided", Text("Decided"))]
FIELDS = [
    ("given_name", Text("Given name")),
    ("family_name", Text("Family name")),
    ("date_of_birth", Text("Date of birth")),
    ("place_of_birth", Text("Place of birth")),
    ("sex", Text("Sex")),
    ("citizenship_text", Text("Citizenship")),
    ("age_text", Text("Age at registration")),
    ("office_text", Text("Registered by")),
    ("registration_date", Text("Registration date")),
    ("referral_text", Text("Referred from")),
    ("source_record_id", Text("Partner's record id")),
    ("document_text", Text("Identity document")),
]


def _run_view(session: Session) -> dict[str, Any] | None:
    r = last_run(session, kind=None)
    if r is None:
        return None
    return {
        "at": r.created_at,
        "records": r.records,
        "individuals": r.individuals,
        "threshold": r.threshold,
        "kind": r.kind,
        "actor": r.actor,
    }


def _side(rec: dict[str, Any]) -> dict[str, Any]:
    """One record of the pair as display strings ('–' for unknown)."""
    cit = rec.get("citizenship") or []
    age = rec.get("age_at_registration")
    band = rec.get("age_band")
    out = dict(rec)
    out["case_ref"] = case_ref(rec["case_id"])
    out["citizenship_text"] = Join([Country(c, countries.name(c)) for c in cit], sep=", ") if cit else None
    out["age_text"] = age if age is not None else (Text("{band} (band)", band=Text(band)) if band else None)
    out["office_text"] = office_label(rec.get("office_country"), rec.get("agency"))
    referral = rec.get("referral_from_office")
    out["referral_text"] = Country(referral, countries.name(referral)) if referral else None
    out["document_text"] = Text("recorded") if rec.get("has_document") else None
    out["sex"] = Text(vocab.SEX.label(rec["sex"])) if rec.get("sex") in vocab.SEX else (rec.get("sex") or None)
    for key in ("registration_date", "date_of_birth"):
        if isinstance(out.get(key), str) and len(out[key]) == 10:
            out[key] = Day(out[key])
    return out


#: Readable names of the model's comparisons (the waterfall's steps).
COMPARISONS = {
    "prior": Text("Starting point"),
    "name": Text("Names"),
    "name (name frequency)": Text("How common the name is"),
    "dob": Text("Date of birth"),
    "age": Text("Age at registration"),
    "sex": Text("Sex"),
    "citizenship": Text("Citizenship"),
    "office": Text("Offices"),
    "registration": Text("Registration dates"),
    "document": Text("Identity document"),
}
#: Fields that differ between any two records, so marking them would only be noise.
ALWAYS_DIFFERENT = {"source_record_id"}


def _rows(left: dict[str, Any], right: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, label in FIELDS:
        a, b = left.get(key), right.get(key)
        differs = (
            key not in ALWAYS_DIFFERENT and a is not None and b is not None and str(a).casefold() != str(b).casefold()
        )
        rows.append({"key": key, "label": label, "left": a, "right": b, "differs": differs})
    return rows


def _waterfall(table: Any) -> list[dict[str, Any]]:
    """Waterfall steps with bar positions on a common scale (percent of the widest cumulative range)."""
    starts = (table["cumulative"] - table["match_weight"]).tolist()
    ends = table["cumulative"].tolist()
    lo, hi = min([*starts, *ends, 0.0]), max([*starts, *ends, 0.0])
    span = (hi - lo) or 1.0
    out = []
    for r, s, e in zip(table.itertuples(), starts, ends, strict=True):
        left, right = sorted((s, e))
        out.append(
            {
                "comparison": COMPARISONS.get(str(r.comparison), str(r.comparison).replace("_", " ")),
                "level": str(r.level),
                "weight": f"{r.match_weight:+.2f}",
                "probability": float(r.probability),
                "sign": "for" if r.match_weight > 0 else ("against" if r.match_weight < 0 else "none"),
                "left": round((left - lo) / span * 100, 2),
                "width": max(round((right - left) / span * 100, 2), 0.6),
            }
        )
    return out


def _whose(actor: Actor) -> str:
    """Whose pairs the queue shows the actor, in words (the rule is `review_store.list_pairs`'s scope)."""
    if actor.role == "data_manager" and actor.agency:
        return Text("pairs whose two records are both cases of {agency} (your agency)", agency=actor.agency)
    return Text("pairs of every agency")


@router.get("/linkage", response_class=HTMLResponse)
async def queue(
    request: Request, status: str = "open", actor: Actor = Depends(security.requires(*REVIEWERS, why=WHY))
) -> HTMLResponse:
    status = status if status in dict(STATUS_TABS) else "open"

    def work(s: Session) -> dict[str, Any]:
        pairs = review_store.list_pairs(s, actor, status=status, limit=SHOWN + 1)
        more = len(pairs) > SHOWN
        pairs = pairs[:SHOWN]
        ids = {i for p in pairs for i in (p["case_id_l"], p["case_id_r"])}
        where = {
            i: office_label(c, a)
            for i, c, a in s.execute(
                select(CaseRecord.id, CaseRecord.office_country, CaseRecord.agency).where(CaseRecord.id.in_(ids))
            )
        }
        for p in pairs:
            p["ref_l"], p["ref_r"] = case_ref(p["case_id_l"]), case_ref(p["case_id_r"])
            p["office_l"], p["office_r"] = where.get(p["case_id_l"], ""), where.get(p["case_id_r"], "")
            p["percent"] = p["match_probability"]
            p["decision_text"] = DECISION_LABELS.get(p["decision"] or "", "")
        shown = review_store.count_pairs(s, actor, status)
        return {
            "pairs": pairs,
            "more": more,
            "run": _run_view(s),
            "count": shown,
            "queue_total": review_store.count_open(s) if status == "open" else None,
            "whose": _whose(actor),
        }

    ctx = await run(request, work)
    ctx.update({"status": status, "tabs": STATUS_TABS})
    return render(request, "pages/linkage.html", ctx, actor=actor, csrf=csrf_of(request), active="linkage")


async def _pair_page(
    request: Request, actor: Actor, pair_id: int, messages: list[Message], status_code: int = 200, form: Any = None
) -> Response:
    eng = security.engine_of(request)

    def work(s: Session) -> dict[str, Any]:
        d = review_store.pair_detail(s, actor, pair_id)
        nxt = [p for p in review_store.list_pairs(s, actor, status="open", limit=2) if p["pair_id"] != pair_id]
        return {"pair": d, "next_id": nxt[0]["pair_id"] if nxt else None}

    try:
        data = await run(request, work)
    except NotFound as exc:
        return error_page(request, actor, 404, words_of(exc))
    explain_note = ""
    try:
        table = await run_in_threadpool(review_store.explain_pair, pair_id, actor, eng)
        steps = _waterfall(table)
    except CtdataError as exc:
        steps, explain_note = [], Sentence(words_of(exc))
    d = data["pair"]
    left, right = _side(d["left"]), _side(d["right"])
    ctx = {
        "pair": d,
        "left": left,
        "right": right,
        "rows": _rows(left, right),
        "percent": d["match_probability"],
        "steps": steps,
        "explain_note": explain_note,
        "decisions": list(DECISION_LABELS.items()),
        "decision_text": DECISION_LABELS,
        "labels": [{**lb, "text": DECISION_LABELS[lb["decision"]]} for lb in d["labels"]],
        "next_id": data["next_id"],
        "chosen": (form or {}).get("decision") or "",
        "reason": (form or {}).get("reason") or "",
    }
    return render(
        request,
        "pages/linkage_pair.html",
        ctx,
        actor=actor,
        csrf=csrf_of(request),
        active="linkage",
        messages=messages,
        status_code=status_code,
    )


@router.get("/linkage/pairs/{pair_id}", response_class=HTMLResponse)
async def pair(
    request: Request, pair_id: int, actor: Actor = Depends(security.requires(*REVIEWERS, why=WHY))
) -> Response:
    messages, _ = done_of(request)  # after a decision (post, then redirect: a reload decides nothing again)
    return shown(request, await _pair_page(request, actor, pair_id, messages))


@router.post("/linkage/pairs/{pair_id}/decide", response_class=HTMLResponse)
async def decide(
    request: Request, pair_id: int, actor: Actor = Depends(security.requires(*REVIEWERS, why=WHY))
) -> Response:
    form = await form_of(request)
    decision = text(form, "decision") or ""
    reason = text(form, "reason")
    eng = security.engine_of(request)
    try:
        res = await run_in_threadpool(
            partial(flows.decide_pair, actor, pair_id, decision, reason, recluster=True, eng=eng)
        )
    except NotFound as exc:
        return error_page(request, actor, 404, words_of(exc))
    except CtdataError as exc:
        msg = error_message(exc)
        return await _pair_page(
            request, actor, pair_id, [msg], status_for(exc), {"decision": decision, "reason": reason}
        )
    if res["same_individual"]:
        outcome = Text("The two records are now one individual ({one}).", one=res["individual_l"])
    else:
        outcome = Text("The two records are now two individuals ({one} and {other}).", one=res["individual_l"],
                       other=res["individual_r"])
    if decision == "unsure":
        outcome = Join([Text("Nothing changed in the clusters; the pair leaves the queue."), outcome])
    title = Text("Saved: {decision}", decision=Terms([DECISION_LABELS[decision]]))

    def next_open(s: Session) -> int | None:
        rest = review_store.list_pairs(s, actor, status="open", limit=1)
        return rest[0]["pair_id"] if rest else None

    nxt = await run(request, next_open)
    link = (f"/linkage/pairs/{nxt}", Text("Review the next pair")) if nxt else (
        "/linkage", Text("Back to the review queue"))
    return see_other(request, f"/linkage/pairs/{pair_id}", Message("ok", title=title, text=outcome, link=link))

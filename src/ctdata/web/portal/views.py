"""The portal's routes: home, dashboard, corridor map, releases and downloads, the indicators API.

Every route is ``public_route()``. Pages and API answers are built from approved
releases only (``ctdata.publish.public.PublishedReleases``), cached by the registry's state and
the cleaned query, and served with a strict Content-Security-Policy (same origin only).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

import ctdata.web.i18n as i18n
from ctdata.errors import Conflict, CtdataError, NotFound
from ctdata.publish.portal import FILTER_NAMES, Filters, ReleaseData, corridors, indicators, is_loaded, load
from ctdata.publish.public import PublicRelease, PublishedReleases
from ctdata.publish.settings import K
from ctdata.text import Terms, Text, words_of
from ctdata.web.i18n import N_
from ctdata.web.portal import charts
from ctdata.web.portal.render import CACHE_CONTROL, SECURITY_HEADERS, ResponseCache, markdown, render_html
from ctdata.web.security import public_route

PUBLIC = [Depends(public_route())]
router = APIRouter()
CACHE = ResponseCache()
NAV = [
    ("home", N_("Home"), "/"),
    ("dashboard", N_("Dashboard"), "/portal/dashboard"),
    ("map", N_("Corridor map"), "/portal/map"),
    ("releases", N_("Data releases"), "/portal/releases"),
]
FILTER_LABELS = {
    "year": N_("Year of registration"),
    "region": N_("Region of exploitation"),
    "sex": N_("Sex"),
    "age": N_("Age"),
    "type": N_("Type of exploitation"),
}
#: what a page's body depends on besides the release and filters: the reader's language (and so the
#: `Vary` of every page), chosen as on the case pages (the language switch's cookie, else the browser's)
VARY = "Accept-Language, Cookie"
QUERY_KEYS = ("release", *FILTER_NAMES)


def _query(request: Request) -> dict[str, str]:
    """The known query parameters, bounded in length (the cache key is built from these only)."""
    return {k: request.query_params.get(k, "")[:120] for k in QUERY_KEYS if request.query_params.get(k)}


def _headers(etag_value: str, cache: bool = True, lang: str | None = None) -> dict[str, str]:
    h = dict(SECURITY_HEADERS)
    h["Cache-Control"] = CACHE_CONTROL if cache else "no-store"
    h["ETag"] = etag_value
    if lang is not None:
        h["Vary"] = VARY
        h["Content-Language"] = lang
    return h


def language_of(request: Request) -> str:
    """The page's language: the language switch's choice in this browser, else the browser's best match.

    The portal has no accounts, so no account's choice; the cookie is the one `/language` sets.
    """
    return i18n.choose(request.headers.get("accept-language"), request.cookies.get(i18n.COOKIE))


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _error(request: Request, exc: CtdataError, *, api: bool = False) -> Response:
    code = 404 if isinstance(exc, NotFound) else 503 if isinstance(exc, Conflict) else 400
    message = words_of(exc) if code != 503 else UNAVAILABLE
    if api or _wants_json(request):
        return Response(
            json.dumps({"detail": str(message)}),
            status_code=code,
            media_type="application/json",
            headers=SECURITY_HEADERS,
        )
    lang = language_of(request)
    title = N_("Not found") if code == 404 else N_("Unavailable")
    body = render_html("portal/error.html", _base("", title=title, here="/") | {"code": code, "message": message}, lang)
    headers = SECURITY_HEADERS | {"Vary": VARY, "Content-Language": lang}
    return Response(body, status_code=code, media_type="text/html; charset=utf-8", headers=headers)


UNAVAILABLE = Text("this release cannot be served at the moment (its files fail their check)")


def _base(active: str, *, title: str, here: str) -> dict[str, Any]:
    """What every page has: the navigation, its title, and the address the language switch comes back to."""
    return {"nav": NAV, "active": active, "title": title, "here": here}


def _here(path: str, release: PublicRelease | None, f: Filters | None) -> str:
    """A page's address with its release and filters (where the language switch returns)."""
    query = {"release": release.release_id} if release is not None else {}
    query |= f.active() if f is not None else {}
    return path + ("?" + urlencode(query) if query else "")


async def _cached(
    request: Request, page: str, build: Callable[[PublishedReleases, dict[str, str], str], bytes], media_type: str
) -> Response:
    pub = PublishedReleases()
    q = _query(request)
    # the JSON answers are English whatever the browser asks (codes and labels for programs)
    lang = language_of(request) if media_type == HTML else None
    key = (page, str(pub.root), pub.stamp(), lang, _cache_key(pub, page, q))
    hit = CACHE.get(key)
    if hit is None:
        try:
            if page in INLINE_PAGES and _in_memory(pub, q):
                body = build(pub, q, lang or i18n.DEFAULT)  # a millisecond or two: cheaper than a worker thread
            else:
                body = await run_in_threadpool(build, pub, q, lang or i18n.DEFAULT)
        except CtdataError as exc:
            return _error(request, exc, api=media_type == "application/json")
        hit = CACHE.put(key, body)
    body, tag = hit
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=_headers(tag, lang=lang))
    return Response(body, media_type=media_type, headers=_headers(tag, lang=lang))


#: Pages computed from a release in memory only (no file reads, no Markdown): built on the event loop.
INLINE_PAGES = frozenset({"home", "dashboard", "map", "api-indicators"})


def _in_memory(pub: PublishedReleases, q: dict[str, str]) -> bool:
    """Whether the release a page would show is loaded (its figures are then a few array operations away).

    A release not loaded yet (first visit after approval) is read and aggregated in a worker
    thread, so that the server keeps answering meanwhile.
    """
    try:
        release = _pick(pub, q)
    except CtdataError:
        return True  # an unknown release: the page is an error answer, cheap
    return release is None or is_loaded(release)


def _cache_key(pub: PublishedReleases, page: str, q: dict[str, str]) -> tuple[Any, ...]:
    """What a page's body depends on: for a loaded release, the release asked for and the cleaned filters.

    Filter values the release lacks are dropped (the page only names the ignored filters), so
    made-up values cannot fill the response cache or push popular pages out of it.
    """
    if page == "home":
        return ()
    if page in INLINE_PAGES:
        try:
            release = _pick(pub, q)
        except CtdataError:
            release = None
        if release is not None and is_loaded(release):
            f, ignored = load(release).clean(q)
            return (q.get("release", ""), f, tuple(ignored))
    return tuple(sorted(q.items()))


def _pick(pub: PublishedReleases, q: dict[str, str]) -> PublicRelease | None:
    return pub.get(q["release"]) if q.get("release") else pub.default()


def _filter_form(data: ReleaseData, f: Filters, releases: list[PublicRelease]) -> dict[str, Any]:
    return {
        "fields": [
            {"name": name, "label": FILTER_LABELS[name], "options": data.options[name], "value": getattr(f, name)}
            for name in FILTER_NAMES
        ],
        "releases": [(r.release_id, r.title) for r in releases],
        "release": data.release.release_id,
    }


def _ignored(names: list[str]) -> Terms:
    """The filters a release lacks, named as the page's language writes a list ('Année et Sexe', 'السنة والجنس')."""
    return Terms([FILTER_LABELS[n] for n in names], lower=False)


def _active_summary(data: ReleaseData, f: Filters) -> list[tuple[str, str]]:
    out = []
    for name, value in f.active().items():
        lab = dict(data.options[name]).get(value, value)
        out.append((FILTER_LABELS[name], lab))
    return out


# ------------------------------------------------------------------------------------------------ pages


def _home(pub: PublishedReleases, q: dict[str, str], lang: str) -> bytes:
    releases = pub.list()
    release = pub.default()
    ctx = _base("home", title=N_("Counter-trafficking data portal"), here="/") | {
        "release": release,
        "latest": pub.newest_by_kind(),
        "count": len(releases),
        "figures": None,
        "k": K,
    }
    if release is not None:
        data = load(release)
        ind = indicators(data, {})
        tables = {t.key: t for t in ind.tables}
        cor = corridors(data, {})
        ctx["figures"] = {
            "total": ind.total,
            "k": ind.k,
            "children": _row_total(tables.get("child_sex"), "child"),
            "corridors": len(cor.flows),
            "top_corridor": cor.flows[0] if cor.flows else None,
            "years": _year_range([v for v, _ in data.options["year"]]),
        }
    return render_html("portal/home.html", ctx, lang)


def _year_range(values: list[str]) -> str:
    """'2016 – 2021' from the released years (exact years when there are any, else periods)."""
    exact = sorted(v for v in values if v.isdigit())
    if exact:
        return exact[0] if exact[0] == exact[-1] else f"{exact[0]} – {exact[-1]}"
    periods = sorted(v for v in values if v[:4].isdigit())
    return f"{periods[0][:4]} – {periods[-1][-4:]}" if periods else ""


def _row_total(table: Any, code: str) -> Any:
    if table is None or table.row_totals is None:
        return None
    for (c, _), cell in zip(table.rows, table.row_totals, strict=True):
        if c == code:
            return cell
    return None


def _dashboard(pub: PublishedReleases, q: dict[str, str], lang: str) -> bytes:
    release = _pick(pub, q)
    ctx = _base("dashboard", title=N_("Dashboard"), here="/portal/dashboard")
    if release is None:
        return render_html("portal/empty.html", ctx, lang)
    data = load(release)
    ind = indicators(data, q)
    ctx["here"] = _here("/portal/dashboard", release, ind.filters)
    figures = []
    for t in ind.tables:
        drawable = not t.empty and bool(t.published())
        spec = charts.bar_chart(t, vertical=t.key == "year_sex", lang=lang) if drawable else None
        figures.append({"table": t, "spec": spec, "id": f"chart-{t.key}"})
    ctx |= {
        "release": release,
        "ind": ind,
        "figures": figures,
        "form": _filter_form(data, ind.filters, pub.list()),
        "active_filters": _active_summary(data, ind.filters),
        "ignored": _ignored(ind.ignored),
        "action": "/portal/dashboard",
        "api_url": "/portal/api/indicators?" + urlencode({"release": release.release_id, **ind.filters.active()}),
    }
    return render_html("portal/dashboard.html", ctx, lang)


def _map(pub: PublishedReleases, q: dict[str, str], lang: str) -> bytes:
    release = _pick(pub, q)
    ctx = _base("map", title=N_("Corridor map"), here="/portal/map")
    if release is None:
        return render_html("portal/empty.html", ctx, lang)
    data = load(release)
    cor = corridors(data, q)
    spec, unplaced = charts.corridor_map(cor.flows, cor.k, lang=lang)
    ctx |= {
        "here": _here("/portal/map", release, cor.filters),
        "unplaced_names": [charts.corridor_name(f, lang) for f in unplaced],
        "release": release,
        "cor": cor,
        "spec": spec,
        "unplaced": unplaced,
        "form": _filter_form(data, cor.filters, pub.list()),
        "active_filters": _active_summary(data, cor.filters),
        "ignored": _ignored(cor.ignored),
        "action": "/portal/map",
    }
    return render_html("portal/map.html", ctx, lang)


def _releases(pub: PublishedReleases, q: dict[str, str], lang: str) -> bytes:
    items = []
    for r in pub.list():
        item: dict[str, Any] = {"release": r, "files": r.files(), "k": r.k, "broken": False}
        try:
            item["readme"] = markdown(r.text("README.md"))
            item["codebook"] = markdown(r.text("codebook.md")) if "codebook.md" in r.manifest["files"] else None
        except Conflict:
            item["readme"], item["codebook"], item["broken"] = None, None, True
        items.append(item)
    ctx = _base("releases", title=N_("Data releases"), here="/portal/releases") | {"items": items}
    return render_html("portal/releases.html", ctx, lang)


def _api_indicators(pub: PublishedReleases, q: dict[str, str], lang: str) -> bytes:
    release = _pick(pub, q)
    if release is None:
        payload: dict[str, Any] = {"release": None, "detail": "no release has been published yet"}
    else:
        data = load(release)
        payload = indicators(data, q).as_json()
        payload["corridors"] = [f.as_json() for f in corridors(data, q).flows]
        options = data.options
        payload["filter_options"] = {n: [{"value": v, "label": lab} for v, lab in options[n]] for n in FILTER_NAMES}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _api_releases(pub: PublishedReleases, q: dict[str, str], lang: str) -> bytes:
    out = [
        {
            "id": r.release_id,
            "kind": r.kind,
            "title": r.title,
            "version": r.version,
            "created": r.created,
            "approved": r.approved_at,
            "records": r.rows,
            "k": r.k,
            "files": [
                {
                    "name": f.name,
                    "bytes": f.bytes,
                    "sha256": f.sha256,
                    "url": f"/portal/releases/{r.release_id}/files/{f.name}",
                }
                for f in r.files()
            ],
        }
        for r in pub.list()
    ]
    return json.dumps({"releases": out}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


HTML = "text/html; charset=utf-8"


@router.get("/", dependencies=PUBLIC, include_in_schema=False)
async def home(request: Request) -> Response:
    return await _cached(request, "home", _home, HTML)


@router.get("/portal", dependencies=PUBLIC, include_in_schema=False)
async def portal_root() -> Response:
    return RedirectResponse("/", status_code=308)


@router.get("/portal/dashboard", dependencies=PUBLIC, include_in_schema=False)
async def dashboard(request: Request) -> Response:
    return await _cached(request, "dashboard", _dashboard, HTML)


@router.get("/portal/map", dependencies=PUBLIC, include_in_schema=False)
async def corridor_map(request: Request) -> Response:
    return await _cached(request, "map", _map, HTML)


@router.get("/portal/releases", dependencies=PUBLIC, include_in_schema=False)
async def releases(request: Request) -> Response:
    return await _cached(request, "releases", _releases, HTML)


@router.get("/portal/releases/{release_id}/files/{name}", dependencies=PUBLIC, include_in_schema=False)
def download(request: Request, release_id: str, name: str) -> Response:
    """A file of an approved release, only if its manifest lists it and its checksum still matches."""
    try:
        path, info = PublishedReleases().file(release_id, name)
    except CtdataError as exc:
        return _error(request, exc)
    headers = dict(SECURITY_HEADERS) | {"Cache-Control": CACHE_CONTROL, "X-Checksum-SHA256": info.sha256}
    return FileResponse(path, media_type=info.media_type, filename=info.name, headers=headers)


@router.get(
    "/portal/api/indicators",
    dependencies=PUBLIC,
    tags=["portal"],
    summary="Published indicators of one approved release, filtered and small-cell suppressed",
)
async def api_indicators(request: Request) -> Response:
    """Query: ``release`` (default: the newest k-anonymised release), ``year``, ``region``, ``sex``,
    ``age`` (``child``, ``adult`` or ``band:<band>``), ``type`` (exploitation type code)."""
    return await _cached(request, "api-indicators", _api_indicators, "application/json")


@router.get("/portal/api/releases", dependencies=PUBLIC, tags=["portal"], summary="Approved releases and their files")
async def api_releases(request: Request) -> Response:
    return await _cached(request, "api-releases", _api_releases, "application/json")

"""Rendering of the case pages: one Jinja2 environment, the shared page context, messages.

Why one place: every page must carry the CSRF token (hidden field and HTMX header),
the navigation for the actor's role and the identity switch, and every template must be
autoescaped. Doing that here means a view cannot forget it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ctdata.standard import countries, vocab
from ctdata.text import Text
from ctdata.web import i18n
from ctdata.web.i18n import N_

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

ROLE_LABELS = {
    "admin": N_("Administrator"),
    "data_manager": N_("Data manager"),
    "caseworker": N_("Caseworker"),
    "analyst": N_("Analyst"),
    "public": N_("Public"),
}

#: Header the HTMX requests carry the CSRF token in (set on <body hx-headers>).
CSRF_HEADER = "X-CSRF-Token"


@cache
def _env(lang: str = i18n.DEFAULT) -> Environment:
    """The templates in one language: gettext from its catalogue, country names and numbers in it."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        finalize=i18n.finalize_for(lang),
    )
    tr = i18n.translations(lang)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext_for(lang), tr.ngettext, newstyle=True, pgettext=tr.pgettext, npgettext=tr.npgettext
    )
    env.filters["country"] = lambda code: i18n.country_name(code, lang)
    env.filters["number"] = lambda value: (
        i18n.number(value, lang) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    )
    env.filters["percent"] = lambda value, digits=0: i18n.percent(value, lang, digits) if value is not None else ""
    env.filters["chance"] = lambda value: i18n.chance(value, lang) if value is not None else ""
    env.filters["day"] = lambda value: _time(value, i18n.day(value, lang))
    env.filters["moment"] = lambda value: _time(value, i18n.moment(value, lang))
    env.filters["localise"] = lambda value: i18n.localise(value, lang)
    return env


ENV = _env()


def _time(value: Any, shown: str) -> Markup | str:
    """A date as the page's language writes it, in a `<time>` that keeps the ISO value for machines."""
    iso = value.isoformat() if isinstance(value, (date, datetime)) else str(value or "")
    if not shown or shown == iso or len(iso) < 10:
        return shown
    return Markup('<time datetime="{}">{}</time>').format(iso, shown)


def language_of(request: Request) -> str:
    """The language of this request's page: the choice in this browser, else the account's, else the browser's."""
    actor = getattr(request.state, "actor", None)
    chosen = request.cookies.get(i18n.COOKIE) or getattr(actor, "language", None)
    return i18n.choose(request.headers.get("accept-language"), chosen)


@dataclass
class Message:
    """A notice on a page: kind is ok, info, warn or bad (colour and ARIA role follow it)."""

    kind: str
    text: str = ""
    title: str = ""
    items: list[str] = field(default_factory=list)
    link: tuple[str, str] | None = None  # (href, words)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str
    count: int | None = None


def nav_for(role: str, inbox_count: int | None = None) -> list[NavItem]:
    """The main navigation for a role; data managers get the linkage review slot (a later issue)."""
    items = [NavItem("cases", N_("Cases"), "/cases")]
    if role in ("caseworker", "admin"):
        items.append(NavItem("screening", N_("New screening"), "/screening"))
        items.append(NavItem("inbox", N_("Transfer inbox"), "/transfers/inbox", inbox_count or None))
    if role in ("data_manager", "admin"):
        items.append(NavItem("import", N_("Import"), "/data/import"))
        items.append(NavItem("quarantine", N_("Quarantine"), "/data/quarantine"))
        items.append(NavItem("linkage", N_("Linkage review"), "/linkage"))
    if role in ("analyst", "data_manager", "admin"):
        items.append(NavItem("indicators", N_("Indicators"), "/indicators"))
        items.append(NavItem("releases", N_("Releases"), "/data/releases"))
        items.append(NavItem("estimates", N_("Prevalence estimates"), "/estimates"))
        items.append(NavItem("networks", N_("Trafficking networks"), "/networks"))
    if role == "admin":
        items.append(NavItem("users", N_("Users"), "/admin/users"))
    return items


@dataclass(frozen=True)
class ActorView:
    username: str
    role: str
    role_label: str
    office_label: str
    office_country: str | None
    agency: str | None


def actor_view(actor: Any) -> ActorView:
    country = getattr(actor, "office_country", None)
    agency = getattr(actor, "agency", None)
    office = office_label(country, agency) if (country or agency) else ""
    role = getattr(actor, "role", "public")
    return ActorView(actor.username, role, ROLE_LABELS.get(role, role), office, country, agency)


def office_label(country: str | None, agency: str | None) -> str:
    """'IOM office in Thailand' style label for an office (country + agency)."""
    if country and agency:
        return Text("{agency} office in {country}", agency=agency, country=countries.in_sentence(country))
    if country:
        return Text("Office in {country}", country=countries.in_sentence(country))
    return agency or Text("Unknown office")


def options(vocabulary: vocab.Vocabulary, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(code, label) for code, label in vocabulary.terms.items() if code not in skip]


def country_options() -> list[tuple[str, str]]:
    return sorted(((c, countries.name(c)) for c in countries.all_alpha2()), key=lambda p: countries.collation_key(p[1]))


_COUNTRY_OPTIONS: list[tuple[str, str]] | None = None


def common_context() -> dict[str, Any]:
    """Option lists every form may use (computed once)."""
    global _COUNTRY_OPTIONS
    if _COUNTRY_OPTIONS is None:
        _COUNTRY_OPTIONS = country_options()
    return {
        "country_options": _COUNTRY_OPTIONS,
        "sex_options": options(vocab.SEX),
        "status_options": options(vocab.CASE_STATUS),
        "action_options": options(vocab.ACTIONS),
        "means_options": options(vocab.MEANS),
        "purpose_options": options(vocab.PURPOSES),
        "vulnerability_options": options(vocab.VULNERABILITIES),
        "crossing_options": options(vocab.CROSSING),
        "document_options": options(vocab.TRAVEL_DOCUMENT),
        "transport_options": options(vocab.TRANSPORT_MODE),
        "exploited_options": options(vocab.EXPLOITED_ON_LEG),
        "assistance_options": options(vocab.ASSISTANCE_TYPES),
        "legal_type_options": options(vocab.LEGAL_ASSISTANCE_TYPES),
        "recruitment_tactic_options": options(vocab.RECRUITMENT_TACTICS),
        "recruiter_relation_options": options(vocab.RECRUITER_RELATION),
        "promised_sector_options": options(vocab.PROMISED_SECTORS),
        "funding_source_options": options(vocab.FUNDING_SOURCE),
        "reintegration_status_options": options(vocab.REINTEGRATION_STATUS),
        "risk_options": options(vocab.RISK_LEVEL),
        "consent_kind_options": CONSENT_KINDS,
        "perpetrator_role_options": options(vocab.PERPETRATOR_ROLE),
        "perpetrator_age_options": options(vocab.PERPETRATOR_AGE_BAND),
        "perpetrator_relation_options": options(vocab.PERPETRATOR_RELATION),
        "yes_no_options": options(vocab.YES_NO),
        "means_of_control_options": options(vocab.MEANS_OF_CONTROL),
    }


CONSENT_KINDS = [
    ("assistance", N_("Receiving assistance")),
    ("sharing", N_("Sharing the case with another office")),
    ("research", N_("Anonymous use for research")),
    ("return", N_("Returning home")),
]


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    actor: Any = None,
    csrf: str = "",
    active: str = "",
    status_code: int = 200,
    messages: list[Message] | None = None,
    inbox_count: int | None = None,
) -> HTMLResponse:
    """Render a full page or a partial with the shared context; never cached by the browser."""
    view = actor_view(actor) if actor is not None else None
    ctx: dict[str, Any] = {
        **common_context(),
        "request": request,
        "actor": view,
        "csrf": csrf,
        "csrf_header": CSRF_HEADER,
        "active": active,
        "nav": nav_for(view.role, inbox_count) if view else [],
        "messages": messages or [],
        "show_identity": bool(view and getattr(actor, "identifying", False)),
        "field_errors": {},  # field name -> what is wrong with it (a refused form)
        "values": {},  # field name -> what was typed (a refused form shows it again)
        **context,
    }
    lang = language_of(request)
    ctx.update(
        lang=lang,
        dir=i18n.LANGUAGES[lang].direction,
        languages=list(i18n.LANGUAGES.values()),
        country_options=i18n.country_options(lang),
    )
    ctx["first_error"] = next(iter(ctx["field_errors"]), None)
    html = _env(lang).get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Language"] = lang
    return response

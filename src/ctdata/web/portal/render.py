"""Rendering for the portal: its own Jinja2 environment, Markdown for release documentation, headers.

The portal does not share the case pages' renderer: it has no session, no CSRF
token and no actor, and it must not import anything that reaches the case store.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

import ctdata.web.i18n as i18n
from ctdata.text import Text

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: Everything from this origin only: the vendored Vega needs 'unsafe-eval' (its expression compiler)
#: and sets inline styles; nothing may load from another host.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
#: Published data changes only when a release is approved or withdrawn; a minute of caching is harmless.
CACHE_CONTROL = "public, max-age=60"


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

    def heading_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        # the document sits under the page's h2: shift its h1..h4 down by two levels
        tok = tokens[idx]
        tok.tag = f"h{min(int(tok.tag[1]) + 2, 6)}"
        return str(self.renderToken(tokens, idx, options, env))

    def heading_close(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tok = tokens[idx]
        tok.tag = f"h{min(int(tok.tag[1]) + 2, 6)}"
        return str(self.renderToken(tokens, idx, options, env))

    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    return md


_MD = _markdown()


def markdown(text: str) -> Markup:
    """Release documentation as HTML (raw HTML in the Markdown is escaped, not passed through)."""
    return Markup(_MD.render(text))  # noqa: S704 - markdown-it escapes everything with html=False


def _human_bytes(n: int, lang: str = "en") -> str:
    size = float(n)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            if unit == "bytes":
                return i18n.localise(Text("{n} bytes", n=int(size)), lang)
            return f"{format_decimal(round(size, 1), format='#,##0.0', locale=lang)} {unit}"
        size /= 1000
    return i18n.localise(Text("{n} bytes", n=n), lang)


@lru_cache(maxsize=8192)
def _cell_html(value: int | None, suppressed: str, k: int, tag: str, lang: str = "en") -> Markup:
    if suppressed == "below_k":
        title = escape(i18n.localise(Text("fewer than {k} records: suppressed", k=int(k)), lang))
        return Markup(  # noqa: S704 - an integer and escaped words of the catalogue
            f'<{tag} class="num sup"><abbr title="{title}">&lt;{i18n.number(int(k), lang)}</abbr></{tag}>'
        )
    if suppressed:
        title = escape(
            i18n.localise(Text("suppressed so that a small count cannot be worked out from the totals"), lang)
        )
        return Markup(f'<{tag} class="num sup"><abbr title="{title}">x</abbr></{tag}>')  # noqa: S704 - escaped
    return Markup(f'<{tag} class="num">{i18n.number(int(value or 0), lang)}</{tag}>')  # noqa: S704 - a number


def cell_html(cell: Any, k: int, tag: str = "td", lang: str = "en") -> Markup:
    """A table cell as HTML: the count, or the mark of a suppressed cell (what every table of the portal repeats).

    Python rather than a Jinja macro: a dashboard has a hundred or more cells, and a macro call costs
    ten times a cached lookup.
    """
    if tag not in ("td", "span"):
        raise ValueError(f"cell tag {tag!r}")
    return _cell_html(cell.value, cell.suppressed, k, tag, lang)


@lru_cache(maxsize=len(i18n.LANGUAGES))
def _env(lang: str = i18n.DEFAULT) -> Environment:
    """The portal's templates in one language: its catalogue, numbers, dates and country names in it."""
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
    env.filters["bytes"] = lambda n: _human_bytes(n, lang)
    env.filters["thousands"] = lambda n: i18n.number(int(n), lang)
    env.filters["day"] = lambda value: i18n.day(value, lang)
    env.filters["localise"] = lambda value: i18n.localise(value, lang)
    # a release's title in the language when it is one of the catalogue's (the default titles), else as the
    # data manager wrote it; unlike `_`, the answer is not marked safe, so a title is always escaped
    env.filters["tr"] = lambda value: i18n.translations(lang).gettext(str(value)) if value else ""
    # and in a <bdi>: a title in Latin letters keeps its own direction on an Arabic page
    env.filters["title"] = lambda value: Markup('<bdi class="release-title">{}</bdi>').format(
        i18n.translations(lang).gettext(str(value)) if value else ""
    )
    env.globals["zip"] = zip
    env.globals["cell_html"] = lambda cell, k, tag="td": cell_html(cell, k, tag, lang)
    env.globals["lang"] = lang
    env.globals["dir"] = i18n.LANGUAGES[lang].direction
    env.globals["languages"] = list(i18n.LANGUAGES.values())
    env.globals["format_locale"] = format_locale(lang)
    return env


def format_locale(lang: str) -> dict[str, Any]:
    """The numbers of the charts (Vega's d3-format locale) as the language writes them: its decimal
    sign and its grouping (1,234 · 1 234 · 1.234)."""
    return {
        "decimal": get_decimal_symbol(lang),
        "thousands": get_group_symbol(lang),
        "grouping": [3],
        "currency": ["", ""],
    }


def render_html(template: str, context: dict[str, Any], lang: str = i18n.DEFAULT) -> bytes:
    return _env(lang).get_template(template).render(context).encode("utf-8")


def etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


class ResponseCache:
    """Rendered bodies by key (release digest, registry state, path, cleaned filters); bounded LRU.

    Keys are built only from values the release actually has (unknown filter values are
    dropped before the key is made), so visitors cannot grow the cache without bound.
    """

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[bytes, str] | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
            return hit

    def put(self, key: tuple[Any, ...], body: bytes) -> tuple[bytes, str]:
        value = (body, etag(body))
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

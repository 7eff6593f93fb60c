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

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

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


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} bytes"


@lru_cache(maxsize=8192)
def _cell_html(value: int | None, suppressed: str, k: int, tag: str) -> Markup:
    if suppressed == "below_k":
        return Markup(  # noqa: S704 - only integers and fixed text
            f'<{tag} class="num sup"><abbr title="fewer than {int(k)} records: suppressed">&lt;{int(k)}</abbr></{tag}>'
        )
    if suppressed:
        return Markup(  # noqa: S704 - fixed text
            f'<{tag} class="num sup"><abbr title="suppressed so that a small count cannot be worked out from the '
            f'totals">x</abbr></{tag}>'
        )
    return Markup(f'<{tag} class="num">{int(value or 0):,}</{tag}>')  # noqa: S704 - an integer


def cell_html(cell: Any, k: int, tag: str = "td") -> Markup:
    """A table cell as HTML: the count, or the mark of a suppressed cell (what every table of the portal repeats).

    Python rather than a Jinja macro: a dashboard has a hundred or more cells, and a macro call costs
    ten times a cached lookup.
    """
    if tag not in ("td", "span"):
        raise ValueError(f"cell tag {tag!r}")
    return _cell_html(cell.value, cell.suppressed, k, tag)


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["bytes"] = _human_bytes
    env.filters["thousands"] = lambda n: f"{int(n):,}"
    env.globals["zip"] = zip
    env.globals["cell_html"] = cell_html
    return env


ENV = _env()


def render_html(template: str, context: dict[str, Any]) -> bytes:
    return ENV.get_template(template).render(context).encode("utf-8")


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

"""The languages of the case pages: English, French, Spanish and Arabic (right to left).

Why here, in one place: every page must be rendered in one language with the matching
``lang`` and ``dir``, country names and numbers must follow that language, and the choice
must be the same for every page of a visit. The language is the one the person chose
(the language switch, kept in a cookie), else the best match of the browser's
``Accept-Language`` (Babel's negotiation), else English.

The words are gettext catalogues (``locale/<lang>/LC_MESSAGES/messages.po``, made and
updated with ``pybabel extract -F babel.cfg`` and ``pybabel update``), read with Babel
and compiled in memory when first used, so the repository holds only the text files.
Strings in Python that a template translates (navigation, role names, error titles)
are marked with `N_` so extraction finds them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from ctdata.standard import countries

LOCALE_DIR = Path(__file__).with_name("locale")
COOKIE = "ctdata_lang"
DEFAULT = "en"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, for the switch
    direction: str  # ltr | rtl


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "ltr"),
    "fr": Language("fr", "Français", "ltr"),
    "es": Language("es", "Español", "ltr"),
    "ar": Language("ar", "العربية", "rtl"),
}


def N_(text: str) -> str:  # noqa: N802  (gettext's conventional name for "mark, translate later")
    """Mark a string for extraction; the template translates it when it renders."""
    return text


def choose(accept_language: str | None, chosen: str | None = None) -> str:
    """The page language: the person's choice when it is one we have, else the browser's best match."""
    if chosen in LANGUAGES:
        return chosen  # type: ignore[return-value]
    wanted = []
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        if not tag:
            continue
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        wanted.append((weight, tag.strip().replace("-", "_")))
    ordered = [tag for weight, tag in sorted(wanted, key=lambda w: -w[0]) if weight > 0]
    found = negotiate_locale(ordered, list(LANGUAGES), sep="_") if ordered else None
    if found is None:  # 'fr_CA' -> 'fr'
        found = next((t.split("_")[0] for t in ordered if t.split("_")[0] in LANGUAGES), None)
    return found or DEFAULT


@cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of a language, compiled in memory (English is the source text)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not po.is_file():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def country_name(code: str | None, lang: str) -> str:
    """A country's name in the language (CLDR's, through Babel); the standard's English name otherwise."""
    if not code or lang == DEFAULT:
        return countries.name(code)
    return Locale.parse(lang).territories.get(code) or countries.name(code)


@cache
def country_options(lang: str) -> list[tuple[str, str]]:
    """(code, name) of every country, in the language and sorted as its readers expect."""
    pairs = [(c, country_name(c, lang)) for c in countries.all_alpha2()]
    return sorted(pairs, key=lambda p: countries.collation_key(p[1]))


def number(value: float | int, lang: str) -> str:
    """A number with the language's grouping (1,234 · 1 234 · 1.234 · ١٬٢٣٤)."""
    return format_decimal(value, locale=lang)

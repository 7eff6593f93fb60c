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
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_time, get_month_names
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations
from markupsafe import Markup

from ctdata.standard import countries, regions
from ctdata.text import (
    WORDS,
    Country,
    Day,
    Join,
    Month,
    Plain,
    Region,
    Sentence,
    Terms,
    Text,
    as_sentence,
    lower_first,
)

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


def region_name(name: str | None, lang: str) -> str:
    """An area's name in the language: a UN M49 region or sub-region from CLDR (through its M49 code),
    a regional office or an office's region from the catalogue, a country code as `country_name`;
    a name known to neither is shown as it is (English)."""
    if not name or lang == DEFAULT:
        return name or ""
    if len(name) == 2 and name.isupper():
        return country_name(name, lang)
    code = regions.M49_AREA_CODES.get(name)
    if code is not None:
        found = Locale.parse(lang).territories.get(code)
        if found:
            return str(found)
    return translations(lang).gettext(name)


@cache
def country_options(lang: str) -> list[tuple[str, str]]:
    """(code, name) of every country, in the language and sorted as its readers expect."""
    pairs = [(c, country_name(c, lang)) for c in countries.all_alpha2()]
    return sorted(pairs, key=lambda p: countries.collation_key(p[1]))


def number(value: float | int, lang: str) -> str:
    """A number with the language's grouping (1,234 · 1 234 · 1.234 · ١٬٢٣٤)."""
    return format_decimal(value, locale=lang)


def percent(value: float | int, lang: str, digits: int = 0) -> str:
    """A share (0.25) as the language writes a percentage (25% · 25 % · 25 %), to `digits` decimals."""
    return format_percent(round(value, digits + 2), locale=lang, decimal_quantization=False)


def chance(p: float, lang: str) -> str:
    """A probability as a percentage: whole percents, one decimal near 0 and 1 (where 99% and 99.9% differ)."""
    return percent(p, lang, 0 if 0.01 <= p <= 0.99 else 1)


#: the locale whose calendar words a page's dates use ('3 Dec 2026' in English, as the field's offices write it)
DATE_LOCALE = {"en": "en_GB"}


def _as_date(value: Any) -> date | datetime | None:
    if isinstance(value, (date, datetime)):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return None
    return None


def day(value: Any, lang: str) -> str:
    """A date (or the day of a date-time, or an ISO string) as the language writes it: 3 Dec 2026 · 3 déc. 2026.

    A partial date ('1994-03', '1994') or anything else that is not a whole day is shown as it was recorded.
    """
    when = _as_date(value)
    if when is None:
        return "" if value is None else str(value)
    if isinstance(when, datetime):
        when = when.date()
    return format_date(when, format="medium", locale=DATE_LOCALE.get(lang, lang))


def moment(value: Any, lang: str) -> str:
    """A date and time to the minute as the language writes it; a bare date as `day`."""
    when = _as_date(value)
    if not isinstance(when, datetime):
        return day(value, lang)
    where = DATE_LOCALE.get(lang, lang)
    pattern = str(Locale.parse(where).datetime_formats["medium"])
    return pattern.replace("{1}", format_date(when, format="medium", locale=where)).replace(
        "{0}", format_time(when, format="short", locale=where))


def localise(value: Any, lang: str) -> Any:
    """Words made in Python (`ctdata.text`) in the language: the message id looked up in the catalogue,
    its parameters put in the language in their turn; anything else is returned as it is."""
    if isinstance(value, Text):
        tr = translations(lang).gettext(value.msgid)
        params = {k: localise(v, lang) for k, v in value.params.items()}
        try:
            return tr.format(**params) if params else tr
        except (KeyError, IndexError, ValueError):  # a broken translation must not lose the message
            return value.msgid.format(**params) if params else value.msgid
    if isinstance(value, Terms):
        words = [str(localise(x, lang)) if isinstance(x, WORDS) else translations(lang).gettext(x)
                 for x in value.labels]
        if value.lower:
            words = [lower_first(w) for w in words]
        return format_list(words, locale=lang) if words else ""
    if isinstance(value, Join):
        return value.sep.join(str(localise(p, lang)) for p in value.parts)
    if isinstance(value, Country):
        return country_name(value.code, lang)
    if isinstance(value, Region):
        return region_name(str(value), lang)
    if isinstance(value, Day):
        if value.spoken:
            return format_date(date.fromisoformat(value.iso), format="long", locale=DATE_LOCALE.get(lang, lang))
        return day(value.iso, lang)
    if isinstance(value, Month):
        return get_month_names("wide", locale=lang)[value.number]
    if isinstance(value, Sentence):
        return as_sentence(str(localise(value.inner, lang)))
    if isinstance(value, Plain):
        return str(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and lang != DEFAULT:
        return number(value, lang)
    return value


def gettext_for(lang: str) -> Any:
    """The templates' `_`: the catalogue's word for a plain string; a `Text` put in the language
    (escaped: its parameters may hold what a person typed, and jinja marks gettext's answer safe)."""
    tr = translations(lang)

    def gettext(message: str) -> str:
        if isinstance(message, WORDS):
            return Markup.escape(localise(message, lang))
        return tr.gettext(message)

    return gettext


def finalize_for(lang: str) -> Any:
    """What every `{{ ... }}` of a page passes through: words made in Python in the page's language."""

    def finalize(value: Any) -> Any:
        if isinstance(value, WORDS):
            return localise(value, lang)
        return value

    return finalize

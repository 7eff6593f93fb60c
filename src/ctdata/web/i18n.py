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
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
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
    MONTHS,
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
        if value.sentence and lang == DEFAULT:
            return str(value)  # 'the Philippines' inside an English sentence
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


_PARAM = re.compile(r"\{(\w+)\}")
_SPOKEN_DAY = re.compile(r"(\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4})")


@cache
def _catalogue_ids() -> tuple[frozenset[str], tuple[tuple[re.Pattern[str], str], ...]]:
    """The message ids of the catalogues: those without parameters, and those with, each as a pattern of
    the English sentence it makes (the most specific first: the longest fixed text)."""
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    plain: set[str] = set()
    patterns: list[tuple[int, re.Pattern[str], str]] = []
    for m in catalog:
        mid = m.id
        if not isinstance(mid, str) or not mid or "%(" in mid:
            continue
        parts = _PARAM.split(mid)  # fixed text, name, fixed text, name, ...
        fixed = "".join(parts[0::2])
        if len(parts) == 1:
            if "{" not in mid:
                plain.add(mid)
            continue
        if "{" in fixed or "}" in fixed or sum(c.isalpha() for c in fixed) < 4:
            continue  # a format this reading does not undo, or too little fixed text to tell sentences apart
        regex, seen = "", set()
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.escape(part)
            elif part in seen:
                regex += f"(?P={part})"
            else:
                seen.add(part)
                regex += f"(?P<{part}>.+?)"
        patterns.append((len(fixed), re.compile(regex + r"\Z", re.S), mid))
    patterns.sort(key=lambda t: -t[0])
    return frozenset(plain), tuple((p, mid) for _, p, mid in patterns)


def _param(value: str) -> str:
    """A parameter read back from an English sentence: a date or a month named in words, or a sentence of
    the catalogue, stays translatable; anything else (what a person typed, a code) is shown as it is."""
    day_ = _SPOKEN_DAY.fullmatch(value)
    if day_:
        iso = f"{day_[3]}-{MONTHS.index(day_[2]) + 1:02d}-{int(day_[1]):02d}"
        try:
            return Day(date.fromisoformat(iso).isoformat(), spoken=True)
        except ValueError:
            return value
    if value in MONTHS:
        return Month(MONTHS.index(value) + 1)
    return _sentence_of(value) or value


def _sentence_of(english: str) -> Text | None:
    """The `Text` whose English is exactly this sentence, or None."""
    plain, patterns = _catalogue_ids()
    if english in plain:
        return Text(english)
    for pattern, mid in patterns:
        m = pattern.match(english)
        if m is None:
            continue
        made = Text(mid, **{k: _param(v) for k, v in m.groupdict().items()})
        if str(made) == english:
            return made
    return None


def _part(english: str) -> str | None:
    """One problem of a reason: a sentence of the catalogue, or 'column: sentence'."""
    whole = _sentence_of(english)
    if whole is not None:
        return whole
    head, sep, problem = english.partition(": ")
    said = _sentence_of(problem) if sep and head and len(head) <= 80 else None
    if said is None:
        return None
    named = Text(head) if " " in head and head in _catalogue_ids()[0] else head  # a column's name stays as it is
    return Text("{column}: {problem}", column=named, problem=said)


@lru_cache(maxsize=8192)
def _reread(english: str) -> str:
    pieces = english.split("; ")
    out: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(i + 1, len(pieces) + 1):  # the fewest pieces: a parameter does not swallow the next problem
            got = _part("; ".join(pieces[i:j]))
            if got is not None:
                out.append(got)
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    if not any(isinstance(p, WORDS) for p in out):
        return english
    joined = out[-1]
    for part in reversed(out[:-1]):  # 'a; b; c' as the language writes a list of problems
        joined = Text("{one}; {other}", one=part, other=joined)
    return joined


def reread(english: Any) -> Any:
    """English words made in Python that lost their message id (kept as text: a quarantine row's reason in the
    store, a problem a rule across fields put in an f-string), read back into words a page translates.

    Why: a reason is stored in English, as the CLI and the audit show it; a page shows it in its reader's
    language. Each '; '-separated problem, alone or after its column ('sex: ...'), is matched against the
    catalogue's sentences, and its parameters put back (dates and months in words become dates again).
    What matches nothing is shown as it was. Words that are already translatable are returned as they are.
    """
    if not isinstance(english, str) or isinstance(english, WORDS) or not english:
        return english
    return _reread(str(english))


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

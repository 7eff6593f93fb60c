"""Countries: ISO 3166-1 alpha-2 inside, alpha-2/alpha-3/names accepted on input.

pycountry carries the ISO table, so no country list is written by hand here.
Partner files spell countries in many ways; `to_alpha2` resolves them once, at
the edge, so the rest of ctdata only ever sees two-letter codes.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from functools import cache, lru_cache
from importlib import resources

import pycountry

from ctdata.text import Country, Text

#: Codes that releases use for "unknown country".
UNKNOWN_CODES = frozenset({"", "00", "ZZ", "XX", "-99", "UNK", "XXX", "UNKNOWN", "N/A"})

# Codes used in the field that are not (or no longer) ISO 3166-1 alpha-2.
_EXTRA_ALPHA2 = {"XK": "Kosovo"}
_EXTRA_ALPHA3 = {"XKX": "XK", "RKS": "XK", "KOS": "XK"}
# Common spellings that pycountry's fuzzy search does not resolve.
_ALIASES = {
    "RUSSIA": "RU", "SYRIA": "SY", "IRAN": "IR", "LAOS": "LA", "VIETNAM": "VN", "VIET NAM": "VN",
    "SOUTH KOREA": "KR", "NORTH KOREA": "KP", "MOLDOVA": "MD", "TANZANIA": "TZ", "BOLIVIA": "BO",
    "VENEZUELA": "VE", "IVORY COAST": "CI", "COTE D'IVOIRE": "CI", "CÔTE D'IVOIRE": "CI",
    "CAPE VERDE": "CV", "CAMEROUN": "CM", "BURMA": "MM", "MYANMAR": "MM", "CONGO DR": "CD",
    "DR CONGO": "CD", "DRC": "CD", "DEMOCRATIC REPUBLIC OF THE CONGO": "CD", "REPUBLIC OF CONGO": "CG",
    "UK": "GB", "UNITED KINGDOM": "GB", "USA": "US", "UNITED STATES": "US", "KOSOVO": "XK",
    "TURKEY": "TR", "TÜRKIYE": "TR", "TURKIYE": "TR", "MACEDONIA": "MK", "SWAZILAND": "SZ",
    "CZECH REPUBLIC": "CZ", "PALESTINE": "PS", "BRUNEI": "BN", "MICRONESIA": "FM", "EAST TIMOR": "TL",
}


class UnknownCountry(ValueError):
    """Raised when a value names no country we know; the message says which value."""


def is_unknown(value: object) -> bool:
    return value is None or str(value).strip().upper() in UNKNOWN_CODES


@lru_cache(maxsize=4096)
def to_alpha2(value: str | None) -> str | None:
    """Resolve a code or name to ISO alpha-2; None for the unknown markers.

    Raises UnknownCountry for a value that is present but unrecognisable, so
    that importers can quarantine the row with a reason instead of guessing.
    """
    if value is None:
        return None
    text = str(value).strip()
    up = text.upper()
    if up in UNKNOWN_CODES:
        return None
    if len(up) == 2:
        if up in _EXTRA_ALPHA2 or pycountry.countries.get(alpha_2=up) is not None:
            return up
        raise UnknownCountry(Text("“{value}” is not a country code we know", value=text))
    if len(up) == 3 and up.isalpha():
        if up in _EXTRA_ALPHA3:
            return _EXTRA_ALPHA3[up]
        c = pycountry.countries.get(alpha_3=up)
        if c is not None:
            return c.alpha_2
    if up in _ALIASES:
        return _ALIASES[up]
    try:
        found = pycountry.countries.lookup(text)
        return found.alpha_2
    except LookupError:
        pass
    try:
        matches = pycountry.countries.search_fuzzy(text)
    except LookupError:
        matches = []
    if len(matches) == 1:
        return matches[0].alpha_2
    raise UnknownCountry(Text("“{value}” is not a country we know (give its name or its ISO code)", value=text))


def collation_key(text: str) -> tuple[str, str]:
    """Sort key of a name as a reader of a Latin alphabet expects: accents and case set aside.

    "Côte d'Ivoire" sorts among the C's, before "Czechia" (a plain sort puts "ô" after "z"),
    and "Åland Islands" among the A's. The name itself breaks ties, so the order is total.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)), text


#: Display names for the ISO names written with an inverted comma ("Congo, The Democratic Republic
#: of the"): in a list of countries such a name reads as two countries. UN M49 wording where it has one.
_NO_COMMA = {
    "BQ": "Caribbean Netherlands",
    "CD": "Democratic Republic of the Congo",
    "FM": "Micronesia (Federated States of)",
    "PS": "State of Palestine",
    "SH": "Saint Helena",
    "VG": "British Virgin Islands",
    "VI": "United States Virgin Islands",
}
_ALIASES.update({v.upper(): k for k, v in _NO_COMMA.items()})  # a displayed name reads back as its code


@lru_cache(maxsize=1024)
def name(alpha2: str | None) -> str:
    """Display name of a country code ('Unknown' when absent); never contains a comma (see _NO_COMMA)."""
    if not alpha2:
        return "Unknown"
    if alpha2 in _EXTRA_ALPHA2:
        return _EXTRA_ALPHA2[alpha2]
    if alpha2 in _NO_COMMA:
        return _NO_COMMA[alpha2]
    c = pycountry.countries.get(alpha_2=alpha2)
    if c is None:
        return alpha2
    return getattr(c, "common_name", None) or c.name


@lru_cache(maxsize=1024)
def alpha3(alpha2: str | None) -> str | None:
    if not alpha2:
        return None
    if alpha2 == "XK":
        return "XKX"
    c = pycountry.countries.get(alpha_2=alpha2)
    return c.alpha_3 if c else None


def all_alpha2() -> list[str]:
    return sorted([c.alpha_2 for c in pycountry.countries] + list(_EXTRA_ALPHA2))


@cache
def _in_sentences() -> dict[str, str]:
    """The table of names English writes with 'the' inside a sentence (data/country_names_in_sentences.csv)."""
    text = resources.files("ctdata.standard").joinpath("data", "country_names_in_sentences.csv").read_text("utf-8")
    return {r["alpha2"]: r["in_a_sentence"] for r in csv.DictReader(io.StringIO(text))}


def name_in_sentence(alpha2: str | None) -> str:
    """A country's English name as a sentence writes it: 'citizens of the Philippines', 'an office in the
    United States', but 'citizens of Thailand'.

    Why a table: which names take 'the' is a fact of English usage (plural names, unions, republics and
    kingdoms named as such), not something to work out from the words; the table is the one list, and a
    name missing from it is written as `name` writes it. A table cell or a list item keeps `name`."""
    return _in_sentences().get(alpha2 or "", name(alpha2))


def in_sentence(alpha2: str) -> Country:
    """A country named inside a sentence: English writes `name_in_sentence`, a page in another language
    names it in that language (`ctdata.web.i18n.localise`)."""
    return Country(alpha2, name_in_sentence(alpha2), sentence=True)

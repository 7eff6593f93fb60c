"""Regional offices (2011 annual report annex) and UN M49 regions per country.

Both tables ship as package data so that every figure broken down by region
uses the same, citable mapping: the regional-office table is the annex of the
2011 annual report (198 countries); the M49 table is the UN Statistics
Division's classification, extracted by scripts/make_m49.py.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

REGIONAL_OFFICES: tuple[str, ...] = (
    "Bangkok", "Brussels", "Buenos Aires", "Cairo", "Dakar", "Pretoria", "San Jose", "Vienna",
)


#: The UN M49 code of every region, sub-region and intermediate region the M49 table names (Antarctica:
#: its ISO code), so that a page can name an area in its reader's language from CLDR's territory names
#: (002 Afrique, 011 África Occidental) instead of a hand-written list of translations.
M49_AREA_CODES: dict[str, str] = {
    "Africa": "002", "Americas": "019", "Antarctica": "AQ", "Asia": "142", "Australia and New Zealand": "053",
    "Caribbean": "029", "Central America": "013", "Central Asia": "143", "Eastern Africa": "014",
    "Eastern Asia": "030", "Eastern Europe": "151", "Europe": "150", "Latin America and the Caribbean": "419",
    "Melanesia": "054", "Micronesia": "057", "Middle Africa": "017", "Northern Africa": "015",
    "Northern America": "021", "Northern Europe": "154", "Oceania": "009", "Polynesia": "061",
    "South America": "005", "South-eastern Asia": "035", "Southern Africa": "018", "Southern Asia": "034",
    "Southern Europe": "039", "Sub-Saharan Africa": "202", "Western Africa": "011", "Western Asia": "145",
    "Western Europe": "155",
}


@dataclass(frozen=True)
class RegionalOffice:
    iso2: str
    name_in_report: str
    regional_office: str
    region: str


@dataclass(frozen=True)
class M49:
    iso2: str
    m49_code: str
    region: str
    sub_region: str
    intermediate_region: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ctdata.standard").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def regional_office_table() -> dict[str, RegionalOffice]:
    return {r["iso2"]: RegionalOffice(**r) for r in _rows("iom_regional_offices_2011.csv")}


#: Territories the annex does not list, placed with the office covering the country named beside
#: them (CTDC records exploitation in Hong Kong, for example): Hong Kong and Macao with China,
#: the State of Palestine with Jordan, Réunion with Mauritius and Mayotte with the Comoros.
TERRITORIES: dict[str, str] = {"HK": "CN", "MO": "CN", "PS": "JO", "RE": "MU", "YT": "KM"}


@lru_cache(maxsize=1)
def m49_table() -> dict[str, M49]:
    return {r["iso2"]: M49(**r) for r in _rows("m49_regions.csv")}


def regional_office(alpha2: str | None) -> str | None:
    """Regional office covering a country (a territory: see TERRITORIES), or None when none covers it."""
    if not alpha2:
        return None
    row = regional_office_table().get(TERRITORIES.get(alpha2, alpha2))
    return row.regional_office if row else None


def regional_office_region(office: str) -> str:
    """The region a regional office covers, as the report names it."""
    for row in regional_office_table().values():
        if row.regional_office == office:
            return row.region
    raise KeyError(office)


def countries_of_office(office: str, territories: bool = False) -> list[str]:
    """The annex's countries of an office, and with ``territories`` the territories placed with it."""
    codes = [k for k, v in regional_office_table().items() if v.regional_office == office]
    if territories:
        codes += [t for t in TERRITORIES if regional_office(t) == office]
    return sorted(codes)


def m49_region(alpha2: str | None) -> str | None:
    row = m49_table().get(alpha2 or "")
    return row.region if row else None


def m49_sub_region(alpha2: str | None) -> str | None:
    row = m49_table().get(alpha2 or "")
    return row.sub_region if row else None


#: M49 region names -> the standard's `un_region` codes (Antarctica has no code: no one is a citizen of it).
_UN_REGION_CODES = {
    "Africa": "africa", "Americas": "americas", "Asia": "asia", "Europe": "europe", "Oceania": "oceania",
}


def un_region(alpha2: str | None) -> str | None:
    """The `un_region` code of a country (M49 region), or None when unknown."""
    return _UN_REGION_CODES.get(m49_region(alpha2) or "")


def comparable_region(code: str | None) -> str | None:
    """A region code as it can be compared with the public victim-perpetrator release, which merges the
    Americas and Oceania into one region: ``americas`` and ``oceania`` both read ``americas_oceania``.

    Every within-region comparison goes through this, so a victim from Peru and a perpetrator coded
    "Americas/Oceania" are in one region, as the release counts them."""
    if code in ("americas", "oceania"):
        return "americas_oceania"
    return code


def regions_of(regions: list[str] | None, citizenship: list[str] | None) -> list[str]:
    """The comparable regions of a person: those recorded, and those of their citizenships (sorted, unique)."""
    out = {comparable_region(r) for r in regions or []}
    out.update(comparable_region(un_region(c)) for c in citizenship or [])
    return sorted(r for r in out if r)

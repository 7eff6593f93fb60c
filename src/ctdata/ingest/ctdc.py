"""Map rows of a public CTDC release to the exchange template's record shape.

The generic reader yields raw rows (``dict[str, str | None]`` keyed by the
file's own header); the generic loader validates, encrypts and stores
template-shaped dicts. This module is the pure step in between:

    release = detect_release(header)          # once per file
    record = map_row(release, row, n, source)  # once per row; RowError -> quarantine

Why it is written the way it is:

- The header is matched once (ignoring case, whitespace, order and extra
  columns) and compiled into one closure per file, so that ``map_row`` does
  only dictionary look-ups: the loader calls it for up to a million rows.
- CTDC marks "unknown" in several ways across releases (empty, ``-99`` in
  case-management rows and ``Unknown`` in hotline rows of 2017-2020, ``00`` or
  ``ZZ`` for countries). All become ``None``. ``NA`` is Namibia in a country
  column and stays ``NA``; elsewhere it is a missing marker.
- A value that is none of the known codes or markers is not guessed at: the
  row raises :class:`RowError` naming the column and the value, and the
  loader quarantines it with that reason.
- A flag group (exploitation types, labour sectors, ...) gives the list of
  codes whose flag is 1; when no flag is 1 it is ``[]`` only if every flag
  of the group is an explicit 0, else ``None`` (unknown). This is also the
  2024 rule "empty counts as 0 only when another flag of the group is 1".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ctdata.errors import FileFormatError, ValidationError
from ctdata.ingest import ctdc_columns as cols
from ctdata.standard import countries
from ctdata.standard.template import RECORD_COLUMNS

__all__ = [
    "CtdcRelease", "RowError", "detect_release", "map_row", "map_perpetrators", "KANON", "SYNTHETIC_2024",
    "VICTIM_PERPETRATOR",
]

KANON = "kanon"
SYNTHETIC_2024 = "synthetic_2024"
VICTIM_PERPETRATOR = "victim_perpetrator_2022"
FORMAT_LABELS = {
    KANON: "CTDC k-anonymised global dataset (2017-2021, 63 columns)",
    SYNTHETIC_2024: "CTDC global synthetic dataset (2024+, 27 columns)",
    VICTIM_PERPETRATOR: "CTDC victim-perpetrator synthetic dataset (2022-12, 16 columns)",
}
AGENCY = "CTDC"


class RowError(ValidationError):
    """One row holds a value that no CTDC release uses; the row is quarantined, the import goes on."""

    def __init__(self, reason: str, column: str | None = None, value: object = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column
        self.value = value


_BAD: Any = object()  # "no such value" marker for dict look-ups
_NO_COLUMN: Any = object()  # row key of a column the header lacks: row.get() gives None


def _squash(text: str) -> str:
    """Case- and whitespace-free form used to match headers and tolerant values."""
    return "".join(text.split()).lower()


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


# --- value tables -------------------------------------------------------------------------------------

#: Spellings of "unknown" outside country columns ("NA" included: it is Namibia only in a country).
_MISSING = ("", "-99", "-99.0", "Unknown", "unknown", "UNKNOWN", "NA", "N/A", "n/a", "nan", "NaN", "null")
_MISSING_SET = frozenset(_MISSING)


class _Table:
    """A code table: exact spellings first (fast), then a case/space-insensitive retry (ASCII only)."""

    __slots__ = ("exact", "loose", "column", "expected")

    def __init__(self, column: str, terms: Mapping[str, object], expected: str) -> None:
        self.column = column
        self.expected = expected
        self.exact: dict[object, object] = {None: None}
        for marker in _MISSING:
            self.exact[marker] = None
        self.exact.update(terms)
        self.loose = {_squash(k): v for k, v in self.exact.items() if isinstance(k, str)}

    def slow(self, raw: object) -> object:
        text = raw if isinstance(raw, str) else str(raw)
        if text.isascii():
            got = self.loose.get(_squash(text), _BAD)
            if got is not _BAD:
                return got
        raise RowError(f"{self.column}: unexpected value {_shown(raw)} ({self.expected})", self.column, raw)


def _age_terms() -> dict[str, str]:
    terms: dict[str, str] = {}
    for lo, hi in ((0, 8), (9, 17), (18, 20), (21, 23), (24, 26), (27, 29), (30, 38), (39, 47)):
        code = f"{lo}-{hi}"
        for sep in ("--", "-", "\u2013", "to"):
            for a in {str(lo), f"{lo:02d}"}:
                for b in {str(hi), f"{hi:02d}"}:
                    terms[f"{a}{sep}{b}"] = code
    for spelled in ("48+", "48--", "48-", "48 and over", "48plus"):
        terms[spelled] = "48+"
    return terms


_TRANS = "transgender_nonconforming"
_GENDER = {
    "Female": "female",
    "Woman": "female",
    "Male": "male",
    "Man": "male",
    "Transgender/NonConforming": _TRANS,
    "Trans/Transgender/NonConforming": _TRANS,
    "Transgender/Non-Conforming": _TRANS,
    "Trans": _TRANS,
    "Transgender": _TRANS,
    "NonConforming": _TRANS,
    "Non-Conforming": _TRANS,
}
_FLAG = {
    "1": True,
    "0": False,
    "1.0": True,
    "0.0": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
}

_GENDER_T = _Table("gender", _GENDER, "expected Female/Woman, Male/Man, Transgender/NonConforming or empty")
_AGE_T = _Table("ageBroad", _age_terms(), "expected a CTDC band such as 0--8, 9--17, 48+ or empty")
_SOURCE_T = _Table(
    "Datasource",
    {"Case Management": "case_management", "Hotline": "hotline"},
    "expected Case Management, Hotline or empty",
)
_MAJORITY = {"Minor": True, "Adult": False}
_MAJORITY_T = _Table("majorityStatus", _MAJORITY, "expected Adult, Minor or empty")
_MAJORITY_EXPLOIT_T = _Table("majorityStatusAtExploit", _MAJORITY, "expected Adult, Minor or empty")
_CHILD_BANDS = {"0-8": True, "9-17": True}


def _country_table() -> dict[object, str | None]:
    """Every ISO alpha-2 and alpha-3 code (upper case) -> alpha-2; unknown markers -> None."""
    table: dict[object, str | None] = {None: None}
    for a2 in countries.all_alpha2():
        table[a2] = a2
        a3 = countries.alpha3(a2)
        if a3:
            table[a3] = a2
    for marker in countries.UNKNOWN_CODES | {"-99.0", "NAN", "NULL"}:
        table[marker] = None
    return table


_COUNTRY = _country_table()


def _country_slow(raw: object, column: str) -> str | None:
    text = raw if isinstance(raw, str) else str(raw)
    if text.isascii():
        got = _COUNTRY.get("".join(text.split()).upper(), _BAD)
        if got is not _BAD:
            return got
    raise RowError(
        f"{column}: unknown country code {_shown(raw)} (expected ISO alpha-2 or alpha-3, 00/ZZ or empty)",
        column,
        raw,
    )


_YEAR_MIN, _YEAR_MAX = 1950, 2100


def _year(raw: object, column: str) -> str | None:
    if raw is None:
        return None
    text = (raw if isinstance(raw, str) else str(raw)).strip()
    if text in _MISSING_SET:
        return None
    digits = text[:-2] if text.endswith(".0") else text  # a year read from a spreadsheet as a float
    if len(digits) == 4 and digits.isascii() and digits.isdigit() and _YEAR_MIN <= int(digits) <= _YEAR_MAX:
        return digits
    raise RowError(
        f"{column}: not a year: {_shown(raw)} (expected YYYY between {_YEAR_MIN} and {_YEAR_MAX} or empty)",
        column,
        raw,
    )


# --- compiled per-file mapping -------------------------------------------------------------------------

_BLANK: dict[str, Any] = {c.name: None for c in RECORD_COLUMNS}
_BLANK.update(agency=AGENCY, office_country=None, consent_research=True)

_Mapper = Callable[[Mapping[str, Any], int, str], dict[str, Any]]


class _FlagGroup:
    """One flag group of one file. Rows repeat a few flag patterns, so results are memoised per pattern."""

    __slots__ = ("keys", "tables", "codes", "cache")
    _CACHE_MAX = 4096

    def __init__(self, keys: Mapping[str, Any], pairs: Iterable[tuple[str, str]]) -> None:
        pairs = tuple(pairs)
        self.keys = tuple(keys.get(name, _NO_COLUMN) for name, _ in pairs)
        self.tables = tuple(_Table(name, _FLAG, "expected 1, 0 or empty") for name, _ in pairs)
        self.codes = tuple(code for _, code in pairs)
        self.cache: dict[tuple, tuple[str, ...] | None] = {}

    def read(self, get: Callable[[Any], Any]) -> list[str] | None:
        raw = tuple(map(get, self.keys))
        try:
            hit = self.cache[raw]
        except KeyError:
            hit = self._decide(raw)
            if len(self.cache) < self._CACHE_MAX:
                self.cache[raw] = hit
        except TypeError:  # an unhashable value: not a CTDC value, _decide names it
            hit = self._decide(raw)
        return None if hit is None else list(hit)

    def _decide(self, raw: tuple) -> tuple[str, ...] | None:
        found: list[str] = []
        unknown = False
        for value, table, code in zip(raw, self.tables, self.codes, strict=True):
            try:
                flag = table.exact.get(value, _BAD)
            except TypeError:
                flag = _BAD
            if flag is _BAD:
                flag = table.slow(value)
            if flag is True:
                found.append(code)
            elif flag is None:
                unknown = True
        if found:
            return tuple(found)
        return None if unknown else ()


def _code(table: _Table, raw: object) -> Any:
    try:
        got = table.exact.get(raw, _BAD)
    except TypeError:  # unhashable: certainly not a CTDC value
        got = _BAD
    return table.slow(raw) if got is _BAD else got


def _country(raw: object, column: str) -> str | None:
    try:
        got = _COUNTRY.get(raw, _BAD)
    except TypeError:
        got = _BAD
    return _country_slow(raw, column) if got is _BAD else got


def _compile(fmt: str, keys: Mapping[str, Any]) -> _Mapper:
    """Build the row function for one file's header: column keys resolved once, not per row."""
    if fmt == VICTIM_PERPETRATOR:
        return _compile_vp(keys)

    def key(name: str) -> Any:
        return keys.get(name, _NO_COLUMN)

    k_year, k_gender, k_age = key("yearOfRegistration"), key("gender"), key("ageBroad")
    k_cit, k_coe = key("citizenship"), key("CountryOfExploitation")
    if fmt == KANON:
        k_source, k_major, k_major_x = (
            key("Datasource"),
            key("majorityStatus"),
            key("majorityStatusAtExploit"),
        )
        groups = (
            cols.KANON_EXPLOITATION,
            cols.KANON_LABOUR,
            cols.KANON_SEX,
            cols.KANON_MEANS,
            cols.KANON_RECRUITER,
            cols.KANON_TACTICS,
        )
    else:
        k_source = k_major = k_major_x = _NO_COLUMN
        groups = (
            cols.SYNTHETIC_EXPLOITATION,
            cols.SYNTHETIC_LABOUR,
            cols.SYNTHETIC_SEX,
            cols.SYNTHETIC_MEANS,
            cols.SYNTHETIC_RECRUITER,
            (),  # no tactic in the synthetic release
        )
    expl, labour, sex, means, recruiter, tactics = (_FlagGroup(keys, g).read for g in groups)

    def map_one(row: Mapping[str, Any], row_number: int, source_id: str) -> dict[str, Any]:
        get = row.get
        out = _BLANK.copy()
        out["record_id"] = f"{source_id}:{row_number}"
        out["registration_date"] = _year(get(k_year), "yearOfRegistration")
        out["data_source"] = _code(_SOURCE_T, get(k_source))
        out["sex"] = _code(_GENDER_T, get(k_gender))
        band = out["age_band"] = _code(_AGE_T, get(k_age))
        child = _code(_MAJORITY_T, get(k_major))
        if child is None and band is not None:  # the band describes the person at registration too
            child = band in _CHILD_BANDS
        out["child_at_registration"] = child
        out["child_at_exploitation"] = _code(_MAJORITY_EXPLOIT_T, get(k_major_x))
        citizenship = _country(get(k_cit), "citizenship")
        out["citizenship"] = None if citizenship is None else [citizenship]
        out["country_of_exploitation"] = _country(get(k_coe), "CountryOfExploitation")
        out["exploitation_types"] = expl(get)
        out["labour_sectors"] = labour(get)
        out["sexual_exploitation_types"] = sex(get)
        out["means_of_control"] = means(get)
        out["recruiter_relation"] = recruiter(get)
        out["recruitment_tactics"] = tactics(get)
        return out

    return map_one


# --- the victim-perpetrator release -------------------------------------------------------------------

_VP_YEAR_T = _Table("yearRegister", cols.VP_YEARS, "expected a band such as 2014-2018, a year 2019 or 2020, or empty")
_VP_COO_T = _Table("UN_COO_Region", cols.VP_REGIONS, "expected Africa, Asia, Europe, Americas/Oceania or empty")
_VP_COE_T = _Table("UN_COE_Region", cols.VP_REGIONS, "expected Africa, Asia, Europe, Americas/Oceania or empty")
_VP_MULTI = (  # (column, template column of the perpetrator row, value table)
    ("IP_Gender", "sex", _Table("IP_Gender", _GENDER, "expected Female, Male or both joined with ';'")),
    ("IP_ageBroad", "age_band", _Table("IP_ageBroad", cols.VP_PERPETRATOR_AGE, "expected 0--29, 30--38, 39--47, 48+")),
    ("IP_citizen_UNRegion", "region",
     _Table("IP_citizen_UNRegion", cols.VP_REGIONS, "expected Africa, Asia, Europe, Americas/Oceania")),
    ("IP_Relation", "relation", _Table("IP_Relation", cols.VP_RELATION,
                                       "expected FamilyIntimatePartner, FriendAcquaintance, StrangerUnknownOther")),
    ("IP_PayMoney", "paid_money", _Table("IP_PayMoney", cols.VP_PAID, "expected Yes, No or both")),
)


def _codes(table: _Table, raw: object) -> str | None:
    """A ';'-joined value read part by part (None when every part is a missing marker)."""
    if raw is None:
        return None
    parts = [_code(table, p.strip()) for p in str(raw).split(";")]
    found = [p for p in dict.fromkeys(parts) if p is not None]
    return ";".join(found) if found else None


def _perpetrator_mapper(keys: Mapping[str, Any]) -> Callable[[Mapping[str, Any], int, str], dict[str, Any]]:
    """The grouped perpetrator row of one victim row (template columns of ``perpetrators``, as text)."""
    multi = [(keys.get(c, _NO_COLUMN), name, table) for c, name, table in _VP_MULTI]
    roles = _FlagGroup(keys, cols.VP_ROLES).read

    def map_one(row: Mapping[str, Any], row_number: int, source_id: str) -> dict[str, Any]:
        get = row.get
        out: dict[str, Any] = {"record_id": f"{source_id}:{row_number}", "grouped": "1"}
        for key, name, table in multi:
            out[name] = _codes(table, get(key))
        found = roles(get)
        out["roles"] = None if found is None else ";".join(found)
        return out

    return map_one


def _compile_vp(keys: Mapping[str, Any]) -> _Mapper:
    """Victim rows of the victim-perpetrator release; a row whose perpetrator columns hold a value the
    release does not use is refused whole (the victim and their perpetrators are loaded together)."""
    k_year, k_gender, k_major = keys.get("yearRegister", _NO_COLUMN), keys.get("gender"), keys.get("majorityStatus")
    k_coo, k_coe = keys.get("UN_COO_Region", _NO_COLUMN), keys.get("UN_COE_Region", _NO_COLUMN)
    expl = _FlagGroup(keys, cols.VP_EXPLOITATION).read
    perpetrators = _perpetrator_mapper(keys)

    def map_one(row: Mapping[str, Any], row_number: int, source_id: str) -> dict[str, Any]:
        get = row.get
        out = _BLANK.copy()
        out["record_id"] = f"{source_id}:{row_number}"
        out["registration_date"] = _code(_VP_YEAR_T, get(k_year))
        out["data_source"] = "case_management"
        out["sex"] = _code(_GENDER_T, get(k_gender if k_gender is not None else _NO_COLUMN))
        out["child_at_registration"] = _code(_MAJORITY_T, get(k_major if k_major is not None else _NO_COLUMN))
        out["origin_region"] = _code(_VP_COO_T, get(k_coo))
        out["exploitation_region"] = _code(_VP_COE_T, get(k_coe))
        out["exploitation_types"] = expl(get)
        perpetrators(row, row_number, source_id)  # its errors refuse the row
        return out

    return map_one


def map_perpetrators(release: CtdcRelease, row: Mapping[str, Any], row_number: int, source_id: str) -> dict:
    """The grouped perpetrator row (template columns of ``perpetrators``) of one victim-perpetrator row."""
    if release.format != VICTIM_PERPETRATOR:
        raise ValueError(f"a {release.label} has no perpetrator columns")
    return _perpetrator_mapper(release.columns)(row, row_number, source_id)


# --- header detection -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CtdcRelease:
    """A recognised CTDC file format, bound to one file's header spelling.

    ``columns`` maps each CTDC column name (as CTDC spells it) to the header
    name found in the file; ``absent`` lists known optional columns the file
    lacks (read as unknown).
    """

    format: str
    columns: Mapping[str, str]
    absent: tuple[str, ...] = ()
    _mapper: _Mapper = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.format not in FORMAT_LABELS:
            raise ValueError(f"unknown CTDC format {self.format!r}")
        if self._mapper is None:  # built by hand (e.g. from saved import settings): compile now
            object.__setattr__(self, "_mapper", _compile(self.format, self.columns))

    @property
    def label(self) -> str:
        return FORMAT_LABELS[self.format]


_FORMATS = (
    (KANON, cols.KANON_HEADER, cols.KANON_REQUIRED),
    (SYNTHETIC_2024, cols.SYNTHETIC_HEADER, cols.SYNTHETIC_REQUIRED),
    (VICTIM_PERPETRATOR, cols.VP_HEADER, cols.VP_REQUIRED),
)


def detect_release(columns: list[str]) -> CtdcRelease:
    """Recognise the CTDC format from a header; FileFormatError naming missing columns when neither fits."""
    found: dict[str, str] = {}
    for name in columns:
        if isinstance(name, str):
            found.setdefault(_squash(name.replace("\ufeff", "")), name)
    for alias, canonical in cols.ALIASES.items():
        if _squash(alias) in found:
            found.setdefault(_squash(canonical), found[_squash(alias)])

    best: tuple[str, list[str]] | None = None
    for fmt, header, required in _FORMATS:
        missing = [c for c in required if _squash(c) not in found]
        if not missing:
            keys = {c: found[_squash(c)] for c in header if _squash(c) in found}
            absent = tuple(c for c in header if c not in keys)
            return CtdcRelease(fmt, keys, absent)
        if best is None or len(missing) < len(best[1]):
            best = (fmt, missing)
    assert best is not None
    fmt, missing = best
    raise FileFormatError(
        f"not a CTDC release: the header lacks {len(missing)} column(s) of the {FORMAT_LABELS[fmt]}: "
        + ", ".join(missing)
    )


def map_row(release: CtdcRelease, row: Mapping[str, str | None], row_number: int, source_id: str) -> dict:
    """One raw CTDC row -> one template-shaped record dict (keys from RECORD_COLUMNS).

    Raises RowError (a ValidationError) naming the column and value when a
    field holds something no CTDC release uses.
    """
    return release._mapper(row, row_number, source_id)

"""Ages and child flags derived from what a record knows, by the counting rules of DESIGN.md section 5.

One rule for every way a record enters the store: the import pipeline's prepare
stage and the case services' registration and update both call `derive_values`.
A partial date of birth often still settles the age band or the side of 18
(born in 1996, registered in March 2024: 27 or 28, so 27-29 and an adult).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ctdata.standard.dates import PartialDate, parse_partial_date
from ctdata.standard.vocab import age_band


@lru_cache(maxsize=65536)
def _pdate(text: str | None, field: str) -> PartialDate | None:
    return parse_partial_date(text, field=field)


Ymd = tuple[int, int, int]


@lru_cache(maxsize=262144)
def _bounds(text: str, field: str) -> tuple[int, Ymd, Ymd] | None:
    """Year, earliest and latest day of a partial date, as tuples (cheap to compare)."""
    d = _pdate(text, field)
    if d is None:
        return None
    lo, hi = d.earliest, d.latest
    return d.year, (lo.year, lo.month, lo.day), (hi.year, hi.month, hi.day)


def _age(b: Ymd, d: Ymd) -> int:
    return d[0] - b[0] - ((d[1], d[2]) < (b[1], b[2]))


_CHILD_BANDS = ("0-8", "9-17")


def derive_values(
    registration_date: str | None,
    date_of_birth: str | None,
    age_reg: int | None,
    band: str | None,
    child_reg: bool | None,
    age_exp: int | None,
    child_exp: bool | None,
) -> tuple[Any, ...]:
    """`derive` on plain values: (registration_year, age_at_registration, age_band,
    child_at_registration, age_at_exploitation, child_at_exploitation)."""
    reg = _bounds(registration_date, "registration_date") if registration_date else None
    lo = hi = age_reg
    if age_reg is None and date_of_birth and reg is not None:
        dob = _bounds(date_of_birth, "date_of_birth")
        if dob is not None:
            # age_range(dob, reg): youngest = latest birth at the earliest date, oldest the other way round
            lo, hi = _age(dob[2], reg[1]), _age(dob[1], reg[2])
            age_reg = lo if lo == hi else None
    # A partial date of birth often still settles the band or the side of 18.
    band = band or age_band(age_reg)
    if band is None and lo is not None and age_band(lo) == age_band(hi):
        band = age_band(lo)
    if lo is not None and (hi < 18 or lo >= 18):  # type: ignore[operator]
        child_reg = hi < 18  # type: ignore[operator]
    elif child_reg is None and band is not None:
        child_reg = band in _CHILD_BANDS
    if age_exp is not None:
        child_exp = age_exp < 18
    return (reg[0] if reg else None, age_reg, band, child_reg, age_exp, child_exp)


DERIVED = (
    "registration_year",
    "age_at_registration",
    "age_band",
    "child_at_registration",
    "age_at_exploitation",
    "child_at_exploitation",
)


def derive(row: dict[str, Any]) -> dict[str, Any]:
    """Ages and child flags from what the row knows, by the counting rules of DESIGN.md section 5."""
    got = derive_values(
        row.get("registration_date"),
        row.get("date_of_birth"),
        row.get("age_at_registration"),
        row.get("age_band"),
        row.get("child_at_registration"),
        row.get("age_at_exploitation"),
        row.get("child_at_exploitation"),
    )
    return dict(zip(DERIVED, got, strict=True))

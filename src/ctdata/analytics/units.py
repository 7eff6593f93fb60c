"""What a figure counts, and how its shares treat unknown values: one rule each, used by every caller.

Counting units. A case record is one registration of one person by one office.
Most are *instances of assistance* (case management), but a partner's
hotline also registers *reports* of a situation, which are not assistance:
in the CTDC 2019 data 19,365 of 21,312 records are hotline reports. So the
unit of a count of case records is decided from the records counted
(:func:`record_unit`): instances of assistance when none is a hotline report,
hotline reports when all are, and "case records" naming both otherwise.
People assisted to return (:data:`RETURNEES`) are counted once per person:
by linked individual when linkage has run, else once per travelled return.

Shares. By default a share is of the records with a known value and the
unknown count is printed beside it (:data:`ShareBase.KNOWN`, DESIGN section 5).
The published annual report puts the unknowns in the denominator instead
("70% adults, 5% minors, 25% unknown"): :data:`ShareBase.ALL`. :func:`share`
is the one place either is computed; :func:`shares_phrase` writes the
report's sentence with the unknown share last.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from ctdata.standard.units import (  # noqa: F401 - the unit names, re-exported for analytics' callers
    CASE_RECORDS,
    HOTLINE,
    HOTLINE_REPORTS,
    INDIVIDUALS,
    INSTANCES,
    MIXED_RECORDS,
    RETURNEES,
    RETURNS,
    counted,
    unit_of,
)


class ShareBase(StrEnum):
    """The denominator of a share: records with a known value, or all records (unknowns included)."""

    KNOWN = "known"
    ALL = "all"


def record_unit(records: int, hotline: int) -> str:
    """The unit of a count of ``records`` case records of which ``hotline`` are hotline reports."""
    if hotline <= 0 or records <= 0:
        return INSTANCES
    if hotline >= records:
        return HOTLINE_REPORTS
    return MIXED_RECORDS


def is_record_unit(unit: str) -> bool:
    """Whether ``unit`` is one of the units of case records (so it may be refined by :func:`record_unit`)."""
    return unit in (INSTANCES, HOTLINE_REPORTS, MIXED_RECORDS)


def share(count: float, known: float, unknown: float, base: ShareBase = ShareBase.KNOWN) -> float | None:
    """``count`` as a share of the known records (default) or of all records; None when the base is 0."""
    denominator = known if ShareBase(base) is ShareBase.KNOWN else known + unknown
    return count / denominator if denominator else None


def percent(v: float | None) -> str:
    """A share as a whole percentage; a share above 0 that rounds to 0 reads '<1%', never '0%'."""
    if v is None:
        return "n/a"
    if 0 < v < 0.005:
        return "<1%"
    return f"{v * 100:.0f}%"


_pct = percent


def shares_phrase(
    items: Iterable[tuple[str, float]], known: float, unknown: float, base: ShareBase = ShareBase.ALL
) -> str:
    """'70% adults, 5% minors, 25% unknown' (ALL) or '93% adults, 7% minors (25 unknown)' (KNOWN).

    ``items`` are (label, count) pairs of known values, in the order to print.
    """
    parts = [f"{_pct(share(c, known, unknown, base))} {label}" for label, c in items]
    if ShareBase(base) is ShareBase.ALL:
        if unknown:
            parts.append(f"{_pct(share(unknown, known, unknown, base))} unknown")
        return ", ".join(parts)
    return ", ".join(parts) + (f" ({unknown:,.0f} unknown)" if unknown else "")

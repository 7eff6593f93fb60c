"""Partial dates: YYYY, YYYY-MM or YYYY-MM-DD.

Case records often know only the year of birth or the month of registration.
Keeping the precision explicit (instead of inventing 1 January) lets linkage
compare what is known and lets age rules say "unknown" honestly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from ctdata.errors import ValidationError

_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y")


@dataclass(frozen=True, order=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def earliest(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> date:
        if self.month is None:
            return date(self.year, 12, 31)
        if self.day is None:
            nxt = date(self.year + (self.month == 12), self.month % 12 + 1, 1)
            return date.fromordinal(nxt.toordinal() - 1)
        return date(self.year, self.month, self.day)


def parse_partial_date(value: object, *, field: str = "date") -> PartialDate | None:
    """Parse a partial date; None for empty; ValidationError naming the field otherwise."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return PartialDate(value.year, value.month, value.day)
    text = str(value).strip()
    if not text:
        return None
    if "T" in text or " " in text:
        text = text.replace("T", " ").split(" ")[0]
    m = _RE.match(text)
    if m is None:
        for fmt in _FORMATS:
            try:
                d = datetime.strptime(text, fmt).date()
                return PartialDate(d.year, d.month, d.day)
            except ValueError:
                continue
        raise ValidationError(f"{field}: {text!r} is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    if not 1900 <= y <= 2100:
        raise ValidationError(f"{field}: year {y} is out of range 1900-2100")
    try:
        if d is not None:
            date(y, int(mo), int(d))
            return PartialDate(y, int(mo), int(d))
        if mo is not None:
            if not 1 <= int(mo) <= 12:
                raise ValueError
            return PartialDate(y, int(mo))
    except ValueError:
        raise ValidationError(f"{field}: {text!r} is not a valid calendar date") from None
    return PartialDate(y)


def age_on(birth: PartialDate | None, on: date | PartialDate | None) -> int | None:
    """Completed years at a date, or None when the partial dates leave it ambiguous.

    A person is N on their N-th birthday. When either date is partial, the age
    is known only if the earliest and latest possible ages agree.
    """
    if birth is None or on is None:
        return None
    if isinstance(on, PartialDate):
        on_lo, on_hi = on.earliest, on.latest
    else:
        on_lo = on_hi = on

    def _age(b: date, d: date) -> int:
        return d.year - b.year - ((d.month, d.day) < (b.month, b.day))

    lo = _age(birth.latest, on_lo)
    hi = _age(birth.earliest, on_hi)
    return lo if lo == hi else None


def age_range(birth: PartialDate | None, on: date | PartialDate | None) -> tuple[int, int] | None:
    """The smallest and largest possible completed ages, for rules that only need a bound."""
    if birth is None or on is None:
        return None
    on_lo, on_hi = (on.earliest, on.latest) if isinstance(on, PartialDate) else (on, on)

    def _age(b: date, d: date) -> int:
        return d.year - b.year - ((d.month, d.day) < (b.month, b.day))

    return _age(birth.latest, on_lo), _age(birth.earliest, on_hi)

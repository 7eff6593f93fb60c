"""Partial dates: YYYY, YYYY-MM or YYYY-MM-DD, and the one rule for reading a typed date.

Case records often know only the year of birth or the month of registration.
Keeping the precision explicit (instead of inventing 1 January) lets linkage
compare what is known and lets age rules say "unknown" honestly.

Reading a typed date (`parse_partial_date`, used by the models, the forms, the
importers and the services alike): ISO forms are read as they are. Day and month
written with slashes, dots or dashes before the year (``31/01/1994``) are read
day first, as the offices write them, when only one reading is a date in the
calendar or both readings are the same day (``05/05/1994``). When both readings are
dates and differ (``03/04/1994``: 3 April or 4 March?), the date is not guessed:
the error asks which one was meant and says how to write each. Errors are
sentences for the person who typed the value (`ValidationError.fields`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from ctdata.errors import ValidationError
from ctdata.text import Day, Month, Plain, Text, words_of

_RE = re.compile(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?$")
#: day and month (in either order) before a four-digit year, separated by / . or -
_DMY = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")
YEARS = (1900, 2100)
WHOLE_DATE = Text("write it as day/month/year (31/01/1994) or year-month-day (1994-01-31)")
HOW_TO_WRITE = Text("write it as day/month/year (31/01/1994), year-month-day (1994-01-31), year-month (1994-01) "
                    "or the year alone")


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


def _spoken(d: date) -> Day:
    """'3 April 1994': a date no reader can take the wrong way round."""
    return Day(d.isoformat(), spoken=True)


def _calendar(y: int, mo: int, d: int) -> date | None:
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _day_first(m: re.Match[str], text: str) -> PartialDate:
    """``dd/mm/yyyy`` read day first when that is the only reading (or both are the same day)."""
    a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
    _check_year(y, text)
    day_first, month_first = _calendar(y, b, a), _calendar(y, a, b)
    if day_first and month_first and day_first != month_first:
        raise ValueError(Text(
            "“{text}” could be {one} or {other}: which is it? Write {one_iso} for {one} or {other_iso} for {other}",
            text=text, one=_spoken(day_first), other=_spoken(month_first),
            one_iso=Plain(day_first.isoformat()), other_iso=Plain(month_first.isoformat()),
        ))
    found = day_first or month_first
    if found is None:
        raise ValueError(_no_such_day(y, b, a, text) if 1 <= b <= 12 else _not_a_date(text))
    return PartialDate(found.year, found.month, found.day)


def _no_such_day(y: int, mo: int, d: int, text: str) -> str:
    return Text("there is no {day} {month} {year} (“{text}” is not a date in the calendar)",
                day=Plain(d), month=Month(mo), year=Plain(y), text=text)


def _not_a_date(text: str) -> Text:
    return Text("“{text}” is not a date: {how}", text=text, how=HOW_TO_WRITE)


def _check_year(y: int, text: str) -> None:
    if not YEARS[0] <= y <= YEARS[1]:
        raise ValueError(Text("the year {year} in “{text}” cannot be right: a date here is between {first} and {last}",
                              year=Plain(y), text=text, first=Plain(YEARS[0]), last=Plain(YEARS[1])))


def _read(text: str) -> PartialDate:
    """The one reading of a typed date; ValueError (a sentence for the typist) when there is none."""
    m = _DMY.match(text)
    if m is not None:
        return _day_first(m, text)
    m = _RE.match(text)
    if m is None:
        raise ValueError(_not_a_date(text))
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    _check_year(y, text)
    if mo is not None and not 1 <= int(mo) <= 12:
        raise ValueError(Text("“{text}” is not a date: there is no month {month}", text=text, month=Plain(int(mo))))
    if d is not None:
        if _calendar(y, int(mo), int(d)) is None:  # type: ignore[arg-type]
            raise ValueError(_no_such_day(y, int(mo), int(d), text))  # type: ignore[arg-type]
        return PartialDate(y, int(mo), int(d))  # type: ignore[arg-type]
    return PartialDate(y, int(mo)) if mo is not None else PartialDate(y)


def parse_partial_date(value: object, *, field: str = "date") -> PartialDate | None:
    """Parse a partial date; None for empty; ValidationError naming the field otherwise (see the module)."""
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
    try:
        return _read(text)
    except ValueError as exc:
        raise ValidationError.at(field, words_of(exc)) from None


def parse_full_date(value: object, *, field: str = "date") -> date | None:
    """A whole date (day, month and year) by the same reading; None for empty."""
    d = parse_partial_date(value, field=field)
    if d is None:
        return None
    if d.day is None:
        raise ValidationError.at(field, Text("“{date}” needs the day as well: {how}", date=str(d), how=WHOLE_DATE))
    return d.earliest


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

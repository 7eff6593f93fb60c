"""Age at exploitation from a full or partial date of birth.

Why a module of its own: whether the person was a child at exploitation decides
which Protocol test applies (a child needs no means), and case files often hold
only a birth year or month. A partial date gives a range of possible ages; when
that range straddles 18 the honest answer is "unknown", never a guess.

Birthdays are exact: a person is 18 on their 18th birthday, not the day after.
A person born on 29 February turns a year older on 1 March in common years
(their birthday has not yet come on 28 February).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from ctdata.errors import ValidationError

ADULT_AGE = 18
MAX_AGE = 130

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_range(value: str | date, what: str = "date") -> tuple[date, date]:
    """Earliest and latest day a full or partial ISO date ("2001", "2001-05", "2001-05-17") can mean."""
    if isinstance(value, date):
        return value, value
    text = str(value).strip()
    match = _PARTIAL.match(text)
    if not match:
        raise ValidationError(f"{what} {value!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        exact = date(year, month, day)
    except ValueError:
        raise ValidationError(f"{what} {value!r} is not a real calendar date") from None
    return exact, exact


def age_on(born: date, on: date) -> int:
    """Completed years of life on a day; the age goes up on the birthday itself."""
    if on < born:
        raise ValidationError(f"the date {on.isoformat()} is before the date of birth {born.isoformat()}")
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_range(date_of_birth: str | date, on: str | date) -> tuple[int, int]:
    """Youngest and oldest age consistent with a (possibly partial) birth date and event date."""
    born_first, born_last = date_range(date_of_birth, "date of birth")
    on_first, on_last = date_range(on, "exploitation date")
    if on_last < born_first:
        raise ValidationError(
            f"exploitation date {on} is before the date of birth {date_of_birth}; check both dates"
        )
    youngest = age_on(born_last, on_first) if on_first >= born_last else 0
    oldest = age_on(born_first, on_last)
    if youngest > MAX_AGE:
        raise ValidationError(f"date of birth {date_of_birth} gives an age over {MAX_AGE}; check the year")
    return youngest, oldest


def child_at(date_of_birth: str | date | None, on: str | date | None) -> bool | None:
    """True if certainly under 18 on the day, False if certainly 18 or over, None if unknown."""
    if date_of_birth is None or on is None:
        return None
    youngest, oldest = age_range(date_of_birth, on)
    if oldest < ADULT_AGE:
        return True
    if youngest >= ADULT_AGE:
        return False
    return None


def from_dob(date_of_birth: str | date | None, exploitation_date: str | date | None) -> int | None:
    """Age at exploitation for `ScreeningInput.age_at_exploitation`, or None when it is not safe to say.

    Returns the youngest age consistent with the dates. When the dates are partial
    the age may be a year or so low, but it is always on the right side of 18; when
    the dates cannot tell a child from an adult (the range straddles 18), or either
    date is missing, it returns None (unknown), so the screening applies the adult
    test and says that recording the age could change the result.
    """
    if date_of_birth is None or exploitation_date is None:
        return None
    youngest, oldest = age_range(date_of_birth, exploitation_date)
    if youngest < ADULT_AGE <= oldest:
        return None
    return youngest

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
from ctdata.text import Day, Text

ADULT_AGE = 18
MAX_AGE = 130

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_range(value: str | date, what: str = Text("date")) -> tuple[date, date]:
    """Earliest and latest day a full or partial ISO date ("2001", "2001-05", "2001-05-17") can mean.

    The refusals are `Text` (English for the CLI and the API, the page's language on a page); `what` names
    the date in them, as a `Text` when a page should translate it too.
    """
    if isinstance(value, date):
        return value, value
    text = str(value).strip()
    match = _PARTIAL.match(text)
    if not match:
        raise ValidationError(Text("{what} {value} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD",
                                   what=what, value=repr(value)))
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        exact = date(year, month, day)
    except ValueError:
        raise ValidationError(Text("{what} {value} is not a real calendar date", what=what,
                                   value=repr(value))) from None
    return exact, exact


def _day(value: str | date) -> Day:
    """A full or partial date inside a sentence: its ISO text in English, a whole day as the page's language
    writes it (a partial one as it was recorded)."""
    return Day(value.isoformat() if isinstance(value, date) else str(value).strip())


def age_on(born: date, on: date) -> int:
    """Completed years of life on a day; the age goes up on the birthday itself."""
    if on < born:
        raise ValidationError(Text("the date {on} is before the date of birth {born}", on=_day(on), born=_day(born)))
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_range(date_of_birth: str | date, on: str | date) -> tuple[int, int]:
    """Youngest and oldest age consistent with a (possibly partial) birth date and event date."""
    born_first, born_last = date_range(date_of_birth, Text("date of birth"))
    on_first, on_last = date_range(on, Text("exploitation date"))
    if on_last < born_first:
        raise ValidationError(Text("exploitation date {on} is before the date of birth {born}; check both dates",
                                   on=_day(on), born=_day(date_of_birth)))
    youngest = age_on(born_last, on_first) if on_first >= born_last else 0
    oldest = age_on(born_first, on_last)
    if youngest > MAX_AGE:
        raise ValidationError(Text("date of birth {born} gives an age over {maximum}; check the year",
                                   born=_day(date_of_birth), maximum=MAX_AGE))
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

"""Age at exploitation: exact birthdays, 29 February, partial dates and the straddle-18 rule."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ctdata.errors import ValidationError
from ctdata.screening import age_on, age_range, child_at, date_range, from_dob


def birthday(born: date, year: int) -> date:
    """The day the person has a birthday in `year`; 29 Feb falls on 1 Mar in common years."""
    if born.month == 2 and born.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date(year, born.month, born.day)


def oracle_age(born: date, on: date) -> int:
    """Count the birthdays that have come by `on` (a different method from the engine's)."""
    n = 0
    while birthday(born, born.year + n + 1) <= on:
        n += 1
    return n


dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


@settings(max_examples=300, deadline=None)
@given(dates, st.integers(0, 100), st.integers(-400, 400))
def test_age_on_matches_counting_birthdays(born, years, days):
    on = birthday(born, min(born.year + years, 2099)) + timedelta(days=days)
    assume(on >= born)
    assert age_on(born, on) == oracle_age(born, on)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2080, 12, 31)))
def test_a_person_is_18_on_their_18th_birthday_and_17_the_day_before(born):
    eighteenth = birthday(born, born.year + 18)
    assert age_on(born, eighteenth) == 18
    assert age_on(born, eighteenth - timedelta(days=1)) == 17
    assert from_dob(born.isoformat(), eighteenth.isoformat()) == 18
    assert from_dob(born.isoformat(), (eighteenth - timedelta(days=1)).isoformat()) == 17
    assert child_at(born, eighteenth) is False
    assert child_at(born, eighteenth - timedelta(days=1)) is True


def test_leap_day_birthdays():
    assert age_on(date(2004, 2, 29), date(2022, 2, 28)) == 17
    assert age_on(date(2004, 2, 29), date(2022, 3, 1)) == 18
    assert age_on(date(2000, 2, 29), date(2024, 2, 29)) == 24


def test_partial_dates_give_ranges():
    assert date_range("2001") == (date(2001, 1, 1), date(2001, 12, 31))
    assert date_range("2004-02") == (date(2004, 2, 1), date(2004, 2, 29))
    assert date_range("2001-05-17") == (date(2001, 5, 17), date(2001, 5, 17))
    assert age_range("2000", "2018-06-01") == (17, 18)
    assert age_range("2000", "2019-01-01") == (18, 19)
    assert age_range("2000-06", "2018") == (17, 18)


def test_from_dob_is_unknown_when_the_range_straddles_18():
    assert from_dob("2000", "2018-06-01") is None
    assert from_dob("2000", "2019-01-01") == 18
    assert from_dob("2000", "2017-12-31") == 17
    assert from_dob("2000-06", "2018-06-15") is None
    assert from_dob("1980", "2020") == 39
    assert from_dob(None, "2020-01-01") is None
    assert from_dob("2000-01-01", None) is None
    assert child_at(None, "2020") is None
    assert child_at("2000", "2018-06-01") is None


partial_dob = st.one_of(
    st.integers(1950, 2020).map(str),
    st.tuples(st.integers(1950, 2020), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
    st.dates(min_value=date(1950, 1, 1), max_value=date(2020, 12, 31)).map(date.isoformat),
)


@settings(max_examples=150, deadline=None)
@given(partial_dob, st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31)))
def test_from_dob_agrees_with_every_full_date_the_partial_one_allows(dob, on):
    first, last = date_range(dob)
    assume(on >= first)
    candidates = [first + timedelta(days=i) for i in range((min(last, on) - first).days + 1)]
    ages = {age_on(b, on) for b in candidates}
    assert age_range(dob, on) == (min(ages), max(ages))
    statuses = {a < 18 for a in ages}
    result = from_dob(dob, on.isoformat())
    if len(statuses) == 2:
        assert result is None
        assert child_at(dob, on) is None
    else:
        assert result is not None and result == min(ages)
        assert (result < 18) == statuses.pop() == child_at(dob, on)


@pytest.mark.parametrize("bad", ["2001-13", "2001-02-30", "01-02-2001", "20011", "", "soon"])
def test_bad_dates_are_rejected_with_the_value_named(bad):
    with pytest.raises(ValidationError, match="date"):
        date_range(bad)


def test_exploitation_before_birth_is_rejected():
    with pytest.raises(ValidationError, match="before the date of birth"):
        from_dob("2010-05-01", "2009-12-31")
    with pytest.raises(ValidationError, match="before the date of birth"):
        age_on(date(2010, 5, 1), date(2010, 4, 30))


def test_implausible_age_is_rejected():
    with pytest.raises(ValidationError, match="over 130"):
        from_dob("1800", "2020")

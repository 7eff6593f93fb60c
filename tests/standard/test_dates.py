"""The one reading of a typed date: day first when only one reading is a date, a question when two are."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctdata.errors import ValidationError
from ctdata.standard.dates import PartialDate, parse_full_date, parse_partial_date

DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(DAYS, st.sampled_from("/.-"))
def test_day_first_date_is_read_or_asked_about(d: date, sep: str) -> None:
    """dd/mm/yyyy gives that day when the other reading is no date or the same day; otherwise it asks."""
    typed = f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"
    other_reading_exists = d.day <= 12 and d.day != d.month
    if other_reading_exists:
        with pytest.raises(ValidationError) as info:
            parse_partial_date(typed, field="date_of_birth")
        problem = info.value.fields["date_of_birth"]
        assert "which is it?" in problem
        assert d.isoformat() in problem and date(d.year, d.day, d.month).isoformat() in problem
    else:
        assert parse_partial_date(typed) == PartialDate(d.year, d.month, d.day)


@given(DAYS)
def test_iso_dates_are_read_as_written(d: date) -> None:
    assert parse_partial_date(d.isoformat()) == PartialDate(d.year, d.month, d.day)
    assert parse_full_date(d.isoformat()) == d


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("31/02/1994", "there is no 31 February 1994"),
        ("1994-02-30", "there is no 30 February 1994"),
        ("1994-13", "there is no month 13"),
        ("tomorrow", "is not a date: write it as day/month/year"),
        ("1850", "between 1900 and 2100"),
    ],
)
def test_a_bad_date_is_explained_in_plain_words(typed: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_partial_date(typed, field="date_of_birth")
    problem = info.value.fields["date_of_birth"]
    assert words in problem
    assert "Value error" not in problem and "date_of_birth" not in problem
    assert str(info.value) == f"date_of_birth: {problem}"


def test_a_whole_date_needs_the_day() -> None:
    with pytest.raises(ValidationError, match="needs the day"):
        parse_full_date("1994-03", field="date")
    assert parse_full_date("31/01/1994") == date(1994, 1, 31)
    assert parse_full_date("") is None

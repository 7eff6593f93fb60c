"""Which date-of-birth level a pair reaches: a slip of one person's date against two people a year apart."""

from __future__ import annotations

import pandas as pd
import pytest

from ctdata.linkage.comparisons import DOB_DISAGREEMENT_LEVELS
from ctdata.linkage.features import build_features
from tests.linkage.pair_levels import comparison, level_label


def _pair(a: str | None, b: str | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_key": ["a", "b"],
            "given_name": ["Wati", "Wati"],
            "family_name": ["Wijaya"] * 2,
            "date_of_birth": [a, b],
        }
    )


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("1988-09-22", "1988-09-23", "one digit apart"),
        ("1988-09-02", "1988-02-09", "day and month swapped"),
        ("1988-09-22", "1989-09-22", "year +-1, day and month kept"),
        ("1988-09", "1989-09-22", "year +-1, day and month kept"),
        ("1987", "1988-09-22", "year +-1, rest unknown"),
        ("1988-09-22", "1987", "year +-1, rest unknown"),
        ("1988", "1988-09-22", "same year, rest unknown"),
        ("1986", "1988-09-22", "within two years"),
    ],
)
def test_a_year_apart_with_no_month_is_not_a_slip_of_one_date(a: str, b: str, level: str) -> None:
    """'1987' against '1988-09-22' shared a level with a mistyped digit of a full date. Two people a
    year apart in age reach the first about as often as one person with a slip, the second almost
    never; averaged into one level, the pair took the slip's weight: namesakes a year apart were linked."""
    assert level_label("dob", _pair(a, b)) == level


def test_the_disagreement_cap_names_levels_the_comparison_has() -> None:
    """cap_dob_disagreement bounds m on these labels; a renamed level would silently escape it."""
    cols = set(build_features(_pair("1988-09-22", "1987")).columns)
    labels = [lv["label_for_charts"] for lv in comparison("dob", cols)["comparison_levels"]]
    assert labels[-len(DOB_DISAGREEMENT_LEVELS) :] == list(DOB_DISAGREEMENT_LEVELS)


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("1990-05-03", "1990-03-05", "day and month swapped"),
        ("1990-05-03", "1991-05-03", "year +-1, day and month kept"),
        ("1990-05-03", "1990-05-08", "one digit apart"),
        ("1990-05-03", "1990-06-03", "one digit apart"),
        ("1990-05-03", "1980-05-03", "one digit apart"),
    ],
)
def test_each_slip_of_a_full_date_is_its_own_level(a: str, b: str, level: str) -> None:
    """A date has some fifteen one-digit neighbours, one day/month swap and two same days a year apart,
    so two people's dates meet each slip at very different rates: on the simulator's tuning seed 1 cut to
    the issue's columns, u 0.0014, 0.000015 and 0.0006 (Bayes factors 4, 700 and 19), where the one level
    they shared had one u for all. Apart, the model learns each slip's rate on the data at hand."""
    assert level_label("dob", _pair(a, b)) == level

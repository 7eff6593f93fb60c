"""Journey steps in order: a step dated before the one it follows, before the person's birth or in the
future is refused at its date field (`journeys.leg_date_problem`, the one rule)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctdata.cases import journeys, service
from ctdata.cases.tx import transaction
from ctdata.errors import ValidationError
from tests.cases.conftest import CASE, PERSON

TODAY = date(2026, 12, 3)
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=TODAY)


@given(DAYS, DAYS)
def test_a_later_step_is_never_before_an_earlier_one(first: date, second: date) -> None:
    problem = journeys.leg_date_problem(second.isoformat(), 2, [(1, first.isoformat())], None, TODAY)
    assert (problem is None) == (second >= first)
    before = journeys.leg_date_problem(first.isoformat(), 1, [(2, second.isoformat())], None, TODAY)
    assert (before is None) == (first <= second)


@given(DAYS)
def test_partial_dates_are_refused_only_when_no_day_fits(d: date) -> None:
    month = f"{d.year:04d}-{d.month:02d}"
    assert journeys.leg_date_problem(month, 2, [(1, d.isoformat())], None, TODAY) is None
    assert journeys.leg_date_problem(d.isoformat(), 2, [(1, month)], None, TODAY) is None


def test_birth_and_future_bound_a_step() -> None:
    assert "before the person was born" in journeys.leg_date_problem("1994-01-01", 1, [], "1995-06", TODAY)
    assert "in the future" in journeys.leg_date_problem((TODAY + timedelta(days=1)).isoformat(), 1, [], None, TODAY)
    assert journeys.leg_date_problem("2023-12-31", 1, [], "1995-06-01", TODAY) is None  # before registration: usual


def test_add_leg_refuses_a_step_out_of_order_at_its_date(engine, actors) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
        journeys.add_leg(
            s, actors["th"], case_id, {"from_country": "VN", "to_country": "KH", "departure_date": "2023-05-10"}
        )
    with transaction(engine) as s, pytest.raises(ValidationError) as info:
        journeys.add_leg(
            s, actors["th"], case_id, {"from_country": "KH", "to_country": "TH", "departure_date": "2023-04-01"}
        )
    assert "before step 1" in info.value.fields["departure_date"]
    with transaction(engine) as s:
        leg = journeys.add_leg(
            s, actors["th"], case_id, {"from_country": "KH", "to_country": "TH", "departure_date": "2023-05-20"}
        )
        assert leg.leg_number == 2

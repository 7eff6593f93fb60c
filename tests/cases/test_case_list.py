"""The case list past its first page (issue 19): pages, registration date range, determination
and order, all within the one access rule (`Scope`). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from ctdata.cases import closure, screening, service
from ctdata.cases.tx import transaction
from ctdata.errors import ValidationError
from tests.cases.conftest import CASE, PERSON

VICTIM = {"actions": ["recruitment"], "means": ["deception"], "purposes": ["forced_labour"]}


def _register_many(engine, actor, n: int, office: str = "TH") -> list[int]:  # type: ignore[no-untyped-def]
    """n cases registered on consecutive days of 2023 (the case number and the date rise together)."""
    with transaction(engine) as s:
        return [
            service.register_case(
                s,
                actor,
                PERSON,
                {**CASE, "office_country": office, "registration_date": f"2023-{1 + i // 28:02d}-{1 + i % 28:02d}"},
            ).id
            for i in range(n)
        ]


def test_pages_of_the_list_cover_every_case_once(engine, actors):
    ids = _register_many(engine, actors["th"], 60)
    _register_many(engine, actors["vn"], 3, office="VN")
    with transaction(engine) as s:
        one = service.list_cases(s, actors["th"], limit=50)
        two = service.list_cases(s, actors["th"], limit=50, offset=50)
        everyone = service.list_cases(s, actors["admin"], office_country="TH", limit=50, offset=50)
    assert one["total"] == two["total"] == everyone["total"] == 60
    assert [c["id"] for c in one["items"]] + [c["id"] for c in two["items"]] == sorted(ids, reverse=True)
    assert [c["id"] for c in everyone["items"]] == [c["id"] for c in two["items"]]


def test_sort_by_case_number_or_registration_date(engine, actors):
    with transaction(engine) as s:
        late = service.register_case(s, actors["th"], PERSON, {**CASE, "registration_date": "2024-09-01"}).id
        early = service.register_case(s, actors["th"], PERSON, {**CASE, "registration_date": "2022-01-05"}).id
        month = service.register_case(s, actors["th"], PERSON, {**CASE, "registration_date": "2023-06"}).id
    with transaction(engine) as s:
        order = {
            key: [c["id"] for c in service.list_cases(s, actors["th"], sort=key)["items"]] for key in service.SORTS
        }
    assert order["-number"] == [month, early, late] and order["number"] == [late, early, month]
    assert order["registered"] == [early, month, late] and order["-registered"] == [late, month, early]


def test_registration_date_range_and_year(engine, actors):
    with transaction(engine) as s:
        a = service.register_case(s, actors["th"], PERSON, {**CASE, "registration_date": "2023-02-28"}).id
        b = service.register_case(s, actors["th"], PERSON, {**CASE, "registration_date": "2023-03"}).id
        c = service.register_case(s, actors["th"], PERSON, {**CASE, "registration_date": "2023-04-01"}).id
        d = service.register_case(s, actors["th"], PERSON, {**CASE, "registration_date": "2024-03-01"}).id

    def ids(**kw):  # type: ignore[no-untyped-def]
        with transaction(engine) as s:
            return sorted(c["id"] for c in service.list_cases(s, actors["th"], **kw)["items"])

    assert ids(registered_from="2023-03-01", registered_to="2023-03-31") == [b]  # a month within the range
    assert ids(registered_from="2023-03-15") == [b, c, d]  # March may have been after the 15th
    assert ids(registered_to="2023-03-01") == [a, b]
    assert ids(registered_from="2023-02-28", registered_to="2023-04-01") == [a, b, c]
    assert ids(registration_year=2023, registered_from="2023-03-02") == [b, c]
    with pytest.raises(ValidationError, match="registered_from"):
        with transaction(engine) as s:
            service.list_cases(s, actors["th"], registered_from="2023-02-30")


def test_determination_filter_keeps_closed_cases_by_their_latest_screening(engine, actors):
    with transaction(engine) as s:
        victim = service.register_case(s, actors["th"], PERSON, CASE).id
        closed_victim = service.register_case(s, actors["th"], PERSON, CASE).id
        closed_unscreened = service.register_case(s, actors["th"], PERSON, CASE).id
        not_eligible = service.register_case(s, actors["th"], PERSON, CASE).id
        for cid in (victim, closed_victim):
            screening.screen(s, actors["th"], cid, VICTIM)
        screening.screen(s, actors["th"], not_eligible, {"actions": ["recruitment"]})
        closure.close_case(s, actors["th"], closed_victim, "lost_contact")
        closure.close_case(s, actors["th"], closed_unscreened, "lost_contact")
        vn = service.register_case(s, actors["vn"], PERSON, {**CASE, "office_country": "VN"}).id
        screening.screen(s, actors["vn"], vn, VICTIM)

    def ids(actor: str, **kw):  # type: ignore[no-untyped-def]
        with transaction(engine) as s:
            return sorted(c["id"] for c in service.list_cases(s, actors[actor], **kw)["items"])

    assert ids("th", determination="victim_of_trafficking") == [victim, closed_victim]
    assert ids("th", determination="victim_of_trafficking", status="closed") == [closed_victim]
    assert ids("th", determination="not_eligible") == [not_eligible]
    assert ids("admin", determination="victim_of_trafficking") == [victim, closed_victim, vn]
    with pytest.raises(ValidationError, match="determination"):
        ids("th", determination="closed")


def test_unknown_order_or_status_is_refused(engine, actors):
    with transaction(engine) as s:
        with pytest.raises(ValidationError, match="sort"):
            service.list_cases(s, actors["th"], sort="name")
        with pytest.raises(ValidationError, match="status"):
            service.list_cases(s, actors["th"], status="open")

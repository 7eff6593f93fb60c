"""Forms that say at the field what is wrong, in plain words, keep what was typed, read day-first
dates, and ask before registering a case that names nobody or records no screening answer."""

from __future__ import annotations

import re

from ctdata.cases import service
from ctdata.cases.tx import transaction
from tests.web.conftest import CASE, PERSON
from tests.web.test_pages import signed_in

SCREENED = {"given_name": "Ana", "family_name": "Lopes", "actions": ["recruitment"], "purposes": ["forced_labour"]}


def _input_tag(html: str, fid: str) -> str:
    m = re.search(rf'<(?:input|select|textarea)[^>]*id="{fid}"[^>]*>', html)
    assert m, f"no field {fid}"
    return m.group(0)


def _cases(engine, actor) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return int(service.list_cases(s, actor)["total"])


def test_bad_date_of_birth_is_marked_at_its_field_in_plain_words(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    r = client.post("/screening/register", data={"csrf_token": csrf, **SCREENED, "date_of_birth": "31/02/1994"})
    assert r.status_code == 422
    tag = _input_tag(r.text, "f-date_of_birth")
    assert 'aria-invalid="true"' in tag and "autofocus" in tag and "f-date_of_birth-error" in tag
    error = re.search(r'id="f-date_of_birth-error">(.*?)</span>\s*$', r.text, re.M | re.S)
    assert error and "There is no 31 February 1994" in r.text
    assert "Value error" not in r.text and "field date_of_birth" not in r.text and "date_of_birth:" not in r.text
    assert 'value="31/02/1994"' in r.text and 'value="Ana"' in r.text  # what was typed stays
    assert 'aria-invalid' not in _input_tag(r.text, "f-given_name")
    assert _cases(engine, actors["th"]) == 0


def test_day_first_date_of_birth_is_understood(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    r = client.post("/screening/register", data={"csrf_token": csrf, **SCREENED, "date_of_birth": "31/01/1994"})
    assert r.status_code == 303
    case_id = int(re.match(r"/cases/(\d+)", r.headers["location"]).group(1))
    with transaction(engine) as s:
        assert service.get_case(s, actors["th"], case_id)["person"]["date_of_birth"] == "1994-01-31"


def test_ambiguous_day_first_date_is_asked_about(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    r = client.post("/screening/register", data={"csrf_token": csrf, **SCREENED, "date_of_birth": "03/04/1994"})
    assert r.status_code == 422 and 'aria-invalid="true"' in _input_tag(r.text, "f-date_of_birth")
    assert "could be 3 April 1994 or 4 March 1994" in r.text and "1994-04-03" in r.text
    assert _cases(engine, actors["th"]) == 0


def test_blank_registration_asks_for_confirmation(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    r = client.post("/screening/register", data={"csrf_token": csrf, "registration_date": "2024-05-02"})
    assert r.status_code == 409 and "Register this case?" in r.text
    assert "No name is recorded" in r.text and "No screening answer" in r.text
    assert 'name="confirm_blank"' in r.text
    assert _cases(engine, actors["th"]) == 0
    r = client.post(
        "/screening/register", data={"csrf_token": csrf, "registration_date": "2024-05-02", "confirm_blank": "yes"}
    )
    assert r.status_code == 303 and _cases(engine, actors["th"]) == 1
    # a named, screened person needs no confirmation
    r = client.post("/screening/register", data={"csrf_token": csrf, **SCREENED})
    assert r.status_code == 303 and _cases(engine, actors["th"]) == 2


def test_refused_transfer_keeps_the_country_and_the_reason(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], {**PERSON, "citizenship": ["VN"]}, CASE).id
    th, csrf = signed_in(app, engine, "th")
    version = re.search(r'name="version" value="(\d+)"', th.get(f"/cases/{case_id}?tab=transfers").text)[1]
    r = th.post(
        f"/cases/{case_id}/transfers",
        headers={"hx-request": "true"},
        data={
            "csrf_token": csrf,
            "version": version,
            "to_office_country": "KH",
            "to_agency": "IOM",
            "reason": "Family found in Phnom Penh",
        },
    )
    assert r.status_code == 409 and "has not agreed to share" in r.text
    assert '<option value="KH" selected>' in r.text and '<option value="VN" selected>' not in r.text
    assert "Family found in Phnom Penh</textarea>" in r.text


def test_bad_journey_date_is_marked_at_its_field(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    th, csrf = signed_in(app, engine, "th")
    version = re.search(r'name="version" value="(\d+)"', th.get(f"/cases/{case_id}?tab=journey").text)[1]
    r = th.post(
        f"/cases/{case_id}/journey",
        headers={"hx-request": "true"},
        data={"csrf_token": csrf, "version": version, "from_country": "VN", "to_country": "TH",
              "departure_date": "2024-02-30"},
    )
    assert r.status_code == 422
    assert 'aria-invalid="true"' in _input_tag(r.text, "leg-date") and "There is no 30 February 2024" in r.text
    assert '<option value="VN" selected>' in r.text  # the other answers stay


def test_a_mistaken_case_is_voided_from_its_page(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    th, csrf = signed_in(app, engine, "th")
    page = th.get(f"/cases/{case_id}")
    assert "Void this case" in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)[1]
    r = th.post(f"/cases/{case_id}/void", headers={"hx-request": "true"},
                data={"csrf_token": csrf, "version": version, "reason": ""})
    assert r.status_code == 422 and 'aria-invalid="true"' in _input_tag(r.text, "void-reason")
    r = th.post(f"/cases/{case_id}/void", data={"csrf_token": csrf, "version": version, "reason": "typed twice"})
    assert r.status_code == 200 and "This case is void" in r.text and "Void this case" not in r.text
    assert f"/cases/{case_id}\"" not in th.get("/cases").text
    assert "Void</span>" in th.get("/cases?voided=yes").text
    analyst, a_csrf = signed_in(app, engine, "analyst")
    assert "Void this case" not in analyst.get(f"/cases/{case_id}").text


def test_a_signed_in_user_refused_by_role_is_told_why_in_plain_words(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    th, _ = signed_in(app, engine, "th")
    r = th.get("/indicators")
    assert r.status_code == 403 and "Not allowed" in r.text
    assert "This is for admins, analysts, data managers; your role (caseworker) does not give access to it." in r.text
    assert 'href="/login"' not in r.text and "Sign out" in r.text and "role 'caseworker'" not in r.text

"""The screening form's perpetrator blocks over HTTP: a described person is recorded on the case, a
block the standard refuses is marked at its field with nothing registered, a blank block is no one.
Runs on SQLite and PostgreSQL (tests/web/conftest.py)."""

from __future__ import annotations

import re

from ctdata.cases import service
from ctdata.cases.tx import transaction
from tests.web.test_pages import signed_in

BASE = {
    "given_name": "Lwin",
    "family_name": "Aye",
    "sex": "female",
    "citizenship": "MM",
    "age_at_exploitation": "16",
    "actions": ["recruitment"],
    "purposes": ["forced_labour"],
    "registration_date": "2024-05-02",
    "country_of_exploitation": "TH",
}
# A blank second block as the browser posts it: every select at "Not known", every text empty.
BLANK_P2 = {f"p2-{n}": "" for n in ("sex", "age_band", "citizenship", "relation", "paid_money", "names",
                                     "aliases", "phone_numbers", "document_numbers", "addresses")}


def _cases(engine, actor) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return service.list_cases(s, actor)["total"]


def test_a_described_perpetrator_is_recorded_on_the_case(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    form = client.get("/screening").text
    assert 'name="p1-sex"' in form and 'name="p2-sex"' in form
    assert "People who recruited, moved or exploited the person" in form
    r = client.post("/screening/register", data={
        "csrf_token": csrf, **BASE, **BLANK_P2,
        "p1-roles": ["recruiter", "exploiter"], "p1-sex": "male", "p1-age_band": "30-38", "p1-citizenship": "TH",
        "p1-relation": "friend_acquaintance", "p1-paid_money": "yes", "p1-means_of_control": ["debt_bondage"],
        "p1-names": "Somchai K.", "p1-phone_numbers": "+66 81 555 0101",
    })
    assert r.status_code == 303, r.text
    case_id = int(re.match(r"/cases/(\d+)\?registered=1", r.headers["location"]).group(1))
    with transaction(engine) as s:
        recorded = service.get_case(s, actors["th"], case_id)["perpetrators"]
    assert len(recorded) == 1  # the blank second block added no one
    (p,) = recorded
    assert p["roles"] == ["recruiter", "exploiter"] and p["sex"] == ["male"] and p["age_band"] == ["30-38"]
    assert p["citizenship"] == ["TH"] and p["relation"] == ["friend_acquaintance"] and p["paid_money"] == ["yes"]
    assert p["means_of_control"] == ["debt_bondage"]
    assert p["names"] == ["Somchai K."] and p["phone_numbers"] == ["+66 81 555 0101"]


def test_a_person_with_two_sexes_is_refused_at_the_field(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    before = _cases(engine, actors["th"])
    r = client.post("/screening/register", data={
        "csrf_token": csrf, **BASE, **BLANK_P2,
        "p2-sex": ["male", "female"], "p2-names": "Kept Alias Name", "p2-roles": ["transporter"],
    })
    assert r.status_code == 422
    # the error is beside the second person's sex, which is marked invalid; what was typed is kept
    assert re.search(r'id="p2-sex-error"[^>]*>.*one person has one value', r.text, re.S | re.I)
    assert re.search(r'<select id="p2-sex" name="p2-sex"[^>]*aria-invalid="true"', r.text)
    assert 'id="p1-sex-error"' not in r.text
    assert 'value="Kept Alias Name"' in r.text and 'value="Lwin"' in r.text
    assert re.search(r'id="f-p2-roles-transporter"[^>]*checked', r.text)
    assert _cases(engine, actors["th"]) == before  # nothing registered


def test_blank_blocks_add_no_one(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    blank_p1 = {k.replace("p2-", "p1-"): v for k, v in BLANK_P2.items()}
    r = client.post("/screening/register", data={"csrf_token": csrf, **BASE, **blank_p1, **BLANK_P2})
    assert r.status_code == 303, r.text
    case_id = int(re.match(r"/cases/(\d+)", r.headers["location"]).group(1))
    with transaction(engine) as s:
        assert service.get_case(s, actors["th"], case_id)["perpetrators"] == []

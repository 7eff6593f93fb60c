"""The place of birth on the screening form and the case page: saved encrypted, shown to the office
that may see identities, hidden from an analyst."""

from __future__ import annotations

import re

from ctdata.cases import service
from ctdata.cases.tx import transaction
from ctdata.store.models import CaseRecord
from tests.web.test_pages import signed_in

PLACE = "Mawlamyine"


def test_the_screening_form_saves_the_place_of_birth_and_the_case_page_shows_it(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    r = client.post(
        "/screening/register",
        data={
            "csrf_token": csrf,
            "given_name": "Anan",
            "family_name": "Ruang",
            "date_of_birth": "2001",
            "place_of_birth": PLACE,
            "sex": "male",
            "citizenship": "MM",
            "actions": ["transportation"],
            "purposes": ["forced_labour"],
            "means": ["deception"],
            "registration_date": "2024-05-02",
            "country_of_exploitation": "TH",
            "consent_assistance": "yes",
        },
    )
    assert r.status_code == 303, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text))[:3000]
    case_id = int(re.match(r"/cases/(\d+)", r.headers["location"]).group(1))
    assert PLACE in client.get(f"/cases/{case_id}?tab=overview").text
    with transaction(engine) as s:
        assert service.get_case(s, actors["th"], case_id)["person"]["place_of_birth"] == PLACE
        blob = s.get(CaseRecord, case_id).person.place_of_birth_enc
        assert blob is not None and PLACE.encode() not in blob
    analyst, _ = signed_in(app, engine, "analyst")
    page = analyst.get(f"/cases/{case_id}?tab=overview")
    assert page.status_code == 200 and PLACE not in page.text

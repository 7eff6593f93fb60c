"""Case tabs: an assistance item says its kinds of legal assistance and what paid for it; a travelled
return gets its reintegration follow-up."""

from __future__ import annotations

import re

from ctdata.cases import returns, service
from ctdata.cases.tx import transaction
from tests.web.conftest import CASE, PERSON
from tests.web.test_pages import signed_in

HX = {"hx-request": "true"}


def _case(engine, actors) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return service.register_case(s, actors["th"], PERSON, CASE).id


def _version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page)[1]


def test_legal_assistance_with_its_kinds_and_its_fund(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid = _case(engine, actors)
    client, csrf = signed_in(app, engine, "th")
    page = client.get(f"/cases/{cid}?tab=assistance").text
    assert 'name="legal_types" value="compensation"' in page and 'id="as-funding"' in page
    r = client.post(
        f"/cases/{cid}/assistance", headers=HX,
        data={"csrf_token": csrf, "version": _version(page), "assistance_type": "legal",
              "legal_types": ["documents", "compensation"], "funding_source": "fund", "funding_name": "Emergency fund"},
    )
    assert r.status_code == 200 and "Assistance recorded: Legal." in r.text
    listed = r.text.split('id="assistance-list"', 1)[1].split("</table>", 1)[0]
    assert "Emergency fund" in listed
    with transaction(engine) as s:
        item = service.get_case(s, actors["th"], cid)["assistance"][0]
    assert item["legal_types"] == ["documents", "compensation"] and item["funding_source"] == "fund"
    # a fund without its name is refused beside the form, nothing saved
    r = client.post(
        f"/cases/{cid}/assistance", headers=HX,
        data={"csrf_token": csrf, "version": _version(r.text), "assistance_type": "medical", "funding_source": "fund"},
    )
    assert r.status_code == 422 and "Name the fund that funded it" in r.text
    assert 'name="funding_name" value="" aria-describedby="as-funding-name-error" aria-invalid="true"' in r.text


def test_follow_up_form_after_travel(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid = _case(engine, actors)
    with transaction(engine) as s:
        r = returns.open_return(s, actors["th"], cid, {"consent_written": True, "risk_level": "low",
                                                      "risk_mitigations": "escort", "reintegration_plan": True})
        rid = r.id
    client, csrf = signed_in(app, engine, "th")
    assert 'id="follow-up-form"' not in client.get(f"/cases/{cid}?tab=return").text  # not before travel
    with transaction(engine) as s:
        returns.mark_travelled(s, actors["th"], cid, rid, "2024-06-01")
    page = client.get(f"/cases/{cid}?tab=return").text
    form = page.split('id="follow-up-form"', 1)[1]
    version = re.search(r'name="version" value="(\d+)"', form)[1]
    r = client.post(
        f"/cases/{cid}/return/gates", headers=HX,
        data={"csrf_token": csrf, "return_id": str(rid), "version": version, "follow_up_date": "2024-12-01",
              "reintegration_status": "completed"},
    )
    assert r.status_code == 200, r.text[:2000]
    with transaction(engine) as s:
        ret = service.get_case(s, actors["th"], cid)["returns"][0]
    assert (ret["follow_up_date"], ret["reintegration_status"]) == ("2024-12-01", "completed")


def test_recruitment_details_form_on_the_overview(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid = _case(engine, actors)
    client, csrf = signed_in(app, engine, "th")
    page = client.get(f"/cases/{cid}?tab=overview").text
    assert 'id="recruitment-form"' in page and 'name="recruitment_tactics" value="job_offer"' in page
    r = client.post(
        f"/cases/{cid}/recruitment", headers=HX,
        data={"csrf_token": csrf, "version": _version(page), "recruitment_tactics": ["job_offer", "online"],
              "recruiter_relation": ["friend"], "promised_sector": "agriculture",
              "promised_job": "Fruit picking in the south"},
    )
    assert r.status_code == 200 and "Recruitment details saved" in r.text
    facts = r.text.split('id="recruitment-facts"', 1)[1].split("</dd>", 1)[0]
    assert "Offer of a job, Approached online" in facts and "Agriculture" in facts and "Fruit picking" in facts
    with transaction(engine) as s:
        ex = service.get_case(s, actors["th"], cid)["exploitation"]
    assert ex["recruitment_tactics"] == ["job_offer", "online"] and ex["recruiter_relation"] == ["friend"]
    assert ex["promised_sector"] == "agriculture" and ex["promised_job"] == "Fruit picking in the south"
    # nothing ticked clears the lists; an empty job keeps the words recorded
    r = client.post(f"/cases/{cid}/recruitment", headers=HX,
                    data={"csrf_token": csrf, "version": _version(r.text), "promised_sector": ""})
    assert r.status_code == 200
    with transaction(engine) as s:
        ex = service.get_case(s, actors["th"], cid)["exploitation"]
    assert ex["recruitment_tactics"] == [] and ex["promised_sector"] is None
    assert ex["promised_job"] == "Fruit picking in the south"
    # a code outside the vocabulary is refused, nothing saved
    r = client.post(f"/cases/{cid}/recruitment", headers=HX,
                    data={"csrf_token": csrf, "version": _version(r.text), "recruitment_tactics": ["bribery"]})
    assert r.status_code == 422
    with transaction(engine) as s:
        assert service.get_case(s, actors["th"], cid)["exploitation"]["recruitment_tactics"] == []

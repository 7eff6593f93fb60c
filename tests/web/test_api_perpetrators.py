"""/api/v1/cases/{id}/perpetrators: record, list, remove; one shape; identifiers never reach an analyst."""

from __future__ import annotations

from ctdata.cases.views import PERPETRATOR_FIELDS
from ctdata.standard.models import PERPETRATOR_IDENTIFYING
from ctdata.web.api.schemas import PerpetratorOut
from tests.web.test_api import P, new_case

BODY = {"roles": ["recruiter"], "sex": "Male", "age_band": "30-38", "citizenship": "VN",
        "relation": "friend_acquaintance", "paid_money": "yes", "means_of_control": ["debt_bondage"],
        "names": ["Trulven Ka"], "phone_numbers": ["+84 90 111 2222"]}


def test_perpetrators_over_http(client, headers):  # type: ignore[no-untyped-def]
    th = headers["th"]
    cid = new_case(client, th)["id"]
    r = client.post(f"{P}/cases/{cid}/perpetrators", json=BODY, headers=th)
    assert r.status_code == 201, r.text
    p = r.json()
    assert list(p) == list(PerpetratorOut.model_fields) == ["id", *PERPETRATOR_FIELDS, *PERPETRATOR_IDENTIFYING,
                                                            "created_by"]
    assert (p["sex"], p["names"], p["created_by"]) == (["male"], ["Trulven Ka"], "th")
    assert client.get(f"{P}/cases/{cid}/perpetrators", headers=th).json() == [p]
    assert client.get(f"{P}/cases/{cid}", headers=th).json()["perpetrators"] == [p]
    seen = client.get(f"{P}/cases/{cid}/perpetrators", headers=headers["analyst"])
    assert seen.status_code == 200 and "Trulven" not in seen.text and "2222" not in seen.text
    assert "Trulven" not in client.get(f"{P}/cases/{cid}", headers=headers["analyst"]).text
    assert client.get(f"{P}/cases/{cid}/perpetrators", headers=headers["vn"]).status_code == 404
    assert client.post(f"{P}/cases/{cid}/perpetrators", json=BODY, headers=headers["analyst"]).status_code == 403
    bad = client.post(f"{P}/cases/{cid}/perpetrators", json={**BODY, "sex": "male;female"}, headers=th)
    assert bad.status_code == 422
    gone = client.delete(f"{P}/cases/{cid}/perpetrators/{p['id']}?reason=wrong+case", headers=th)
    assert gone.status_code == 204, gone.text
    assert client.get(f"{P}/cases/{cid}/perpetrators", headers=th).json() == []


def test_screening_over_http_records_the_perpetrators_named(client, headers):  # type: ignore[no-untyped-def]
    th = headers["th"]
    cid = new_case(client, th)["id"]
    body = {"actions": ["recruitment"], "purposes": ["forced_labour"], "age_at_exploitation": 15,
            "perpetrators": [{"roles": ["recruiter"], "relation": "family_intimate_partner", "names": ["Aunt Ka"]}]}
    r = client.post(f"{P}/cases/{cid}/screening", json=body, headers=th)
    assert r.status_code in (200, 201), r.text
    got = client.get(f"{P}/cases/{cid}/perpetrators", headers=th).json()
    assert [(p["roles"], p["relation"], p["names"]) for p in got] == [
        (["recruiter"], ["family_intimate_partner"], ["Aunt Ka"])]
    bad = client.post(f"{P}/cases/{cid}/screening", json={**body, "perpetrators": [{"roles": ["boss"]}]}, headers=th)
    assert bad.status_code == 422

"""The JSON API end to end: shapes, status codes, auth, lockout, rate limit, CSRF, concurrency, audit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ctdata.cases import users
from ctdata.cases.access import SYSTEM
from ctdata.cases.tx import transaction
from ctdata.store import audit
from ctdata.store.models import AuditEntry
from ctdata.web.app import create_app
from ctdata.web.security import COOKIE, LoginLimiter
from tests.web.conftest import CASE, CHILD, PASSWORD, PERSON

P = "/api/v1"
SCREEN = {
    "actions": ["recruitment"],
    "means": ["deception"],
    "purposes": ["forced_labour"],
    "age_at_exploitation": 17,
    "vulnerabilities": [],
}


def new_case(client, h, person=PERSON) -> dict:  # type: ignore[no-untyped-def]
    r = client.post(f"{P}/cases", json={"person": person, **CASE}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def test_login_returns_a_bearer_token_and_me(client, actors):
    r = client.post(f"{P}/auth/login", json={"username": "th", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = client.get(f"{P}/auth/me", headers=h).json()
    assert me == {"username": "th", "role": "caseworker", "office_country": "TH", "agency": "IOM"}
    assert client.post(f"{P}/auth/logout", headers=h).status_code == 204
    r = client.get(f"{P}/auth/me", headers=h)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer" and "detail" in r.json()


def test_wrong_password_lockout_and_rate_limit(database_url, engine, actors, monkeypatch):
    monkeypatch.setenv("CTDATA_MAX_FAILED_LOGINS", "3")
    from ctdata.config import reset_settings

    reset_settings()
    app = create_app(database_url, login_limiter=LoginLimiter(per_username=5, per_client=100))
    client = TestClient(app, client=("203.0.113.7", 50000))
    bad = {"username": "th", "password": "nope"}
    assert [client.post(f"{P}/auth/login", json=bad).status_code for _ in range(3)] == [401, 401, 401]
    r = client.post(f"{P}/auth/login", json={"username": "th", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["detail"] == "wrong username or password"  # locked, not said
    client.post(f"{P}/auth/login", json=bad)
    r = client.post(f"{P}/auth/login", json=bad)  # sixth attempt within the minute
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    with transaction(engine) as s:
        assert len(s.execute(select(AuditEntry).where(AuditEntry.action == "login_failed")).all()) == 5
    # the owner, from their own address, is neither locked out nor rate limited by the stranger
    owner = TestClient(app, client=("198.51.100.4", 50000))
    assert owner.post(f"{P}/auth/login", json={"username": "th", "password": PASSWORD}).status_code == 200


def test_every_login_failure_says_the_same(database_url, engine, actors, monkeypatch):
    """Unknown name, wrong password, disabled account, locked account: one status, one message."""
    monkeypatch.setenv("CTDATA_MAX_FAILED_LOGINS", "2")
    from ctdata.config import reset_settings

    reset_settings()
    with transaction(engine) as s:
        users.set_active(s, SYSTEM, "vn", False)
    client = TestClient(create_app(database_url, login_limiter=LoginLimiter(per_username=50, per_client=1000)))
    answers = set()
    for username, password in [
        ("nobody", PASSWORD),
        ("th2", "nope"),
        ("vn", PASSWORD),
        ("th2", "nope"),
        ("th2", PASSWORD),  # locked for this source now, right password
    ]:
        r = client.post(f"{P}/auth/login", json={"username": username, "password": password})
        answers.add((r.status_code, r.text))
    assert answers == {(401, '{"detail":"wrong username or password"}')}


def test_case_lifecycle_over_http(client, headers):
    th, vn = headers["th"], headers["vn"]
    case = new_case(client, th, CHILD)
    cid = case["id"]
    assert case["version"] == 1 and case["person"]["given_name"] == "Linh" and case["status"] == "screening"
    r = client.post(f"{P}/cases/{cid}/screening", json=SCREEN, headers=th)
    assert r.status_code == 201
    det = r.json()
    assert (det["determination"], det["rule"], det["missing"]) == (
        "victim_of_trafficking",
        "art3_child_action_purpose",
        [],
    )
    assert (
        client.post(
            f"{P}/cases/{cid}/journey-legs", json={"from_country": "VN", "to_country": "TH"}, headers=th
        ).json()["leg_number"]
        == 1
    )
    assert (
        client.post(f"{P}/cases/{cid}/assistance", json={"assistance_type": "psychosocial"}, headers=th).status_code
        == 201
    )
    ret = client.post(f"{P}/cases/{cid}/return", json={"consent_written": True}, headers=th).json()
    assert ret["is_child"] is True and len(ret["open_gates"]) == 5
    r = client.post(f"{P}/cases/{cid}/return/{ret['id']}/travel", json={"travel_date": "2024-06-01"}, headers=th)
    assert r.status_code == 409 and "best-interest" in r.json()["detail"] and "guardian" in r.json()["detail"]
    r = client.patch(
        f"{P}/cases/{cid}/return/{ret['id']}",
        headers=th,
        json={
            "version": ret["version"],
            "risk_level": "low",
            "risk_mitigations": "family visit first",
            "best_interest_determination": True,
            "guardian_willing": True,
            "guardian_able": True,
        },
    )
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["open_gates"] == []
    r = client.post(f"{P}/cases/{cid}/return/{ret['id']}/travel", json={"travel_date": "2024-06-01"}, headers=th)
    assert r.status_code == 200 and r.json()["status"] == "travelled"
    # transfer needs consent to share
    assert client.post(f"{P}/cases/{cid}/transfers", json={"to_office_country": "VN"}, headers=th).status_code == 409
    assert (
        client.post(
            f"{P}/cases/{cid}/consents", json={"kind": "sharing", "organisation": "IOM VN"}, headers=th
        ).status_code
        == 201
    )
    t = client.post(
        f"{P}/cases/{cid}/transfers", json={"to_office_country": "VN", "reason": "reintegration"}, headers=th
    ).json()
    assert t["status"] == "pending"
    assert client.post(f"{P}/transfers/{t['id']}/accept", headers=th).status_code == 403
    assert client.post(f"{P}/transfers/{t['id']}/accept", headers=vn).json()["status"] == "accepted"
    assert client.get(f"{P}/cases/{cid}", headers=th).json()["access"] == "sent"
    got = client.get(f"{P}/cases/{cid}", headers=vn).json()
    assert got["access"] == "write" and got["current_office_country"] == "VN"
    r = client.post(f"{P}/cases/{cid}/close", json={"reason": "reintegrated"}, headers=vn)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    trail = client.get(f"{P}/cases/{cid}/audit", headers=vn).json()
    actions = [e["action"] for e in trail]
    for action in ("case.create", "screening.create", "return.travel", "transfer.accept", "case.close"):
        assert action in actions
    assert trail[0]["action"] == "case.close" and {e["actor"] for e in trail} >= {"th", "vn"}


def test_optimistic_concurrency_over_http(client, headers):
    case = new_case(client, headers["th"])
    url = f"{P}/cases/{case['id']}"
    first = client.patch(url, json={"version": 1, "person": {"family_name": "Tran Thi"}}, headers=headers["th"])
    assert first.status_code == 200 and first.json()["version"] == 2
    second = client.patch(url, json={"version": 1, "person": {"family_name": "Nguyen"}}, headers=headers["th2"])
    assert second.status_code == 409 and "changed by someone else" in second.json()["detail"]
    assert client.get(url, headers=headers["th"]).json()["person"]["family_name"] == "Tran Thi"


def test_scoping_and_de_identification_over_http(client, headers):
    cid = new_case(client, headers["th"])["id"]
    r = client.get(f"{P}/cases/{cid}", headers=headers["vn"])
    assert r.status_code == 404 and r.json() == {"detail": f"case {cid} not found"}
    assert client.get(f"{P}/cases/{cid + 1}", headers=headers["vn"]).json() == {"detail": f"case {cid + 1} not found"}
    assert client.get(f"{P}/cases", headers=headers["vn"]).json()["total"] == 0
    body = client.get(f"{P}/cases/{cid}", headers=headers["analyst"]).text
    assert "Mai" not in body and "C1234567" not in body and "1995-06-01" not in body
    assert client.get(f"{P}/cases?q=mai", headers=headers["analyst"]).status_code == 403
    assert client.get(f"{P}/cases?q=mai", headers=headers["th"]).json()["items"][0]["id"] == cid
    assert client.get(f"{P}/cases", headers=headers["public"]).status_code == 403
    assert client.get(f"{P}/cases").status_code == 401


def test_validation_errors_are_422_with_detail(client, headers):
    th = headers["th"]
    r = client.post(f"{P}/cases", json={"person": {}}, headers=th)
    assert r.status_code == 422 and isinstance(r.json()["detail"], list)
    r = client.post(f"{P}/cases", json={"person": {"sex": "robot"}, **CASE}, headers=th)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-2:] == ["person", "sex"]
    assert "“robot” is not one of the values allowed here" in r.json()["detail"][0]["msg"]
    cid = new_case(client, th)["id"]
    r = client.post(f"{P}/cases/{cid}/screening", json={**SCREEN, "means": ["magic"]}, headers=th)
    assert r.status_code == 422 and "“magic” is not one of the values allowed here" in r.text
    # an id outside the store's range names nothing: 404, as on the pages (issue 14 item 12)
    assert client.get(f"{P}/cases/0", headers=th).status_code == 404
    assert client.get(f"{P}/cases/99999999999999", headers=th).status_code == 404


def test_cookie_session_needs_csrf_for_changes(client, engine, actors):
    from sqlalchemy import select as sel

    from ctdata.cases import users
    from ctdata.store.models import User

    with transaction(engine) as s:
        new = users.start_session(s, s.execute(sel(User).where(User.username == "th")).scalar_one())
    c = TestClient(client.app, cookies={COOKIE: new.token})
    assert c.get(f"{P}/cases").status_code == 200
    body = {"person": PERSON, **CASE}
    assert c.post(f"{P}/cases", json=body).status_code == 403
    assert c.post(f"{P}/cases", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert c.post(f"{P}/cases", json=body, headers={"X-CSRF-Token": new.csrf_token}).status_code == 201


def test_openapi_docs_and_health_are_public(client):
    spec = client.get(f"{P}/openapi.json").json()
    assert spec["paths"][f"{P}/cases"]["post"]["requestBody"]
    assert "example" in str(spec["components"]["schemas"]["CaseCreate"])
    assert client.get(f"{P}/docs").status_code == 200
    assert client.get(f"{P}/health").json()["status"] == "ok"


def test_audit_chain_verifies_after_api_work(client, headers, engine):
    cid = new_case(client, headers["th"])["id"]
    client.get(f"{P}/cases/{cid}", headers=headers["th"])
    client.get(f"{P}/cases/{cid}", headers=headers["vn"])
    with transaction(engine) as s:
        assert audit.verify(s).ok


@pytest.mark.parametrize("path", [f"{P}/cases/1/erase", f"{P}/users"])
def test_caseworker_cannot_reach_admin_routes(client, headers, path):
    r = client.post(path, json={"reason": "x"}, headers=headers["th"])
    assert r.status_code == 403 and "your role (caseworker) does not give access" in r.json()["detail"]


def test_cached_sessions_end_at_once_on_logout_or_deactivation(client, engine, headers, actors):
    from ctdata.cases import users
    from ctdata.cases.access import SYSTEM

    h = headers["th"]
    assert client.get(f"{P}/auth/me", headers=h).status_code == 200  # now cached in the app
    with transaction(engine) as s:
        users.end_session(s, h["Authorization"].split()[1])  # as the pages' sign-out does
    assert client.get(f"{P}/auth/me", headers=h).status_code == 401
    h2 = headers["vn"]
    assert client.get(f"{P}/auth/me", headers=h2).status_code == 200
    with transaction(engine) as s:
        users.set_active(s, SYSTEM, "vn", False)
    assert client.get(f"{P}/auth/me", headers=h2).status_code == 401


def _input_schema(app, path: str) -> dict:  # type: ignore[no-untyped-def]
    """The resolved JSON schema of an operation's request body in the OpenAPI document."""
    doc = app.openapi()
    ref = doc["paths"][path]["post" if "post" in doc["paths"][path] else "patch"]["requestBody"]["content"]
    name = ref["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    return doc["components"]["schemas"][name]


def _enum(prop: dict) -> list[str]:  # type: ignore[type-arg]
    for option in [prop, *prop.get("anyOf", []), prop.get("items", {})]:
        if "enum" in option:
            return list(option["enum"])
        if "items" in option and "enum" in option["items"]:
            return list(option["items"]["enum"])
    return []


def test_openapi_lists_the_standards_codes_for_case_work_inputs(client):
    """The API's inputs are the standard's models: every coded field shows its vocabulary as an enum."""
    from ctdata.standard import vocab

    app = client.app
    leg = _input_schema(app, f"{P}/cases/{{case_id}}/journey-legs")["properties"]
    assert _enum(leg["crossing"]) == vocab.CROSSING.codes
    assert _enum(leg["travel_document"]) == vocab.TRAVEL_DOCUMENT.codes
    assert _enum(leg["transport_mode"]) == vocab.TRANSPORT_MODE.codes
    assert _enum(leg["exploited"]) == vocab.EXPLOITED_ON_LEG.codes
    ex = _input_schema(app, f"{P}/cases/{{case_id}}/exploitation")["properties"]
    assert _enum(ex["types"]) == vocab.EXPLOITATION_TYPES.codes
    assert _enum(ex["means_of_control"]) == vocab.MEANS_OF_CONTROL.codes
    assert "end" not in ex  # the case store keeps no end of exploitation: not offered
    aid = _input_schema(app, f"{P}/cases/{{case_id}}/assistance")["properties"]
    assert _enum(aid["assistance_type"]) == vocab.ASSISTANCE_TYPES.codes
    scr = _input_schema(app, f"{P}/cases/{{case_id}}/screening")["properties"]
    assert _enum(scr["means"]) == vocab.MEANS.codes and _enum(scr["purposes"]) == vocab.PURPOSES.codes
    schemas = app.openapi()["components"]["schemas"]
    assert _enum(schemas["ReturnPatch"]["properties"]["risk_level"]) == vocab.RISK_LEVEL.codes
    assert "travel_date" not in schemas["ReturnPatch"]["properties"]  # travel is recorded by marking it
    assert _enum(schemas["CloseIn"]["properties"]["reason"]) == vocab.CLOSURE_REASON.codes
    assert _enum(schemas["OverrideIn"]["properties"]["determination"]) == vocab.DETERMINATION.codes
    person = schemas["PersonIn"]["properties"]
    assert _enum(person["sex"]) == vocab.SEX.codes
    assert {o["type"] for o in person["citizenship"]["anyOf"]} == {"array", "string"}


def test_screening_over_http_writes_its_findings_into_the_case(client, headers):
    """Issue 19: forced labour and a sharing consent recorded at screening did not reach the case."""
    th = headers["th"]
    cid = new_case(client, th)["id"]
    body = {
        **SCREEN,
        "purposes": ["forced_labour", "sexual_exploitation"],
        "age_at_exploitation": 30,
        "means": [],
        "consent": {"assistance": True, "sharing": ["IOM Viet Nam"]},
        "country_of_exploitation": "MY",
    }
    r = client.post(f"{P}/cases/{cid}/screening", json=body, headers=th)
    assert r.status_code == 201, r.text
    det = r.json()
    assert det["exploitation_types"] == ["sex_and_labour"]
    assert (det["determination"], det["rule"]) == ("vulnerable_migrant", "needs_first_exploitation_or_abuse")
    case = client.get(f"{P}/cases/{cid}", headers=th).json()
    assert case["exploitation"]["types"] == ["sex_and_labour"]
    assert case["exploitation"]["country_of_exploitation"] == "MY"
    assert case["consent"]["sharing"] == ["IOM Viet Nam"] and case["consent"]["assistance"] is True
    r = client.post(f"{P}/cases/{cid}/transfers", json={"to_office_country": "VN", "to_agency": "IOM"}, headers=th)
    assert r.status_code == 201, r.text


def test_citizenship_is_accepted_as_a_string_or_a_list(client, headers):
    """The casework shape promised ``"citizenship": "KH"``; the API had come to refuse it (it wanted a list)."""
    th = headers["th"]
    for given, want in (("KH", ["KH"]), (["KH", "TH"], ["KH", "TH"]), ("KH;VN", ["KH", "VN"])):
        case = new_case(client, th, {**PERSON, "citizenship": given})
        assert case["person"]["citizenship"] == want, given
        r = client.patch(
            f"{P}/cases/{case['id']}",
            json={"version": case["version"], "person": {"citizenship": given}},
            headers=th,
        )
        assert r.status_code == 200 and r.json()["person"]["citizenship"] == want
    r = client.post(f"{P}/cases", json={"person": {**PERSON, "citizenship": "Atlantis"}, **CASE}, headers=th)
    assert r.status_code == 422


def test_a_journey_leg_has_one_shape(client, headers):
    """The leg the API answers on creation is the leg of the case view, field for field."""
    from ctdata.cases.views import LEG_FIELDS
    from ctdata.web.api.schemas import JourneyLegOut

    th = headers["th"]
    cid = new_case(client, th)["id"]
    body = {"from_country": "Viet Nam", "to_country": "th", "crossing": "Official land", "exploited": "no"}
    r = client.post(f"{P}/cases/{cid}/journey-legs", json=body, headers=th)
    assert r.status_code == 201, r.text
    leg = r.json()
    assert (leg["from_country"], leg["to_country"], leg["crossing"]) == ("VN", "TH", "official_land")
    assert list(leg) == list(JourneyLegOut.model_fields) == list(LEG_FIELDS)
    assert client.get(f"{P}/cases/{cid}", headers=th).json()["journey_legs"] == [leg]
    r = client.post(f"{P}/cases/{cid}/journey-legs", json={"crossing": "teleport"}, headers=th)
    assert r.status_code == 422 and "crossing" in r.text


def test_an_assistance_entry_has_one_shape(client, headers):
    """The entry the API answers on creation is the entry of the case view; the page form reads the same fields."""
    from ctdata.cases.views import ASSISTANCE_FIELDS
    from ctdata.web.api.schemas import AssistanceOut

    th = headers["th"]
    cid = new_case(client, th)["id"]
    body = {"assistance_type": "Medical", "date": "2024-03-02", "provider": "City hospital", "reintegration": "yes"}
    r = client.post(f"{P}/cases/{cid}/assistance", json=body, headers=th)
    assert r.status_code == 201, r.text
    entry = r.json()
    assert (entry["assistance_type"], entry["reintegration"]) == ("medical", True)
    assert list(entry) == list(AssistanceOut.model_fields) == list(ASSISTANCE_FIELDS)
    assert client.get(f"{P}/cases/{cid}", headers=th).json()["assistance"] == [entry]
    analyst = client.get(f"{P}/cases/{cid}", headers=headers["analyst"]).json()["assistance"]
    assert analyst == [{**entry, "provider": None}]


def test_a_recorded_consent_has_one_shape(client, headers):
    """The consent the API answers on creation is the consent of the case view."""
    th = headers["th"]
    cid = new_case(client, th)["id"]
    body = {"kind": "sharing", "organisation": "IOM VN", "date": "2024-03-01", "document_ref": "form 12/2024"}
    r = client.post(f"{P}/cases/{cid}/consents", json=body, headers=th)
    assert r.status_code == 201, r.text
    assert r.json()["document_ref"] == "form 12/2024"
    assert client.get(f"{P}/cases/{cid}", headers=th).json()["consents"] == [r.json()]

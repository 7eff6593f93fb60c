"""Every route of the app against every role: the declared policy, and what actually happens.

A route without a declared policy (``requires(...)`` or ``public_route()``) fails
this test, as does an API route missing from EXPECTED below (the reviewed table of
who may call what). Behaviour is checked for every route, including the pages and
the portal: anonymous gets 401, a role outside the policy 403, and a caseworker of
another office 404 for any case or transfer id.
"""

from __future__ import annotations

import re

import pytest

from ctdata.cases import screening, service, transfer
from ctdata.cases.tx import transaction
from ctdata.web.security import PUBLIC_PATHS, Public, flat_routes, route_policy
from tests.web.conftest import CASE, PASSWORD, PERSON, bearer, make_user

ALL = {"admin", "data_manager", "caseworker", "analyst", "public"}
READ = {"admin", "data_manager", "caseworker", "analyst"}
WORK = {"admin", "caseworker"}
P = "/api/v1"
PUBLIC = "public route"

#: The reviewed access table of the JSON API: (method, path) -> roles allowed.
EXPECTED: dict[tuple[str, str], set[str] | str] = {
    ("POST", f"{P}/auth/login"): PUBLIC,
    ("GET", f"{P}/health"): PUBLIC,
    ("GET", f"{P}/docs"): PUBLIC,
    ("POST", f"{P}/auth/logout"): ALL,
    ("GET", f"{P}/auth/me"): ALL,
    ("GET", f"{P}/cases"): READ,
    ("POST", f"{P}/cases"): WORK,
    ("GET", f"{P}/cases/{{case_id}}"): READ,
    ("PATCH", f"{P}/cases/{{case_id}}"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/screening"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/screenings/{{screening_id}}/override"): WORK,
    ("PATCH", f"{P}/cases/{{case_id}}/exploitation"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/journey-legs"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/assistance"): WORK,
    ("GET", f"{P}/cases/{{case_id}}/perpetrators"): READ,
    ("POST", f"{P}/cases/{{case_id}}/perpetrators"): WORK,
    ("DELETE", f"{P}/cases/{{case_id}}/perpetrators/{{perpetrator_id}}"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/consents"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/return"): WORK,
    ("PATCH", f"{P}/cases/{{case_id}}/return/{{return_id}}"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/return/{{return_id}}/travel"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/return/{{return_id}}/cancel"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/transfers"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/close"): WORK,
    ("POST", f"{P}/cases/{{case_id}}/erase"): {"admin", "data_manager"},
    ("POST", f"{P}/cases/{{case_id}}/void"): {"admin", "data_manager", "caseworker"},
    ("GET", f"{P}/cases/{{case_id}}/audit"): {"admin", "data_manager", "caseworker"},
    ("GET", f"{P}/transfers"): WORK,
    ("POST", f"{P}/transfers/{{transfer_id}}/accept"): WORK,
    ("POST", f"{P}/transfers/{{transfer_id}}/reject"): WORK,
    ("GET", f"{P}/users"): {"admin"},
    ("POST", f"{P}/users"): {"admin"},
}

#: Valid bodies, so that a refusal is the policy's or the scope's and not the body's.
BODIES: dict[tuple[str, str], dict] = {
    ("POST", f"{P}/auth/login"): {"username": "admin", "password": PASSWORD},
    ("POST", f"{P}/cases"): {"person": PERSON, **CASE},
    ("PATCH", f"{P}/cases/{{case_id}}"): {"version": 1, "registration_date": "2024-03-02"},
    ("POST", f"{P}/cases/{{case_id}}/screening"): {
        "actions": ["recruitment"],
        "means": ["fraud"],
        "purposes": ["forced_labour"],
        "age_at_exploitation": 30,
        "vulnerabilities": [],
    },
    ("POST", f"{P}/cases/{{case_id}}/screenings/{{screening_id}}/override"): {
        "determination": "vulnerable_migrant",
        "reason": "judgement",
    },
    ("PATCH", f"{P}/cases/{{case_id}}/exploitation"): {"version": 1, "types": ["forced_labour"]},
    ("POST", f"{P}/cases/{{case_id}}/journey-legs"): {"from_country": "VN", "to_country": "TH"},
    ("POST", f"{P}/cases/{{case_id}}/assistance"): {"assistance_type": "medical"},
    ("POST", f"{P}/cases/{{case_id}}/consents"): {"kind": "sharing", "organisation": "IOM VN"},
    ("POST", f"{P}/cases/{{case_id}}/return"): {"consent_written": True},
    ("PATCH", f"{P}/cases/{{case_id}}/return/{{return_id}}"): {"version": 1, "risk_level": "low"},
    ("POST", f"{P}/cases/{{case_id}}/return/{{return_id}}/travel"): {"travel_date": "2024-06-01"},
    ("POST", f"{P}/cases/{{case_id}}/return/{{return_id}}/cancel"): {"reason": "changed plans"},
    ("POST", f"{P}/cases/{{case_id}}/transfers"): {"to_office_country": "VN"},
    ("POST", f"{P}/cases/{{case_id}}/close"): {"reason": "declined"},
    ("POST", f"{P}/cases/{{case_id}}/erase"): {"reason": "the person's request"},
    ("POST", f"{P}/cases/{{case_id}}/void"): {"reason": "registered twice"},
    ("POST", f"{P}/transfers/{{transfer_id}}/reject"): {"reason": "no capacity"},
    ("POST", f"{P}/users"): {"username": "newuser", "password": "long-enough-pw", "role": "analyst"},
}

#: The roles of the matrix: role key -> the user's role (caseworkers of own and of another office).
MATRIX = {
    "admin": "admin",
    "data_manager": "data_manager",
    "caseworker_own": "caseworker",
    "caseworker_other": "caseworker",
    "analyst": "analyst",
    "public": "public",
    "anonymous": None,
}


def test_every_route_declares_a_policy_and_api_routes_match_the_table(app):
    seen = set()
    for path, methods, route in flat_routes(app):
        policy = route_policy(route)
        if policy is None:
            assert any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS), (
                f"{sorted(methods)} {path} declares no policy: use requires(...) or public_route()"
            )
            continue
        for method in methods - {"HEAD", "OPTIONS"}:
            seen.add((method, path))
            if not path.startswith(P + "/"):
                continue
            assert (method, path) in EXPECTED, f"{method} {path} is not in the reviewed access table"
            want = EXPECTED[(method, path)]
            if want == PUBLIC:
                assert isinstance(policy, Public), f"{method} {path} should be public"
            else:
                assert set(policy.roles) == want, f"{method} {path}: policy {policy.roles}, table {want}"
    assert set(EXPECTED) <= seen, f"routes in the table but not in the app: {set(EXPECTED) - seen}"


@pytest.fixture
def world(engine, actors):  # type: ignore[no-untyped-def]
    """A TH case with a screening and a return; a VN case with a transfer pending to TH."""
    ke = make_user(engine, "ke", "caseworker", "KE", "IOM")
    with transaction(engine) as s:
        th_case = service.register_case(s, actors["th"], PERSON, CASE)
        sid = screening.screen(s, actors["th"], th_case.id, {"actions": ["recruitment"]})["screening_id"]
        from ctdata.cases import returns

        rid = returns.open_return(s, actors["th"], th_case.id, {}).id
        vn_case = service.register_case(
            s, actors["vn"], PERSON, {**CASE, "office_country": "VN", "consent": {"sharing": ["IOM"]}}
        )
        tid = transfer.request_transfer(s, actors["vn"], vn_case.id, {"to_office_country": "TH"}).id
    users = {
        "admin": "admin",
        "data_manager": "dm",
        "caseworker_own": "th",
        "caseworker_other": ke.username,
        "analyst": "analyst",
        "public": "public",
    }
    headers = {k: bearer(engine, u) for k, u in users.items()}
    headers["anonymous"] = {}
    return {"case_id": th_case.id, "screening_id": sid, "return_id": rid, "transfer_id": tid}, headers


def _url(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(ids.get(m.group(1), 1)), path)


def _expect(role_key: str, method: str, path: str, policy) -> set[int] | str:  # type: ignore[no-untyped-def]
    """The statuses a role must get; 'allow' (not 401/403/404/5xx) or 'public' (not 5xx)."""
    role = MATRIX[role_key]
    if isinstance(policy, Public):
        return "public"  # a public form may still refuse, e.g. without its CSRF token
    if role is None:
        return {401}
    if role not in policy.roles:
        return {403}
    if role_key == "caseworker_other":
        if "{case_id}" in path or "{transfer_id}" in path:
            return {404}
        if (method, path) == ("POST", f"{P}/cases"):
            return {403}  # the body names an office that is not theirs
    return "allow"


def _allowed(status: int, path: str, ids: dict[str, int]) -> bool:
    unknown_params = set(re.findall(r"\{(\w+)", path)) - set(ids)
    refused = {401, 403} if unknown_params else {401, 403, 404}  # '1' may not name a real tab or file
    return status not in refused and status < 500


def test_every_route_and_every_role(app, client, world, engine):
    ids, headers = world
    users = {
        "admin": "admin",
        "data_manager": "dm",
        "caseworker_own": "th",
        "caseworker_other": "ke",
        "analyst": "analyst",
        "public": "public",
    }
    routes = []
    for path, methods, route in flat_routes(app):
        policy = route_policy(route)
        if policy is None:
            continue
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path, policy))
    failures = []
    for role_key in MATRIX:
        for method, path, policy in routes:
            body = BODIES.get((method, path), {}) if method in ("POST", "PUT", "PATCH") else None
            client.cookies.clear()
            h = headers[role_key]
            if path.endswith("/logout") and role_key != "anonymous":
                h = bearer(engine, users[role_key])  # a logout ends its session: give it its own
            r = client.request(method, _url(path, ids), json=body, headers=h)
            want = _expect(role_key, method, path, policy)
            if want == "public":
                ok = r.status_code < 500
            elif want == "allow":
                ok = _allowed(r.status_code, path, ids)
            else:
                ok = r.status_code in want
            if not ok:
                failures.append(f"{role_key:17} {method:6} {path}: got {r.status_code}, want {want} ({r.text[:120]})")
    assert not failures, "\n".join(failures)


def test_refusals_are_audited(client, world, engine):
    ids, headers = world
    from sqlalchemy import select

    from ctdata.store.models import AuditEntry

    assert client.get(f"{P}/cases/{ids['case_id']}").status_code == 401
    assert client.get(f"{P}/users", headers=headers["analyst"]).status_code == 403
    assert client.get(f"{P}/cases/{ids['case_id']}", headers=headers["caseworker_other"]).status_code == 404
    with transaction(engine) as s:
        denied = (
            s.execute(select(AuditEntry).where(AuditEntry.action == "access_denied").order_by(AuditEntry.id))
            .scalars()
            .all()
        )
    assert [(e.actor, e.entity) for e in denied] == [("anonymous", "route"), ("analyst", "route"), ("ke", "case")]
    assert denied[1].reason == "role analyst not allowed" and denied[2].entity_id == str(ids["case_id"])

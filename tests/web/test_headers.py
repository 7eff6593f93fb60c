"""Security headers on answers that carry names, the API docs served from the package, the bearer scheme.

Runs on SQLite and PostgreSQL (tests/web/conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.conftest import CASE, PERSON

P = "/api/v1"
STATIC = Path(__file__).resolve().parents[2] / "src" / "ctdata" / "web" / "static"


def _register(client, headers) -> int:  # type: ignore[no-untyped-def]
    r = client.post(f"{P}/cases", json={"person": PERSON, **CASE}, headers=headers["th"])
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_api_answers_with_names_are_not_stored_and_carry_security_headers(client, headers):  # type: ignore[no-untyped-def]
    case_id = _register(client, headers)
    for r in (
        client.get(f"{P}/cases/{case_id}", headers=headers["th"]),
        client.get(f"{P}/cases", headers=headers["th"]),
        client.get(f"{P}/users", headers=headers["admin"]),
        client.get(f"{P}/cases/{case_id}"),  # refusals too
    ):
        assert r.headers.get("cache-control") == "no-store", r.request.url
        assert r.headers.get("x-content-type-options") == "nosniff"
        assert r.headers.get("x-frame-options") == "DENY"
        assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", "")
        assert r.headers.get("referrer-policy")


def test_case_page_is_not_stored_and_cannot_be_framed(app, engine, actors):  # type: ignore[no-untyped-def]
    from tests.web.test_pages import signed_in

    browser, _ = signed_in(app, engine, "th")
    r = browser.get("/cases")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"


def test_static_files_may_be_cached_and_portal_keeps_its_own_policy(client):  # type: ignore[no-untyped-def]
    r = client.get("/static/vendor/swagger-ui/swagger-ui.css")
    assert r.status_code == 200
    assert r.headers.get("cache-control") != "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_docs_page_references_no_external_host(client):  # type: ignore[no-untyped-def]
    r = client.get(f"{P}/docs")
    assert r.status_code == 200
    html = r.text
    assert "cdn" not in html.lower()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs, html
    for ref in refs:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        got = client.get(ref)
        assert got.status_code == 200, ref
        assert len(got.content) > 1000 or ref.endswith(".js"), ref
    assert "script-src 'self'" in r.headers["content-security-policy"]
    init = (STATIC / "js" / "swagger-init.js").read_text()
    assert "validatorUrl: null" in init  # the validator badge would call validator.swagger.io
    assert (STATIC / "vendor" / "swagger-ui" / "LICENSE").is_file()


def test_openapi_declares_the_bearer_scheme_on_protected_operations(client):  # type: ignore[no-untyped-def]
    spec = client.get(f"{P}/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert any(s == {**s, "type": "http", "scheme": "bearer"} for s in schemes.values())
    name = next(iter(schemes))
    assert spec["paths"][f"{P}/cases"]["get"]["security"] == [{name: []}]
    assert spec["paths"][f"{P}/users"]["post"]["security"] == [{name: []}]
    assert "security" not in spec["paths"][f"{P}/auth/login"]["post"]
    assert "security" not in spec["paths"][f"{P}/health"]["get"]

"""Pages and API answer from the one access rule: the audit trail, and ids that name nothing."""

from __future__ import annotations

import pytest

from ctdata.cases import service
from ctdata.cases.tx import transaction
from tests.web.conftest import CASE, PERSON
from tests.web.test_pages import signed_in


@pytest.fixture
def th_case(engine, actors) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return service.register_case(s, actors["th"], PERSON, CASE).id


def test_audit_trail_is_one_rule_for_the_page_tab_and_the_api(app, client, engine, headers, th_case) -> None:  # type: ignore[no-untyped-def]
    """Issue 14 item 10: analysts read a case's audit trail through the page tab while the API refused them."""
    for role, allowed in (("admin", True), ("dm", True), ("th", True), ("analyst", False), ("vn", False)):
        api = client.get(f"/api/v1/cases/{th_case}/audit", headers=headers[role])
        page_client, _ = signed_in(app, engine, role)
        tab = page_client.get(f"/cases/{th_case}/tabs/audit")
        page = page_client.get(f"/cases/{th_case}?tab=audit")
        if allowed:
            assert api.status_code == tab.status_code == page.status_code == 200, role
            assert "Registered the case" in tab.text and any(e["action"] == "case.create" for e in api.json())
        else:
            assert api.status_code in (403, 404) and tab.status_code == page.status_code == api.status_code, role
            assert "Registered the case" not in tab.text + page.text
    overview = signed_in(app, engine, "analyst")[0].get(f"/cases/{th_case}")
    assert overview.status_code == 200 and "Audit trail" not in overview.text  # no tab that would refuse


HUGE = (2**31, 2**63, 2**64, 10**30)


def test_very_large_ids_are_not_found_on_pages_and_api(app, client, engine, headers, actors, th_case) -> None:  # type: ignore[no-untyped-def]
    """Issue 14 item 12: page routes with a very large id answered 500."""
    cw, csrf = signed_in(app, engine, "th")
    dm, dm_csrf = signed_in(app, engine, "dm")
    for n in HUGE:
        pages = [
            cw.get(f"/cases/{n}"),
            cw.get(f"/cases/{n}?tab=audit"),
            cw.get(f"/cases/{n}/tabs/journey"),
            cw.post(f"/cases/{n}/assistance", data={"csrf_token": csrf, "assistance_type": "legal"}),
            cw.post(f"/transfers/{n}/accept", data={"csrf_token": csrf}),
            dm.get(f"/linkage/pairs/{n}"),
            dm.post(f"/linkage/pairs/{n}/decide", data={"csrf_token": dm_csrf, "decision": "match", "reason": "x"}),
        ]
        for r in pages:
            assert r.status_code == 404, (n, r.request.url, r.status_code)
            assert "Page not found" in r.text or "not found" in r.text, r.request.url
    for n in HUGE:
        for path in (f"/api/v1/cases/{n}", f"/api/v1/cases/{n}/audit"):
            r = client.get(path, headers=headers["admin"])
            assert r.status_code == 404, (n, path, r.status_code)
        r = client.post(f"/api/v1/transfers/{n}/accept", headers=headers["th"])
        assert r.status_code == 404, (n, r.status_code)
    assert cw.get(f"/cases/{th_case}").status_code == 200

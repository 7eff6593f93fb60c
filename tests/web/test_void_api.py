"""Voiding through the JSON API and the CLI: the same rule (`cases.closure.void_case`) as the case page."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ctdata.cases import service
from ctdata.cases.tx import transaction
from tests.web.conftest import CASE, PASSWORD, PERSON


def test_api_voids_a_case_and_lists_leave_it_out(client, engine, actors, headers) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    assert client.post(f"/api/v1/cases/{case_id}/void", json={"reason": "x"}, headers=headers["vn"]).status_code == 404
    assert client.post(f"/api/v1/cases/{case_id}/void", json={"reason": "x"},
                       headers=headers["analyst"]).status_code == 403
    r = client.post(f"/api/v1/cases/{case_id}/void", json={"reason": "typed twice"}, headers=headers["th"])
    assert r.status_code == 200 and r.json()["voided"]["by"] == "th" and r.json()["voided"]["reason"] == "typed twice"
    assert client.get("/api/v1/cases", headers=headers["th"]).json()["total"] == 0
    listed = client.get("/api/v1/cases?include_voided=true", headers=headers["th"]).json()
    assert listed["total"] == 1 and listed["items"][0]["voided"] is True
    again = client.post(f"/api/v1/cases/{case_id}/void", json={"reason": "again"}, headers=headers["dm"])
    assert again.status_code == 409


def test_cli_voids_a_case(engine, actors) -> None:  # type: ignore[no-untyped-def]
    from ctdata.cli.case import app

    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    r = CliRunner().invoke(app, ["void", str(case_id), "--reason", "registered twice", "--by", "dm",
                                 "--password-stdin", "--json"], input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["case_id"] == case_id
    with transaction(engine) as s:
        assert service.list_cases(s, actors["th"])["total"] == 0

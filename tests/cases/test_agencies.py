"""The agency registry: accounts, cases and transfers name registered agencies only."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ctdata.cases import service, transfer
from ctdata.cases.access import SYSTEM
from ctdata.cases.agencies import list_agencies, register_agency, require_agency
from ctdata.cases.tx import transaction
from ctdata.cli.app import app
from ctdata.errors import Conflict, PermissionDenied, ValidationError
from ctdata.store import audit
from ctdata.store.models import AuditEntry, CaseRecord
from tests.cases.conftest import CASE, PERSON


def test_user_add_refuses_an_unregistered_agency_with_how_to_register(engine, actors):
    from ctdata.cases.users import create_user

    with pytest.raises(ValidationError) as exc, transaction(engine) as s:
        create_user(s, SYSTEM, "typo", "a-long-password", "caseworker", "TH", "imo")
    msg = str(exc.value)
    assert "unknown agency 'IMO'" in msg and "ctdata agency add IMO --name NAME" in msg
    with transaction(engine) as s:
        assert create_user(s, SYSTEM, "fine", "a-long-password", "caseworker", "TH", "iom").agency == "IOM"


def test_case_registration_refuses_an_unregistered_agency(engine, actors):
    with pytest.raises(ValidationError, match="unknown agency 'IMO'"), transaction(engine) as s:
        service.register_case(s, actors["admin"], PERSON, {**CASE, "agency": "IMO"})
    with transaction(engine) as s:
        assert s.execute(select(CaseRecord.id)).first() is None
        rec = service.register_case(s, actors["admin"], PERSON, {**CASE, "agency": "iom"})
        assert rec.agency == rec.current_agency == "IOM"
        rec = service.register_case(s, actors["th"], PERSON, {**CASE, "agency": "Iom"})
        assert rec.agency == "IOM"


def test_a_transfer_names_a_registered_agency(engine, actors):
    with transaction(engine) as s:
        cid = service.register_case(s, actors["th"], PERSON, {**CASE, "consent": {"sharing": ["UNHCR VN"]}}).id
    with pytest.raises(ValidationError, match="unknown agency 'UNHCR'"), transaction(engine) as s:
        transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN", "to_agency": "unhcr"})
    with transaction(engine) as s:
        register_agency(s, actors["dm"], "unhcr", "UN Refugee Agency")
    with transaction(engine) as s:
        t = transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN", "to_agency": "unhcr"})
        assert t.to_agency == "UNHCR"


def test_register_agency_roles_repeat_and_audit(engine, actors):
    for who in ("th", "analyst", "public"):
        with pytest.raises(PermissionDenied), transaction(engine) as s:
            register_agency(s, actors[who], "NGO-A", "An NGO")
    with transaction(engine) as s:
        row = register_agency(s, actors["dm"], "  ngo-a ", "  An   NGO ")
        assert (row.code, row.name, row.created_by) == ("NGO-A", "An NGO", "dm")
    with pytest.raises(Conflict, match="already registered"), transaction(engine) as s:
        register_agency(s, actors["admin"], "Ngo-A", None)
    with pytest.raises(ValidationError, match="agency"), transaction(engine) as s:
        register_agency(s, actors["admin"], "   ", None)
    with transaction(engine) as s:
        assert require_agency(s, "ngo-a") == "NGO-A"
        assert [a["code"] for a in list_agencies(s)] == ["IOM", "NGO-A"]
        entry = s.execute(
            select(AuditEntry).where(AuditEntry.action == "agency.create", AuditEntry.entity_id == "NGO-A")
        ).scalar_one()
        assert entry.actor == "dm"
        assert audit.verify(s).ok


def test_agency_commands(engine):
    runner = CliRunner()
    r = runner.invoke(app, ["agency", "list"])
    assert r.exit_code == 0 and "no agencies registered" in r.output
    r = runner.invoke(app, ["agency", "add", "örk", "--name", "Österreichisches Rotes Kreuz"])
    assert r.exit_code == 0, r.output
    assert "agency ÖRK registered (Österreichisches Rotes Kreuz)" in r.output
    r = runner.invoke(app, ["agency", "add", "ÖRK"])
    assert isinstance(r.exception, Conflict) and "already registered" in str(r.exception)
    done = subprocess.run([sys.executable, "-m", "ctdata.cli", "agency", "add", "Örk"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == Conflict.exit_code
    assert done.stderr.strip() == "error: agency 'ÖRK' is already registered"
    r = runner.invoke(app, ["agency", "list", "--json"])
    assert r.exit_code == 0
    listed = json.loads(r.output)
    assert [(a["code"], a["name"], a["created_by"]) for a in listed] == [("ÖRK", "Österreichisches Rotes Kreuz", "cli")]
    r = runner.invoke(app, ["user", "add", "cw", "--role", "caseworker", "--office", "AT", "--agency", "ORK",
                            "--password-stdin"], input="a-long-password\n")
    assert isinstance(r.exception, ValidationError) and "unknown agency 'ORK'" in str(r.exception)
    r = runner.invoke(app, ["user", "add", "cw", "--role", "caseworker", "--office", "AT", "--agency", "örk",
                            "--password-stdin"], input="a-long-password\n")
    assert r.exit_code == 0, r.output
    assert "(ÖRK AT)" in r.output

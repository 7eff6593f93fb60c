"""Voiding a case registered by mistake: who may, what it takes, and what a void case is left out of
(lists, the warehouse and so every indicator) through the one rule `store.models.counted`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ctdata.cases import closure, journeys, service
from ctdata.cases.tx import transaction
from ctdata.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ctdata.store.models import AuditEntry, CaseRecord
from tests.cases.conftest import CASE, PERSON


def _register(engine, actor) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return service.register_case(s, actor, PERSON, CASE).id


def test_office_caseworker_voids_a_case_which_leaves_the_list(engine, actors) -> None:  # type: ignore[no-untyped-def]
    keep, void = _register(engine, actors["th"]), _register(engine, actors["th"])
    with transaction(engine) as s:
        closure.void_case(s, actors["th2"], void, "registered twice")
    with transaction(engine) as s:
        listed = service.list_cases(s, actors["th"])
        assert listed["total"] == 1 and [c["id"] for c in listed["items"]] == [keep]
        every = service.list_cases(s, actors["th"], include_voided=True)
        assert every["total"] == 2 and {c["id"]: c["voided"] for c in every["items"]} == {keep: False, void: True}
        view = service.get_case(s, actors["th"], void)
        assert view["voided"]["by"] == "th2" and view["voided"]["reason"] == "registered twice"
        row = s.get(CaseRecord, void)
        assert row.void_reason_enc is not None and b"registered twice" not in row.void_reason_enc
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "case.void")).scalar_one()
        assert entry.entity_id == str(void) and entry.actor == "th2"
        assert "registered twice" not in str(entry.details) and not entry.reason
    with transaction(engine) as s, pytest.raises(Conflict, match="voided"):
        journeys.add_leg(s, actors["th"], void, {"from_country": "VN", "to_country": "TH"})
    with transaction(engine) as s, pytest.raises(Conflict, match="already voided"):
        closure.void_case(s, actors["th"], void, "again")


def test_who_may_void(engine, actors) -> None:  # type: ignore[no-untyped-def]
    case_id = _register(engine, actors["th"])
    with transaction(engine) as s, pytest.raises(NotFound):
        closure.void_case(s, actors["vn"], case_id, "not ours")
    with transaction(engine) as s, pytest.raises(PermissionDenied):
        closure.void_case(s, actors["analyst"], case_id, "mistake")
    with transaction(engine) as s, pytest.raises(ValidationError) as info:
        closure.void_case(s, actors["th"], case_id, "  ")
    assert "reason" in info.value.fields
    with transaction(engine) as s:
        closure.void_case(s, actors["dm"], case_id, "duplicate of another registration")
        assert s.get(CaseRecord, case_id).voided_by == "dm"

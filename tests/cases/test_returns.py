"""Assisted voluntary return: a return cannot be marked travelled while any gate is open."""

from __future__ import annotations

import pytest

from ctdata.cases import closure, returns, service
from ctdata.cases.tx import transaction
from ctdata.errors import Conflict, ValidationError
from ctdata.store.models import ReturnRecord
from tests.cases.conftest import CASE, CHILD, PERSON

ADULT_GATES = {"consent_written": True, "risk_level": "medium", "risk_mitigations": "escort on arrival"}
CHILD_GATES = {
    "best_interest_determination": True,
    "bid_authority": "Child protection office",
    "guardian_willing": True,
    "guardian_able": True,
}


def new_case(engine, actor, person=PERSON) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return service.register_case(s, actor, person, CASE).id


def travel(engine, actor, cid, rid):  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return returns.mark_travelled(s, actor, cid, rid, "2024-06-01").status


@pytest.mark.parametrize(
    "missing, words",
    [
        ("consent_written", "informed written consent"),
        ("risk_level", "no risk assessment"),
        ("risk_mitigations", "no mitigations"),
    ],
)
def test_each_adult_gate_blocks_travel(engine, actors, missing, words):
    cid = new_case(engine, actors["th"])
    gates = {k: v for k, v in ADULT_GATES.items() if k != missing}
    with transaction(engine) as s:
        r = returns.open_return(s, actors["th"], cid, gates)
        assert r.is_child is False and r.status == "requested"
        rid = r.id
    with pytest.raises(Conflict) as err:
        travel(engine, actors["th"], cid, rid)
    assert words in str(err.value) and str(err.value).count(";") == 0  # exactly this one gate is named


@pytest.mark.parametrize(
    "missing, words",
    [
        ("best_interest_determination", "best-interest determination"),
        ("guardian_willing", "willingness"),
        ("guardian_able", "means to care"),
    ],
)
def test_each_child_gate_blocks_travel(engine, actors, missing, words):
    cid = new_case(engine, actors["th"], CHILD)
    gates = {**ADULT_GATES, **{k: v for k, v in CHILD_GATES.items() if k != missing}}
    with transaction(engine) as s:
        r = returns.open_return(s, actors["th"], cid, gates)
        assert r.is_child is True
        rid = r.id
    with pytest.raises(Conflict, match=words):
        travel(engine, actors["th"], cid, rid)


def test_all_gates_named_then_closed_then_travel_and_reintegration(engine, actors):
    cid = new_case(engine, actors["th"], CHILD)
    with transaction(engine) as s:
        rid = returns.open_return(s, actors["th"], cid, {"requested_date": "2024-04-01"}).id
    with pytest.raises(Conflict) as err:
        travel(engine, actors["th"], cid, rid)
    assert str(err.value).count(";") == 5  # consent, risk, mitigations, BID, willing, able
    with transaction(engine) as s:
        r = returns.update_return(s, actors["th"], cid, rid, ADULT_GATES, 1)
        assert r.status == "requested"
        r = returns.update_return(s, actors["th2"], cid, rid, CHILD_GATES, r.version)
        assert r.status == "approved" and returns.open_gates(r) == []
    with pytest.raises(Conflict, match="changed by someone else"):
        with transaction(engine) as s:
            returns.update_return(s, actors["th"], cid, rid, {"guardian_able": False}, 1)
    assert travel(engine, actors["th"], cid, rid) == "travelled"
    with pytest.raises(Conflict, match="only its reintegration plan"):
        with transaction(engine) as s:
            returns.update_return(s, actors["th"], cid, rid, {"consent_written": False}, None)
    with transaction(engine) as s:
        r = returns.update_return(s, actors["th"], cid, rid, {"reintegration_plan": True}, None)
        assert r.reintegration_plan is True and r.travel_date == "2024-06-01"
    with transaction(engine) as s:
        closure.close_case(s, actors["th"], cid, "returned")


def test_reopening_a_gate_withdraws_approval(engine, actors):
    cid = new_case(engine, actors["th"])
    with transaction(engine) as s:
        r = returns.open_return(s, actors["th"], cid, ADULT_GATES)
        assert r.status == "approved"
        r = returns.update_return(s, actors["th"], cid, r.id, {"consent_written": False}, r.version)
        assert r.status == "requested"
        rid = r.id
    with pytest.raises(Conflict, match="consent"):
        travel(engine, actors["th"], cid, rid)


def test_child_gates_cannot_be_skipped_and_unknown_age_keeps_them(engine, actors):
    cid = new_case(engine, actors["th"], CHILD)
    with pytest.raises(ValidationError, match="child"):
        with transaction(engine) as s:
            returns.open_return(s, actors["th"], cid, {**ADULT_GATES, "is_child": False})
    unknown = new_case(engine, actors["th"], {**PERSON, "date_of_birth": None})
    with transaction(engine) as s:
        r = returns.open_return(s, actors["th"], unknown, ADULT_GATES)
        assert r.is_child is None and any("whether the person is a child" in g for g in returns.open_gates(r))
        r = returns.update_return(s, actors["th"], unknown, r.id, {"is_child": False}, r.version)
        assert r.status == "approved"


def test_one_active_return_and_closure_waits_for_it(engine, actors):
    cid = new_case(engine, actors["th"])
    with transaction(engine) as s:
        rid = returns.open_return(s, actors["th"], cid, {}).id
    with pytest.raises(Conflict, match="already has a return"):
        with transaction(engine) as s:
            returns.open_return(s, actors["th"], cid, {})
    with pytest.raises(Conflict, match="return in progress"):
        with transaction(engine) as s:
            closure.close_case(s, actors["th"], cid, "declined")
    with transaction(engine) as s:
        assert returns.cancel_return(s, actors["th"], cid, rid, "changed their mind").status == "cancelled"
        closure.close_case(s, actors["th"], cid, "declined")
        assert s.get(ReturnRecord, rid).status == "cancelled"


def test_a_return_is_not_opened_with_a_travel_date(engine, actors):
    """Travel is recorded by marking it, once the gates are closed; opening a return cannot skip that."""
    cid = new_case(engine, actors["th"])
    with transaction(engine) as s, pytest.raises(ValidationError, match="marked travelled"):
        returns.open_return(s, actors["th"], cid, {**ADULT_GATES, "travel_date": "2024-06-01"})
    with transaction(engine) as s:
        assert returns.open_return(s, actors["th"], cid, ADULT_GATES).travel_date is None

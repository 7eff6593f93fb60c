"""The fields the annual report's model states per case: what was promised at recruitment and how the
person was recruited, kinds of legal assistance, what funded an item of assistance, and the
reintegration follow-up after a return (each on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ctdata.cases import assistance, exploitation, returns, service
from ctdata.cases.tx import transaction
from ctdata.errors import Conflict, ValidationError
from ctdata.store.models import Assistance, CaseRecord
from tests.cases.conftest import CASE, PERSON
from tests.cases.test_returns import ADULT_GATES, travel


def new_case(engine, actor) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return service.register_case(s, actor, PERSON, CASE).id


def test_recruitment_promise_and_tactics_are_stored_and_the_job_encrypted(engine, actors):
    cid = new_case(engine, actors["th"])
    with transaction(engine) as s:
        exploitation.set_exploitation(
            s, actors["th"], cid,
            {"recruitment_tactics": ["job_offer", "loan"], "promised_job": "Waitress at Zorvilan hotel",
             "promised_sector": "hospitality"},
            1,
        )
    with transaction(engine) as s:
        rec = s.get(CaseRecord, cid)
        assert rec.recruitment_tactics == ["job_offer", "loan"] and rec.promised_sector == "hospitality"
        raw = s.execute(text("SELECT promised_job_enc FROM case_records WHERE id = :i"), {"i": cid}).scalar()
        assert raw is not None and b"Zorvilan" not in bytes(raw)
        seen = service.get_case(s, actors["th"], cid)["exploitation"]
        assert seen["promised_job"] == "Waitress at Zorvilan hotel"
        assert seen["recruitment_tactics"] == ["job_offer", "loan"] and seen["promised_sector"] == "hospitality"
        assert service.get_case(s, actors["analyst"], cid)["exploitation"]["promised_job"] is None  # free text


def test_an_unknown_tactic_is_refused(engine, actors):
    cid = new_case(engine, actors["th"])
    with pytest.raises(ValidationError, match="recruitment_tactics"):
        with transaction(engine) as s:
            exploitation.set_exploitation(s, actors["th"], cid, {"recruitment_tactics": ["bribery"]}, 1)


def test_legal_sub_types_and_funding_of_an_item(engine, actors):
    cid = new_case(engine, actors["th"])
    with transaction(engine) as s:
        row = assistance.add_assistance(
            s, actors["th"], cid,
            {"assistance_type": "legal", "legal_types": ["documents", "compensation"],
             "funding_source": "fund", "funding_name": "Global Assistance Fund"},
        )
        aid = row.id
    with transaction(engine) as s:
        a = s.get(Assistance, aid)
        assert a.legal_types == ["documents", "compensation"]
        assert (a.funding_source, a.funding_name) == ("fund", "Global Assistance Fund")
        shown = service.get_case(s, actors["th"], cid)["assistance"][0]
        assert shown["legal_types"] == ["documents", "compensation"] and shown["funding_source"] == "fund"


@pytest.mark.parametrize(
    "item, words",
    [
        ({"assistance_type": "medical", "legal_types": ["documents"]}, "only legal assistance"),
        ({"assistance_type": "medical", "funding_source": "fund"}, "name the fund"),
        ({"assistance_type": "medical", "funding_name": "Emergency fund"}, "project or a fund"),
        ({"assistance_type": "legal", "legal_types": ["bail"]}, "legal_types"),
    ],
)
def test_inconsistent_items_are_refused(engine, actors, item, words):
    cid = new_case(engine, actors["th"])
    with pytest.raises(ValidationError, match=words):
        with transaction(engine) as s:
            assistance.add_assistance(s, actors["th"], cid, item)


def test_reintegration_follow_up_comes_after_travel(engine, actors):
    cid = new_case(engine, actors["th"])
    follow = {"follow_up_date": "2024-12", "reintegration_status": "completed"}
    with pytest.raises(ValidationError, match="once the return has travelled"):
        with transaction(engine) as s:
            returns.open_return(s, actors["th"], cid, {**ADULT_GATES, **follow})
    with transaction(engine) as s:
        r = returns.open_return(s, actors["th"], cid, ADULT_GATES)
        rid, version = r.id, r.version
    with pytest.raises(ValidationError, match="once the return has travelled"):
        with transaction(engine) as s:
            returns.update_return(s, actors["th"], cid, rid, follow, version)
    travel(engine, actors["th"], cid, rid)
    with transaction(engine) as s:
        r = s.get(returns.ReturnRecord, rid)
        r = returns.update_return(s, actors["th"], cid, rid, follow, r.version)
        assert (r.follow_up_date, r.reintegration_status) == ("2024-12", "completed")
        assert service.get_case(s, actors["th"], cid)["returns"][0]["reintegration_status"] == "completed"
    with pytest.raises(Conflict, match="plan and follow-up"):
        with transaction(engine) as s:
            r = s.get(returns.ReturnRecord, rid)
            returns.update_return(s, actors["th"], cid, rid, {"risk_level": "low"}, r.version)

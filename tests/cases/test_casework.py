"""Screening (persisted determinations, overrides), exploitation, journey legs, assistance."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ctdata.cases import assistance, exploitation, journeys, screening, service, transfer
from ctdata.cases.tx import transaction
from ctdata.errors import Conflict, NotFound, ValidationError
from ctdata.store.models import AuditEntry, CaseRecord, Screening
from tests.cases.conftest import CASE, PERSON


@pytest.fixture
def cid(engine, actors) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return service.register_case(s, actors["th"], PERSON, CASE).id


ADULT = {
    "actions": ["recruitment"],
    "means": ["deception"],
    "purposes": ["forced_labour"],
    "age_at_exploitation": 25,
    "vulnerabilities": [],
}


def test_screening_persists_determination_and_moves_status(engine, actors, cid):
    with transaction(engine) as s:
        out = screening.screen(
            s, actors["th"], cid, {**ADULT, "notes": "met at the shelter", "indicators": ["debt bondage"]}
        )
    assert out["determination"] == "victim_of_trafficking" and out["rule"] == "art3_adult_action_means_purpose"
    assert out["missing"] == [] and out["case_version"] == 2
    with transaction(engine) as s:
        rec = s.get(CaseRecord, cid)
        row = s.execute(select(Screening)).scalar_one()
        assert rec.status == "victim_of_trafficking" and rec.age_at_exploitation == 25
        assert rec.child_at_exploitation is False
        assert row.notes_enc is not None and b"shelter" not in row.notes_enc
        view = service.get_case(s, actors["th"], cid)
        assert view["screenings"][0]["notes"] == "met at the shelter"
        assert service.get_case(s, actors["analyst"], cid)["screenings"][0]["notes"] is None


def test_screening_missing_means_is_vulnerable_migrant_or_not_eligible(engine, actors, cid):
    with transaction(engine) as s:
        out = screening.screen(
            s,
            actors["th"],
            cid,
            {"actions": ["recruitment"], "purposes": ["forced_labour"], "vulnerabilities": ["stranded"]},
        )
    assert out["determination"] == "vulnerable_migrant" and "means" in out["missing"]
    with pytest.raises(ValidationError, match="actions: “teleportation” is not one of the values allowed here"):
        with transaction(engine) as s:
            screening.screen(s, actors["th"], cid, {"actions": ["teleportation"]})


def test_override_keeps_engine_answer_and_is_audited_with_reason(engine, actors, cid):
    with transaction(engine) as s:
        sid = screening.screen(s, actors["th"], cid, {"actions": ["recruitment"], "purposes": []})["screening_id"]
    with pytest.raises(ValidationError, match="reason"):
        with transaction(engine) as s:
            screening.override(s, actors["th"], cid, sid, "vulnerable_migrant", "  ")
    with transaction(engine) as s:
        out = screening.override(s, actors["th2"], cid, sid, "vulnerable_migrant", "stranded without documents")
    assert out["rule"] == "override" and out["override"]["original_determination"] == "not_eligible"
    with transaction(engine) as s:
        row = s.get(Screening, sid)
        assert row.determination == "not_eligible" and row.override_determination == "vulnerable_migrant"
        assert s.get(CaseRecord, cid).status == "vulnerable_migrant"
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "screening.override")).scalar_one()
        # the reason is kept encrypted with the screening; the audit log names the field, never the text
        assert entry.actor == "th2" and entry.reason is None and entry.details["fields"] == ["override_reason"]
        assert "stranded" not in repr(entry.details) and b"stranded" not in (row.override_reason_enc or b"")
        view = service.get_case(s, actors["th"], cid)
        assert view["screenings"][0]["override_reason"] == "stranded without documents"
    with pytest.raises(NotFound):
        with transaction(engine) as s:
            screening.override(s, actors["th"], cid, sid + 99, "not_eligible", "x")


def test_screening_with_stale_version_is_refused(engine, actors, cid):
    with pytest.raises(Conflict):
        with transaction(engine) as s:
            screening.screen(s, actors["th"], cid, ADULT, expected_version=7)


def test_exploitation_details_only_change_given_fields(engine, actors, cid):
    with transaction(engine) as s:
        exploitation.set_exploitation(
            s,
            actors["th"],
            cid,
            {"types": ["forced_labour"], "labour_sectors": ["aquafarming"], "country_of_exploitation": "Thailand"},
            1,
        )
    with transaction(engine) as s:
        exploitation.set_exploitation(s, actors["th"], cid, {"means_of_control": ["debt_bondage"]}, 2)
    with transaction(engine) as s:
        rec = s.get(CaseRecord, cid)
        assert rec.exploitation_types == ["forced_labour"] and rec.labour_sectors == ["aquafarming"]
        assert rec.country_of_exploitation == "TH" and rec.means_of_control == ["debt_bondage"]
    with pytest.raises(Conflict):
        with transaction(engine) as s:
            exploitation.set_exploitation(s, actors["th"], cid, {"types": ["other"]}, 2)


def test_journey_legs_are_numbered_and_unique(engine, actors, cid):
    with transaction(engine) as s:
        a = journeys.add_leg(
            s,
            actors["th"],
            cid,
            {"from_country": "VN", "to_country": "KH", "crossing": "official_land", "transport_mode": "bus"},
        )
        b = journeys.add_leg(
            s,
            actors["th"],
            cid,
            {"from_country": "KH", "to_country": "TH", "crossing": "unofficial", "exploited": "during"},
        )
        assert (a.leg_number, b.leg_number) == (1, 2)
    with pytest.raises(Conflict, match="number 2"):
        with transaction(engine) as s:
            journeys.add_leg(s, actors["th"], cid, {"leg_number": 2})
    with pytest.raises(ValidationError, match="crosses a border"):
        with transaction(engine) as s:
            journeys.add_leg(s, actors["th"], cid, {"from_country": "KH", "to_country": "TH", "crossing": "none"})
    with transaction(engine) as s:
        legs = service.get_case(s, actors["th"], cid)["journey_legs"]
    assert [(x["leg_number"], x["to_country"]) for x in legs] == [(1, "KH"), (2, "TH")]


def test_assistance_recorded_with_reintegration_flag(engine, actors, cid):
    with transaction(engine) as s:
        assistance.add_assistance(s, actors["th"], cid, {"assistance_type": "medical", "date": "2024-03-02"})
        assistance.add_assistance(s, actors["th"], cid, {"assistance_type": "education", "reintegration": "yes"})
    with pytest.raises(ValidationError, match="assistance_type"):
        with transaction(engine) as s:
            assistance.add_assistance(s, actors["th"], cid, {"assistance_type": "spa"})
    with pytest.raises(NotFound):
        with transaction(engine) as s:
            assistance.add_assistance(s, actors["vn"], cid, {"assistance_type": "medical"})
    with transaction(engine) as s:
        rows = service.get_case(s, actors["th"], cid)["assistance"]
        assert [(r["assistance_type"], r["reintegration"]) for r in rows] == [("medical", False), ("education", True)]
        assert s.get(CaseRecord, cid).version == 3


# --- screening writes its findings into the case (issue 19) --------------------------------------------


def test_screening_writes_exploitation_types_from_the_purposes(engine, actors, cid):
    """Screening recorded forced labour; the case showed no exploitation type, so indicators missed it."""
    with transaction(engine) as s:
        out = screening.screen(s, actors["th"], cid, ADULT)
    assert out["exploitation_types"] == ["forced_labour"]
    with transaction(engine) as s:
        assert s.get(CaseRecord, cid).exploitation_types == ["forced_labour"]
        assert service.get_case(s, actors["th"], cid)["exploitation"]["types"] == ["forced_labour"]
    # a type no purpose makes stays; the latest screening's purposes replace the types screening made
    with transaction(engine) as s:
        exploitation.set_exploitation(
            s, actors["th"], cid, {"types": ["forced_labour", "forced_military"]}, expected_version=2
        )
    both = {**ADULT, "purposes": ["sexual_exploitation", "forced_labour", "servitude"]}
    with transaction(engine) as s:
        screening.screen(s, actors["th"], cid, both)
    with transaction(engine) as s:
        assert s.get(CaseRecord, cid).exploitation_types == ["sex_and_labour", "forced_military", "slavery"]
    with transaction(engine) as s:  # no purpose recorded: the types are left as they are
        screening.screen(s, actors["th"], cid, {"actions": ["recruitment"], "vulnerabilities": ["stranded"]})
    with transaction(engine) as s:
        assert s.get(CaseRecord, cid).exploitation_types == ["sex_and_labour", "forced_military", "slavery"]
        entry = s.execute(
            select(AuditEntry).where(AuditEntry.action == "screening.create").order_by(AuditEntry.id)
        ).scalars().all()[1]
        assert entry.details["case"]["exploitation_types"] == ["sex_and_labour", "forced_military", "slavery"]


def test_screening_writes_consents_including_sharing_with_named_organisations(engine, actors, cid):
    """A sharing consent recorded at screening left the case's sharing list empty (transfers refused)."""
    consent = {"assistance": True, "research": False, "sharing": ["IOM Viet Nam", "UNHCR"]}
    with transaction(engine) as s:
        screening.screen(s, actors["th"], cid, {**ADULT, "consent": consent, "country_of_exploitation": "MY"})
    with transaction(engine) as s:
        view = service.get_case(s, actors["th"], cid)
        assert view["consent"] == {"assistance": True, "research": False, "sharing": ["IOM Viet Nam", "UNHCR"]}
        assert view["exploitation"]["country_of_exploitation"] == "MY"
    with transaction(engine) as s:  # the same organisation again adds nothing; a new one is added
        screening.screen(s, actors["th"], cid, {**ADULT, "consent": {"sharing": ["iom  viet nam", "ILO"]}})
    with transaction(engine) as s:
        view = service.get_case(s, actors["th"], cid)
        assert view["consent"] == {"assistance": True, "research": False, "sharing": ["IOM Viet Nam", "UNHCR", "ILO"]}
    with transaction(engine) as s:  # the consent recorded at screening allows the transfer
        transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN", "to_agency": "IOM"})
    with pytest.raises(ValidationError, match="consent"):
        with transaction(engine) as s:
            screening.screen(s, actors["th"], cid, {**ADULT, "consent": {"sharing": "UNHCR", "x": 1}})


def test_a_recorded_sharing_consent_appears_in_the_sharing_list(engine, actors, cid):
    with transaction(engine) as s:
        transfer.record_consent(s, actors["th"], cid, {"kind": "sharing", "organisation": "IOM Viet Nam"})
    with transaction(engine) as s:
        assert service.get_case(s, actors["th"], cid)["consent"]["sharing"] == ["IOM Viet Nam"]
    with transaction(engine) as s:
        transfer.record_consent(
            s, actors["th"], cid, {"kind": "sharing", "organisation": "IOM Viet Nam", "given": False}
        )
    with transaction(engine) as s:
        assert service.get_case(s, actors["th"], cid)["consent"]["sharing"] == []


def test_register_screened_registers_and_writes_findings_in_one_transaction(engine, actors):
    findings = {
        "actions": ["recruitment"],
        "purposes": ["forced_labour"],
        "age_at_exploitation": 30,
        "consent": {"assistance": True, "sharing": ["IOM VN"]},
    }
    with transaction(engine) as s:
        out = screening.register_screened(s, actors["th"], PERSON, CASE, findings)
    assert out["determination"] == "vulnerable_migrant" and out["rule"] == "needs_first_exploitation_or_abuse"
    with transaction(engine) as s:
        view = service.get_case(s, actors["th"], out["case_id"])
    assert view["status"] == "vulnerable_migrant" and view["exploitation"]["types"] == ["forced_labour"]
    assert view["consent"]["sharing"] == ["IOM VN"] and view["consent"]["assistance"] is True
    with pytest.raises(ValidationError):
        with transaction(engine) as s:
            screening.register_screened(s, actors["th"], PERSON, CASE, {**findings, "purposes": ["magic"]})
    with transaction(engine) as s:
        assert service.list_cases(s, actors["th"])["total"] == 1

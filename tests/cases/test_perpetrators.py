"""Perpetrators on a case: the case's access rule, encrypted identifiers, audited reads and writes, erasure."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from ctdata.cases import perpetrators, service
from ctdata.cases.tx import transaction
from ctdata.errors import NotFound, PermissionDenied, ValidationError
from ctdata.publish import erasure as erasure_flow
from ctdata.store.models import AuditEntry, Perpetrator
from tests.cases.conftest import CASE, PERSON

RECRUITER = {
    "roles": ["recruiter", "broker"],
    "sex": "male",
    "age_band": "30-38",
    "citizenship": "VN",
    "relation": "friend_acquaintance",
    "paid_money": "yes",
    "means_of_control": ["debt_bondage", "threats"],
    "names": ["Quelvarin Dost"],
    "aliases": ["Big Q"],
    "phone_numbers": ["+84 90 555 0101"],
    "document_numbers": ["QX-778812"],
    "addresses": ["12 Quelvarin street"],
}
SECRETS = ("Quelvarin", "Big Q", "555 0101", "QX-778812")


def _case_with_recruiter(engine, actors) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        cid = service.register_case(s, actors["th"], PERSON, CASE).id
        pid = perpetrators.add_perpetrator(s, actors["th"], cid, RECRUITER).id
    return cid, pid


def test_caseworker_records_and_reads_a_perpetrator(engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid, pid = _case_with_recruiter(engine, actors)
    with transaction(engine) as s:
        got = perpetrators.list_perpetrators(s, actors["th"], cid)
        case = service.get_case(s, actors["th"], cid)
    assert [p["id"] for p in got] == [pid]
    p = got[0]
    assert p["roles"] == ["recruiter", "broker"] and p["sex"] == ["male"] and p["citizenship"] == ["VN"]
    assert p["names"] == ["Quelvarin Dost"] and p["phone_numbers"] == ["+84 90 555 0101"]
    assert p["means_of_control"] == ["debt_bondage", "threats"] and p["grouped"] is False
    assert case["perpetrators"] == got


def test_identifiers_are_encrypted_at_rest_and_never_audited(engine, actors) -> None:  # type: ignore[no-untyped-def]
    _case_with_recruiter(engine, actors)
    with engine.connect() as c:
        rows = c.execute(text("SELECT * FROM perpetrators")).all()
        audit = c.execute(select(AuditEntry.details, AuditEntry.action)).all()
    raw = repr(rows).encode() + b"".join(v for r in rows for v in r if isinstance(v, bytes | memoryview))
    for secret in SECRETS:
        assert secret.encode() not in raw
        assert secret not in repr(audit)
    assert "perpetrator.create" in {a for _, a in audit}


def test_analyst_sees_no_identifier_and_other_office_sees_nothing(engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid, _ = _case_with_recruiter(engine, actors)
    with transaction(engine) as s:
        seen = perpetrators.list_perpetrators(s, actors["analyst"], cid)
    assert seen[0]["roles"] == ["recruiter", "broker"]
    assert all(seen[0][f] == [] for f in ("names", "aliases", "phone_numbers", "document_numbers", "addresses"))
    for secret in SECRETS:
        assert secret not in repr(seen)
    with pytest.raises(NotFound), transaction(engine) as s:
        perpetrators.list_perpetrators(s, actors["vn"], cid)
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        perpetrators.add_perpetrator(s, actors["dm"], cid, {"roles": ["exploiter"]})
    with transaction(engine) as s:
        actions = [a for (a,) in s.execute(select(AuditEntry.action).where(AuditEntry.actor == "vn"))]
        reads = [a for (a,) in s.execute(select(AuditEntry.action).where(AuditEntry.actor == "analyst"))]
    assert actions == ["access_denied"] and reads == ["perpetrator.read"]


def test_one_person_has_one_sex_unless_the_row_is_grouped(engine, actors) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        cid = service.register_case(s, actors["th"], PERSON, CASE).id
    with pytest.raises(ValidationError, match="sex"), transaction(engine) as s:
        perpetrators.add_perpetrator(s, actors["th"], cid, {"sex": ["male", "female"]})
    with pytest.raises(ValidationError, match="“boss” is not one of the values allowed here"), transaction(engine) as s:
        perpetrators.add_perpetrator(s, actors["th"], cid, {"roles": ["boss"]})
    with transaction(engine) as s:
        p = perpetrators.add_perpetrator(s, actors["th"], cid, {"sex": "male;female", "grouped": True})
        assert p.sex == ["male", "female"]


def test_erasure_clears_the_perpetrators_identifiers(engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid, pid = _case_with_recruiter(engine, actors)
    erasure_flow.erase(actors["admin"], cid, "written request received", engine=engine)
    with transaction(engine) as s:
        row = s.get(Perpetrator, pid)
        assert row is not None
        assert all(getattr(row, f"{f}_enc") is None
                   for f in ("names", "aliases", "phone_numbers", "document_numbers", "addresses"))
        assert row.roles == ["recruiter", "broker"] and row.sex == ["male"]  # counts stay


def test_remove_a_perpetrator_recorded_in_error(engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid, pid = _case_with_recruiter(engine, actors)
    with transaction(engine) as s:
        perpetrators.remove_perpetrator(s, actors["th"], cid, pid, reason="entered on the wrong case")
    with transaction(engine) as s:
        assert perpetrators.list_perpetrators(s, actors["th"], cid) == []
    with pytest.raises(NotFound), transaction(engine) as s:
        perpetrators.remove_perpetrator(s, actors["th"], cid, pid, reason="again")


def test_screening_questions_fill_the_perpetrators(engine, actors) -> None:  # type: ignore[no-untyped-def]
    from ctdata.cases import screening

    with transaction(engine) as s:
        cid = service.register_case(s, actors["th"], PERSON, CASE).id
    answers = {"actions": ["recruitment"], "means": ["deception"], "purposes": ["forced_labour"],
               "perpetrators": [RECRUITER, {"roles": "exploiter", "relation": "stranger_other"}]}
    with pytest.raises(ValidationError, match="perpetrator 2"), transaction(engine) as s:
        screening.screen(s, actors["th"], cid, {**answers, "perpetrators": [RECRUITER, {"roles": "boss"}]})
    with transaction(engine) as s:
        assert perpetrators.list_perpetrators(s, actors["th"], cid) == []  # nothing of the refused screening
        got = screening.screen(s, actors["th"], cid, answers)
    assert got["determination"] == "victim_of_trafficking"
    with transaction(engine) as s:
        rows = perpetrators.list_perpetrators(s, actors["th"], cid)
    assert [r["roles"] for r in rows] == [["recruiter", "broker"], ["exploiter"]]
    assert rows[0]["names"] == ["Quelvarin Dost"]

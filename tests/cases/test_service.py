"""Registration, reading, listing, searching, updating; scoping, de-identification, concurrency, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ctdata.cases import closure, erasure, service
from ctdata.cases.access import Actor
from ctdata.cases.tx import transaction
from ctdata.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ctdata.store import audit
from ctdata.store.fields import unseal
from ctdata.store.models import AuditEntry, CaseRecord, Person
from tests.cases.conftest import CASE, CHILD, PERSON


def register(engine, actor: Actor, person=PERSON, case=CASE) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return service.register_case(s, actor, person, case).id


def test_register_encrypts_and_derives_ages(engine, actors):
    cid = register(engine, actors["th"])
    with transaction(engine) as s:
        rec = s.get(CaseRecord, cid)
        assert rec.current_office_country == "TH" and rec.current_agency == "IOM" and rec.version == 1
        assert rec.age_at_registration == 28 and rec.age_band == "27-29" and rec.child_at_registration is False
        assert rec.registration_year == 2024 and rec.created_by == "th"
        raw = s.get(Person, rec.person_id)
        assert b"Mai" not in (raw.given_name_enc or b"") and raw.given_name_enc is not None
        view = service.get_case(s, actors["th"], cid)
    assert view["person"]["given_name"] == "Mai" and view["person"]["id_document_number"] == "C1234567"
    assert view["access"] == "write"


def test_register_refuses_other_office_and_bad_values(engine, actors):
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            service.register_case(s, actors["th"], PERSON, {**CASE, "office_country": "VN"})
    with pytest.raises(ValidationError, match="sex"):
        with transaction(engine) as s:
            service.register_case(s, actors["th"], {**PERSON, "sex": "robot"}, CASE)
    with pytest.raises(ValidationError, match="after the registration date"):
        with transaction(engine) as s:
            service.register_case(s, actors["th"], {**PERSON, "date_of_birth": "2030-01-01"}, CASE)
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            service.register_case(s, actors["analyst"], PERSON, CASE)
    with transaction(engine) as s:
        assert s.execute(select(CaseRecord)).first() is None


def test_caseworker_of_another_office_gets_not_found_and_it_is_audited(engine, actors):
    cid = register(engine, actors["th"])
    with pytest.raises(NotFound):
        with transaction(engine) as s:
            service.get_case(s, actors["vn"], cid)
    with pytest.raises(NotFound):  # a missing id looks exactly the same
        with transaction(engine) as s:
            service.get_case(s, actors["vn"], cid + 1000)
    with transaction(engine) as s:
        denied = s.execute(select(AuditEntry).where(AuditEntry.action == "access_denied")).scalars().all()
        assert [(e.actor, e.entity_id) for e in denied] == [("vn", str(cid)), ("vn", str(cid + 1000))]
        assert "outside the scope" in (denied[0].reason or "")
        assert audit.verify(s).ok


def test_same_office_colleague_and_admin_read_and_write(engine, actors):
    cid = register(engine, actors["th"])
    with transaction(engine) as s:
        assert service.get_case(s, actors["th2"], cid)["access"] == "write"
        assert service.get_case(s, actors["admin"], cid)["access"] == "write"
        assert service.get_case(s, actors["dm"], cid)["access"] == "read"


def test_analyst_sees_no_identifying_field(engine, actors):
    cid = register(engine, actors["th"])
    with transaction(engine) as s:
        view = service.get_case(s, actors["analyst"], cid)
        listing = service.list_cases(s, actors["analyst"])
    person = view["person"]
    assert view["access"] == "deidentified"
    for field in ("given_name", "family_name", "date_of_birth", "id_document_number", "person_key"):
        assert person.get(field) is None
    assert person["sex"] == "female" and view["age_band"] == "27-29"
    assert "Mai" not in repr(view) and "C1234567" not in repr(view) and "Mai" not in repr(listing)
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            service.list_cases(s, actors["analyst"], q="mai")


def test_public_role_sees_nothing(engine, actors):
    cid = register(engine, actors["th"])
    with pytest.raises(NotFound):
        with transaction(engine) as s:
            service.get_case(s, actors["public"], cid)
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            service.list_cases(s, actors["public"])


def test_list_is_scoped_and_one_audit_entry_per_list(engine, actors):
    a = register(engine, actors["th"])
    b = register(engine, actors["th2"], CHILD)
    c = register(engine, actors["vn"], PERSON, {**CASE, "office_country": "VN"})
    with transaction(engine) as s:
        th = service.list_cases(s, actors["th"])
        vn = service.list_cases(s, actors["vn"])
        everyone = service.list_cases(s, actors["admin"], limit=2)
    assert [i["id"] for i in th["items"]] == [b, a] and th["total"] == 2
    assert [i["id"] for i in vn["items"]] == [c]
    assert everyone["total"] == 3 and len(everyone["items"]) == 2
    with transaction(engine) as s:
        lists = s.execute(select(AuditEntry).where(AuditEntry.action == "case.list")).scalars().all()
    assert len(lists) == 3
    assert lists[0].details["ids_digest"] == audit.digest_ids([a, b]) and lists[0].details["count"] == 2


def test_name_search_decrypts_within_scope(engine, actors):
    a = register(engine, actors["th"])
    b = register(engine, actors["th"], {**CHILD, "given_name": "Mai Anh", "family_name": "Nguyễn"})
    register(engine, actors["vn"], PERSON, {**CASE, "office_country": "VN"})
    with transaction(engine) as s:
        assert {i["id"] for i in service.list_cases(s, actors["th"], q="mai")["items"]} == {a, b}
        assert [i["id"] for i in service.list_cases(s, actors["th"], q="nguyen mai")["items"]] == [b]
        assert [i["id"] for i in service.list_cases(s, actors["th"], q="TRAN")["items"]] == [a]
        assert service.list_cases(s, actors["th"], q="zz")["total"] == 0
        assert service.list_cases(s, actors["admin"], q="mai tran")["total"] == 2


def test_update_with_stale_version_is_a_conflict_and_changes_nothing(engine, actors):
    cid = register(engine, actors["th"])
    with transaction(engine) as s:
        service.update_case(s, actors["th"], cid, 1, {"person": {"family_name": "Tran Thi"}})
    with pytest.raises(Conflict, match="version 1, it is now version 2"):
        with transaction(engine) as s:
            service.update_case(s, actors["th2"], cid, 1, {"person": {"family_name": "Overwritten"}})
    with transaction(engine) as s:
        view = service.get_case(s, actors["th"], cid)
    assert view["person"]["family_name"] == "Tran Thi" and view["version"] == 2
    assert view["person"]["given_name"] == "Mai"  # fields not sent keep their values


def test_concurrent_updates_from_the_same_version_one_wins(engine, actors):
    """Two transactions both loaded version 1; the second commit is refused by the version check in SQL."""
    cid = register(engine, actors["th"])
    from ctdata.cases.tx import _state

    maker = _state(engine).maker
    s1, s2 = maker(), maker()
    try:
        c1, c2 = s1.get(CaseRecord, cid), s2.get(CaseRecord, cid)
        c1.registration_date = "2024-03-02"
        s1.commit()
        c2.registration_date = "2024-03-03"
        from sqlalchemy.orm.exc import StaleDataError

        with pytest.raises(StaleDataError):
            s2.commit()
    finally:
        s1.close()
        s2.close()
    with transaction(engine) as s:
        assert s.get(CaseRecord, cid).registration_date == "2024-03-02"


def test_update_refuses_unknown_fields_and_closed_cases(engine, actors):
    cid = register(engine, actors["th"])
    with pytest.raises(ValidationError, match="status"):
        with transaction(engine) as s:
            service.update_case(s, actors["th"], cid, 1, {"status": "closed"})
    with transaction(engine) as s:
        closure.close_case(s, actors["th"], cid, "declined", note="moved away")
    with pytest.raises(Conflict, match="closed"):
        with transaction(engine) as s:
            service.update_case(s, actors["th"], cid, 2, {"registration_date": "2024-01-01"})
    with pytest.raises(ValidationError, match="reason: “bored” is not one of the values allowed here"):
        with transaction(engine) as s:
            closure.close_case(s, actors["admin"], register(engine, actors["th"]), "bored")


def test_data_manager_reads_but_cannot_write(engine, actors):
    cid = register(engine, actors["th"])
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            service.update_case(s, actors["dm"], cid, 1, {"registration_date": "2024-01-01"})
    with transaction(engine) as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "access_denied")).scalar_one()
        assert entry.actor == "dm" and entry.details["attempted"] == "case.update"


def test_erasure_keeps_statistics_and_bumps_versions(engine, actors):
    cid = register(engine, actors["th"])
    with transaction(engine) as s:
        before = s.get(CaseRecord, cid)
        stats = (before.age_band, before.age_at_registration, before.status, before.registration_year)
        old_key = before.person.person_key
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            erasure.erase_person(s, actors["th"], cid, "request")
    with transaction(engine) as s:
        erasure.erase_person(s, actors["dm"], cid, "the person's written request of 2024-05-01")
    with transaction(engine) as s:
        rec = s.get(CaseRecord, cid)
        p = rec.person
        assert p.given_name_enc is None and p.family_name_enc is None and p.date_of_birth_enc is None
        assert p.id_document_enc is None and p.erased_at is not None and p.person_key != old_key
        assert (rec.age_band, rec.age_at_registration, rec.status, rec.registration_year) == stats
        assert rec.version == 2 and p.sex == "female" and p.citizenship == ["VN"]
        view = service.get_case(s, actors["admin"], cid)
        assert view["person"]["erased"] is True and view["person"]["given_name"] is None
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "person.erase")).scalar_one()
        assert entry.reason is None and "Mai" not in repr(entry.details) and "request" not in repr(entry.details)
        assert unseal(p.erasure_reason_enc, "persons", "erasure_reason_enc").startswith("the person's written request")
        assert entry.details["cleared"]["persons.given_name"] == 1
    with pytest.raises(Conflict):
        with transaction(engine) as s:
            erasure.erase_person(s, actors["admin"], cid, "again")
    with pytest.raises(ValidationError, match="erased"):
        with transaction(engine) as s:
            service.update_case(s, actors["th"], cid, 2, {"person": {"given_name": "Mai"}})


def test_every_read_and_write_is_audited_and_the_chain_verifies(engine, actors):
    cid = register(engine, actors["th"])
    with transaction(engine) as s:
        service.get_case(s, actors["th"], cid, reason="follow-up call")
        service.update_case(s, actors["th"], cid, 1, {"consent": {"research": True}})
    with transaction(engine) as s:
        entries = audit.entries_for(s, "case", cid)
        actions = [e.action for e in reversed(entries)]
        assert actions == ["case.create", "case.read", "case.update"]
        assert entries[1].reason == "follow-up call" and entries[1].actor == "th"
        assert entries[0].details["fields"] == ["consent"]
        result = audit.verify(s)
        assert result.ok and result.entries >= 3


def test_concurrent_reads_and_writes_keep_the_audit_chain_whole(engine, actors):
    """Threads reading and writing at once: every access is logged once and the chain still verifies."""
    from concurrent.futures import ThreadPoolExecutor

    cid = register(engine, actors["th"])

    def work(i: int) -> None:
        with transaction(engine) as s:
            if i % 3 == 0:
                from ctdata.cases import assistance

                assistance.add_assistance(s, actors["th2"], cid, {"assistance_type": "medical"})
            else:
                service.get_case(s, actors["th"], cid)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(48)))
    with transaction(engine) as s:
        result = audit.verify(s)
        actions = [e.action for e in audit.entries_for(s, "case", cid)]
    assert result.ok, result.problems
    assert actions.count("case.read") == 32 and actions.count("assistance.create") == 16

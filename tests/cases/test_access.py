"""The one access rule: a case opens by id exactly when it is listed; agency keys are canonical codes."""

from __future__ import annotations

import unicodedata

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ctdata.cases import service, transfer
from ctdata.cases.access import SYSTEM, Access, Actor, access_level
from ctdata.cases.tx import transaction
from ctdata.errors import NotFound, PermissionDenied, ValidationError
from ctdata.standard import models as std
from ctdata.standard.types import agency_code
from ctdata.store.models import CaseRecord, Transfer, User
from tests.cases.conftest import CASE, PERSON, ensure_agency, make_user


def _listed(s, actor: Actor) -> set[int]:  # type: ignore[no-untyped-def]
    return {c["id"] for c in service.list_cases(s, actor, limit=200)["items"]}


def test_caseworker_of_a_non_ascii_agency_lists_the_cases_they_can_open(engine):
    """Issue 13: a caseworker of agency ÖRK opened each case of their office by id, but their list was empty.

    SQLite's lower() folds ASCII only; PostgreSQL's lower() is no case folding either (ß stays ß), so an
    office registering under `Straße` while its accounts say `STRASSE` had the same empty list there.
    """
    for n, (account, registered) in enumerate([("ÖRK", "ÖRK"), ("STRASSE", "Straße")]):
        cw = make_user(engine, f"cw{n}", "caseworker", "AT", account)
        dm = make_user(engine, f"dm{n}", "data_manager", None, registered.lower())
        with transaction(engine) as s:
            cid = service.register_case(s, cw, PERSON, {**CASE, "office_country": "AT", "agency": registered}).id
        with transaction(engine) as s:
            assert service.get_case(s, cw, cid)["access"] == "write"
            assert _listed(s, cw) == {cid}
            assert service.get_case(s, dm, cid)["access"] == "read"
            assert _listed(s, dm) == {cid}


def test_an_agency_is_one_code_however_it_is_typed(engine):
    """Issue 13: a caseworker of IOM registering under `iom` made `iom` count as a separate agency."""
    cw = make_user(engine, "th", "caseworker", "TH", "IOM")
    vn = make_user(engine, "vn", "caseworker", "vn", "Iom")
    assert vn.agency == "IOM" and vn.office_country == "VN"
    with transaction(engine) as s:
        a = service.register_case(s, cw, PERSON, {**CASE, "agency": "iom"}).id
        b = service.register_case(s, cw, PERSON, {**CASE, "agency": " IOM "}).id
        transfer.record_consent(s, cw, a, {"kind": "sharing", "organisation": "IOM VN"})
        t = transfer.request_transfer(s, cw, a, {"to_office_country": "VN", "to_agency": "iom"})
        assert (t.from_agency, t.to_agency) == ("IOM", "IOM")
    with transaction(engine) as s:
        assert set(s.execute(select(CaseRecord.agency).distinct()).scalars()) == {"IOM"}
        assert set(s.execute(select(CaseRecord.current_agency).distinct()).scalars()) == {"IOM"}
        assert set(s.execute(select(User.agency).where(User.agency.is_not(None)).distinct()).scalars()) == {"IOM"}
        assert service.get_case(s, cw, b)["agency"] == "IOM"
        assert [x["id"] for x in transfer.list_transfers(s, vn)] == [t.id]
        assert service.get_case(s, vn, a)["access"] == "read"  # the pending transfer opens it to IOM VN
        assert _listed(s, vn) == {a}
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            service.register_case(s, cw, PERSON, {**CASE, "agency": "NGO-A"})


def test_agency_codes_refuse_what_is_not_a_code(engine):
    with pytest.raises(ValidationError, match="agency"):
        make_user(engine, "xx", "caseworker", "TH", "A" * 81)
    with pytest.raises(ValidationError, match="caseworker needs an office"):
        make_user(engine, "yy", "caseworker", "TH", "   ")
    with pytest.raises(pydantic.ValidationError, match="agency code is required"):
        std.CaseRecord(office_country="TH", registration_date="2024-01-01", agency=" ")


NAMES = st.one_of(
    st.sampled_from(["IOM", "iom", "Iom", "ÖRK", "örk", "O\u0308RK", "Straße", "STRASSE", "ﬁnd", "FIND", "İz", "ız"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8),
).filter(lambda n: 0 < len(agency_code(n)) <= 80)


@given(name=NAMES, other=NAMES)
@settings(max_examples=300, deadline=None)
def test_agency_code_is_canonical(name: str, other: str) -> None:
    """A code is its own code; names equal under NFKC and case folding share one code."""
    code = agency_code(name)
    assert agency_code(code) == code
    assert agency_code(unicodedata.normalize("NFKD", name)) == code
    assert agency_code(name.casefold()) == code == agency_code(name.upper()) == agency_code(f"  {name} ")
    fold = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    other_fold = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", other).casefold())
    if " ".join(fold.split()) == " ".join(other_fold.split()):
        assert agency_code(other) == code


def _variant(draw, name: str) -> str:  # type: ignore[no-untyped-def]
    how = draw(st.sampled_from(["same", "lower", "upper", "casefold", "nfkd", "other"]))
    if how == "other":
        return draw(NAMES)
    return {
        "same": name,
        "lower": name.lower(),
        "upper": name.upper(),
        "casefold": name.casefold(),
        "nfkd": unicodedata.normalize("NFKD", name),
    }[how]


class _Undo(Exception):
    """Raised to roll an example back, so examples do not see each other's cases."""


@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_get_and_list_agree_for_any_actor_case_and_agency(engine, data):  # type: ignore[no-untyped-def]
    """For any actor, case and agency names (any script): the case opens by id exactly when it is listed,
    with the same access, and a caseworker's own-office access is equality of canonical codes."""
    case_agency = data.draw(NAMES, label="case agency")
    case_country = data.draw(st.sampled_from(["TH", "VN"]), label="case office")
    role = data.draw(st.sampled_from(["admin", "data_manager", "caseworker", "analyst", "public"]), label="role")
    actor_country = data.draw(st.sampled_from(["TH", "th", "VN"]), label="actor office")
    actor_agency = _variant(data.draw, case_agency) if data.draw(st.booleans(), label="has agency") else None
    if role == "caseworker" and actor_agency is None:
        actor_agency = _variant(data.draw, case_agency)
    moved = data.draw(st.sampled_from([None, "pending", "accepted"]), label="transfer")
    to_country = data.draw(st.sampled_from(["TH", "VN"]), label="to office")
    to_agency = _variant(data.draw, actor_agency or case_agency)
    actor = Actor("someone", role, actor_country, actor_agency)
    try:
        with transaction(engine) as s:
            values = {**CASE, "office_country": case_country, "agency": case_agency}
            ensure_agency(s, case_agency)
            cid = service.register_case(s, SYSTEM, PERSON, values).id
            if moved:
                t = std.Transfer(to_office_country=to_country, to_agency=to_agency)
                case = s.get(CaseRecord, cid)
                s.add(
                    Transfer(
                        case_id=cid,
                        from_office_country=case.current_office_country,
                        from_agency=case.current_agency,
                        to_office_country=t.to_office_country,
                        to_agency=t.to_agency,
                        status=moved,
                        requested_by="admin",
                    )
                )
                if moved == "accepted":
                    case.current_office_country, case.current_agency = t.to_office_country, t.to_agency
                s.flush()
            try:
                got: str | None = service.get_case(s, actor, cid)["access"]
            except NotFound:
                got = None
            try:
                listed = {c["id"]: c["access"] for c in service.list_cases(s, actor, limit=200)["items"]}
            except PermissionDenied:
                listed = {}
            assert got == listed.get(cid)
            level = access_level(s, actor, cid)
            assert got == (level.value if level else None)
            if role == "caseworker" and not moved:
                mine = actor.office_country == case_country and agency_code(actor_agency) == agency_code(case_agency)
                assert (got == Access.WRITE) == mine and (got is None) == (not mine)
            raise _Undo
    except _Undo:
        pass

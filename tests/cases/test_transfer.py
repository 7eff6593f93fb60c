"""Transfers between offices: consent to share, accept or reject, the sender's read-only access."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdata.cases import assistance, journeys, screening, service, transfer
from ctdata.cases.transfer import _names_office
from ctdata.cases.tx import transaction
from ctdata.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ctdata.store.models import CaseRecord
from tests.cases.conftest import CASE, PERSON


def setup_case(engine, actors, sharing=None) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        c = service.register_case(s, actors["th"], PERSON, {**CASE, "consent": {"sharing": sharing or []}})
        journeys.add_leg(s, actors["th"], c.id, {"from_country": "VN", "to_country": "TH"})
        return c.id


def test_transfer_needs_consent_to_share_with_that_office(engine, actors):
    cid = setup_case(engine, actors)
    with pytest.raises(Conflict, match="not consented"):
        with transaction(engine) as s:
            transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN", "to_agency": "IOM"})
    with transaction(engine) as s:
        transfer.record_consent(s, actors["th"], cid, {"kind": "sharing", "organisation": "UNHCR Viet Nam"})
    with pytest.raises(Conflict):
        with transaction(engine) as s:
            transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN"})
    with transaction(engine) as s:
        transfer.record_consent(
            s, actors["th"], cid, {"kind": "sharing", "organisation": "IOM VN", "date": "2024-03-01"}
        )
        t = transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN", "reason": "return"})
        assert t.status == "pending" and (t.from_office_country, t.to_office_country) == ("TH", "VN")
    with pytest.raises(Conflict, match="awaiting"):
        with transaction(engine) as s:
            transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN"})


def test_consent_on_the_case_record_also_counts(engine, actors):
    cid = setup_case(engine, actors, sharing=["IOM"])
    with transaction(engine) as s:
        assert transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN"}).status == "pending"


def test_accept_moves_the_case_and_sender_keeps_read_only_access_to_what_it_wrote(engine, actors):
    cid = setup_case(engine, actors, sharing=["IOM VN"])
    with pytest.raises(NotFound):  # before any transfer, the VN office cannot see the case
        with transaction(engine) as s:
            service.get_case(s, actors["vn"], cid)
    with transaction(engine) as s:
        tid = transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN"}).id
    with transaction(engine) as s:  # the receiving office may read the case to decide
        assert service.get_case(s, actors["vn"], cid)["access"] == "read"
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            assistance.add_assistance(s, actors["vn"], cid, {"assistance_type": "medical"})
    with pytest.raises(PermissionDenied, match="receiving office"):
        with transaction(engine) as s:
            transfer.accept_transfer(s, actors["th"], tid)
    with transaction(engine) as s:
        transfer.accept_transfer(s, actors["vn"], tid)
    with transaction(engine) as s:
        rec = s.get(CaseRecord, cid)
        assert (rec.current_office_country, rec.current_agency, rec.office_country) == ("VN", "IOM", "TH")
        journeys.add_leg(s, actors["vn"], cid, {"from_country": "TH", "to_country": "VN"})
    with transaction(engine) as s:
        sent = service.get_case(s, actors["th"], cid)
        theirs = service.get_case(s, actors["vn"], cid)
    assert sent["access"] == "sent" and theirs["access"] == "write"
    assert [leg["created_by"] for leg in sent["journey_legs"]] == ["th"]
    assert [leg["created_by"] for leg in theirs["journey_legs"]] == ["th", "vn"]
    assert sent["person"]["given_name"] == "Mai"
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            assistance.add_assistance(s, actors["th"], cid, {"assistance_type": "medical"})
    with transaction(engine) as s:
        assert [i["access"] for i in service.list_cases(s, actors["th"])["items"]] == ["sent"]
    with pytest.raises(Conflict, match="already accepted"):
        with transaction(engine) as s:
            transfer.accept_transfer(s, actors["vn"], tid)


def test_reject_needs_a_reason_and_leaves_the_case(engine, actors):
    cid = setup_case(engine, actors, sharing=["VN"])
    with transaction(engine) as s:
        tid = transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN"}).id
    with pytest.raises(ValidationError):
        with transaction(engine) as s:
            transfer.reject_transfer(s, actors["vn"], tid, " ")
    with transaction(engine) as s:
        t = transfer.reject_transfer(s, actors["vn"], tid, "no capacity this month")
        assert t.status == "rejected" and transfer.transfer_view(t)["decision_reason"] == "no capacity this month"
    with transaction(engine) as s:
        assert s.get(CaseRecord, cid).current_office_country == "TH"
        listing = transfer.list_transfers(s, actors["vn"])
        assert [x["status"] for x in listing] == ["rejected"]
    with pytest.raises(NotFound):  # rejected: the VN office no longer sees the case
        with transaction(engine) as s:
            service.get_case(s, actors["vn"], cid)


def test_other_offices_cannot_see_or_decide_transfers(engine, actors):
    from tests.cases.conftest import make_user

    ke = make_user(engine, "ke", "caseworker", "KE", "IOM")
    cid = setup_case(engine, actors, sharing=["IOM"])
    with transaction(engine) as s:
        tid = transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN"}).id
    with pytest.raises(NotFound):
        with transaction(engine) as s:
            transfer.accept_transfer(s, ke, tid)
    with transaction(engine) as s:
        assert transfer.list_transfers(s, ke) == []
    with pytest.raises(ValidationError, match="already with"):
        with transaction(engine) as s:
            transfer.request_transfer(s, actors["admin"], cid, {"to_office_country": "TH"})


@given(st.sampled_from(["IOM", "iom", "IOM VN", "iom-vn", "IOM Viet Nam", "VN", "Viet Nam", "vietnam"]))
def test_names_of_the_receiving_office_are_recognised(name):
    assert _names_office(name, "VN", "IOM")


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=30))
def test_a_name_never_names_two_different_offices(name):
    assert not (_names_office(name, "VN", "IOM") and _names_office(name, "KE", "UNHCR"))


def _consent(engine, actors, cid: int, organisation: str, given: bool) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        transfer.record_consent(s, actors["th"], cid, {"kind": "sharing", "organisation": organisation, "given": given})


def _may_share(engine, cid: int, country: str = "VN", agency: str = "IOM") -> bool:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return transfer.has_sharing_consent(s.get(CaseRecord, cid), country, agency)


@pytest.mark.parametrize(
    "granted, withdrawn",
    [("IOM VN", "IOM VN"), ("IOM VN", "IOM Viet Nam"), ("IOM", "IOM VN"), ("IOM Viet Nam", "IOM")],
)
def test_a_withdrawn_sharing_consent_is_honoured(engine, actors, granted: str, withdrawn: str):
    """The person withdrew their consent to share with the office: a transfer there is refused,
    whatever words the earlier consent used for it."""
    cid = setup_case(engine, actors)
    _consent(engine, actors, cid, granted, True)
    assert _may_share(engine, cid)
    _consent(engine, actors, cid, withdrawn, False)
    assert not _may_share(engine, cid)
    with pytest.raises(Conflict, match="not consented"):
        with transaction(engine) as s:
            transfer.request_transfer(s, actors["th"], cid, {"to_office_country": "VN", "to_agency": "IOM"})
    _consent(engine, actors, cid, "IOM VN", True)  # consent given again counts again
    assert _may_share(engine, cid)


def test_a_withdrawal_overrides_the_sharing_list_of_registration(engine, actors):
    cid = setup_case(engine, actors, sharing=["IOM"])
    _consent(engine, actors, cid, "IOM VN", False)
    assert not _may_share(engine, cid) and _may_share(engine, cid, "KH")


def test_consent_given_again_at_a_screening_counts_after_a_withdrawal(engine, actors):
    """A screening's consent to share is a statement like the Consents tab's: given after a
    withdrawal, it is the latest and lets the transfer go (it used to write the list only, which
    the withdrawal document outranked)."""
    cid = setup_case(engine, actors)
    _consent(engine, actors, cid, "IOM VN", False)
    with transaction(engine) as s:
        screening.screen(s, actors["th"], cid, {"consent": {"sharing": ["IOM Viet Nam"]}})
    assert _may_share(engine, cid)
    with transaction(engine) as s:
        kinds = [(c.kind, c.given, c.recorded_by) for c in s.get(CaseRecord, cid).consents]
    assert kinds[-1] == ("sharing", True, actors["th"].username)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["IOM VN", "IOM", "IOM Viet Nam", "UNHCR VN"]), st.booleans()), max_size=5))
def test_the_latest_statement_naming_the_office_decides(engine, actors, statements):
    """Property: for any sequence of recorded consents and withdrawals, sharing with IOM VN is allowed
    exactly when the latest statement naming that office gave it (none: not allowed)."""
    cid = setup_case(engine, actors)
    for organisation, given_ in statements:
        _consent(engine, actors, cid, organisation, given_)
    naming = [g for o, g in statements if o != "UNHCR VN"]
    assert _may_share(engine, cid) == (naming[-1] if naming else False)

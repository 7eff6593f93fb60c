"""Free text about a person: encrypted at rest, never in the audit log, never in a de-identified view,
and cleared by erasure (store rows, link review reasons, the open review queue)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from ctdata.cases import assistance, closure, erasure, returns, screening, service, transfer
from ctdata.cases.tx import transaction
from ctdata.errors import ValidationError
from ctdata.store.crypto import keyring
from ctdata.store.models import AuditEntry, CaseRecord, LinkLabel, LinkReviewPair, LinkRun
from tests.cases.conftest import CASE, PERSON

#: One distinctive text per free-text field, each naming the person as a caseworker might.
TEXTS = {
    "indicator": "Zorbulak-indicator kept her passport",
    "override": "Zorbulak-override stranded",
    "provider": "Zorbulak-provider clinic",
    "mitigations": "Zorbulak-mitigation escort",
    "bid": "Zorbulak-bid authority",
    "cancel": "Zorbulak-cancel changed her mind",
    "organisation": "IOM VN Zorbulak-organisation",
    "docref": "Zorbulak-docref form 12",
    "transfer": "Zorbulak-transfer family in Hanoi",
    "reject": "Zorbulak-reject no capacity",
    "note": "Zorbulak-closure note",
    "notes": "Zorbulak-screening notes",
    "sharing": "Zorbulak-sharing NGO",
    "label": "Zorbulak-label same passport",
    "erase": "Zorbulak-erasure written request",
}
MARK = "Zorbulak"
TABLES = ("persons", "case_records", "screenings", "assistance", "returns", "transfers", "consents",
          "link_labels", "audit_log")


def _casework(engine, actors) -> int:  # type: ignore[no-untyped-def]
    """A case with every kind of free text filled in (one return cancelled, one transfer rejected)."""
    th, vn = actors["th"], actors["vn"]
    with transaction(engine) as s:
        cid = service.register_case(
            s, th, {**PERSON, "given_name": "Quillon"}, {**CASE, "consent": {"sharing": [TEXTS["sharing"], "IOM VN"]}}
        ).id
        sid = screening.screen(
            s, th, cid, {"actions": ["recruitment"], "indicators": [TEXTS["indicator"]], "notes": TEXTS["notes"]}
        )["screening_id"]
        screening.override(s, th, cid, sid, "vulnerable_migrant", TEXTS["override"])
        assistance.add_assistance(s, th, cid, {"assistance_type": "medical", "provider": TEXTS["provider"]})
        r = returns.open_return(
            s, th, cid, {"risk_level": "low", "risk_mitigations": TEXTS["mitigations"], "bid_authority": TEXTS["bid"]}
        )
        returns.cancel_return(s, th, cid, r.id, TEXTS["cancel"])
        transfer.record_consent(
            s, th, cid, {"kind": "sharing", "organisation": TEXTS["organisation"], "document_ref": TEXTS["docref"]}
        )
        tid = transfer.request_transfer(s, th, cid, {"to_office_country": "VN", "reason": TEXTS["transfer"]}).id
    with transaction(engine) as s:
        transfer.reject_transfer(s, vn, tid, TEXTS["reject"])
    return cid


def _dump(engine, tables=TABLES) -> str:  # type: ignore[no-untyped-def]
    """Every value of these tables as text (bytes decoded leniently), to search for plaintext."""
    out = []
    with engine.connect() as c:
        for t in tables:
            for row in c.execute(text(f"SELECT * FROM {t}")):
                for v in row:
                    out.append(bytes(v).decode("utf-8", "replace") if isinstance(v, (bytes, memoryview)) else str(v))
    return "\n".join(out)


def test_free_text_is_encrypted_at_rest_and_readable_by_caseworkers(engine, actors):
    cid = _casework(engine, actors)
    with transaction(engine) as s:
        closure.close_case(s, actors["th"], cid, "lost_contact", note=TEXTS["note"])
    assert MARK not in _dump(engine, TABLES[:-1])
    with transaction(engine) as s:
        view = service.get_case(s, actors["th"], cid)
    assert view["screenings"][0]["indicators"] == [TEXTS["indicator"]]
    assert view["screenings"][0]["override_reason"] == TEXTS["override"]
    assert view["assistance"][0]["provider"] == TEXTS["provider"]
    r = view["returns"][0]
    assert (r["risk_mitigations"], r["bid_authority"], r["cancel_reason"]) == (
        TEXTS["mitigations"], TEXTS["bid"], TEXTS["cancel"])
    assert view["consents"][0]["organisation"] == TEXTS["organisation"]
    assert view["consents"][0]["document_ref"] == TEXTS["docref"]
    t = view["transfers"][0]
    assert (t["reason"], t["decision_reason"]) == (TEXTS["transfer"], TEXTS["reject"])
    assert view["closure_note"] == TEXTS["note"]


def test_the_audit_log_holds_field_names_never_values(engine, actors):
    cid = _casework(engine, actors)
    with transaction(engine) as s:
        closure.close_case(s, actors["th"], cid, "lost_contact", note=TEXTS["note"])
    with transaction(engine) as s:
        erasure.erase_person(s, actors["dm"], cid, TEXTS["erase"])
    assert MARK not in _dump(engine, ("audit_log",)) and "Quillon" not in _dump(engine, ("audit_log",))
    assert "C1234567" not in _dump(engine, ("audit_log",))
    with transaction(engine) as s:
        entries = {e.action: e for e in s.scalars(select(AuditEntry))}
    assert entries["transfer.reject"].details["fields"] == ["decision_reason"]
    assert entries["return.cancel"].details["fields"] == ["cancel_reason"]
    assert entries["case.close"].details["fields"] == ["closure_note"]
    assert set(entries["consent.create"].details["fields"]) == {"organisation", "document_ref"}
    assert entries["person.erase"].details["fields"] == ["erasure_reason"]


def test_analysts_see_no_free_text(engine, actors):
    cid = _casework(engine, actors)
    with transaction(engine) as s:
        view = service.get_case(s, actors["analyst"], cid)
        listing = service.list_cases(s, actors["analyst"])
    assert MARK not in repr(view) and MARK not in repr(listing) and "IOM VN" not in repr(view)
    assert view["consent"]["sharing"] == [] and view["returns"][0]["bid_authority"] is None
    assert view["consents"][0]["organisation"] is None and view["screenings"][0]["indicators"] == []


def test_erasure_clears_free_text_link_reasons_and_the_open_review_queue(engine, actors):
    cid = _casework(engine, actors)
    with transaction(engine) as s:
        other = service.register_case(s, actors["th"], {**PERSON, "given_name": "Other"}, CASE).id
        run = LinkRun(actor="t", threshold=0.9)
        s.add(run)
        s.flush()
        rk, rk_other = keyring().record_keys([cid, other])
        s.add(LinkLabel(record_key_l=rk, record_key_r=rk_other, decision="match", decided_by="dm",
                        reason_enc=keyring().encrypt(TEXTS["label"], "link_labels.reason")))
        s.add(LinkReviewPair(record_key_l=rk, record_key_r=rk_other, case_id_l=cid, case_id_r=other,
                             match_weight=1.0, match_probability=0.5, run_id=run.id))
    with transaction(engine) as s:
        erased = erasure.erase_person(s, actors["dm"], cid, TEXTS["erase"])
    cleared = erased.cleared
    for name in ("persons.given_name", "screenings.notes", "screenings.indicators", "screenings.override_reason",
                 "assistance.provider", "returns.risk_mitigations", "returns.bid_authority", "returns.cancel_reason",
                 "transfers.reason", "transfers.decision_reason", "consents.organisation", "consents.document_ref",
                 "case_records.consent_sharing", "link_labels.reason", "link_review_pairs.open"):
        assert cleared.get(name) == 1, name
    with transaction(engine) as s:
        view = service.get_case(s, actors["admin"], cid)
        assert MARK not in repr(view) and "Quillon" not in repr(view)
        assert s.scalars(select(LinkReviewPair.status)).all() == ["dropped"]
        assert s.get(CaseRecord, cid).consent_sharing_enc is None


def test_an_erasure_reason_that_names_the_person_is_refused(engine, actors):
    """The reason is kept after the erasure: naming the person in it would leave a copy behind."""
    cid = _casework(engine, actors)  # Quillon Tran, document C1234567
    for reason in ("request of Quillon", "asked by TRAN by phone", "about document c1234567"):
        with pytest.raises(ValidationError, match="names the person"):
            with transaction(engine) as s:
                erasure.erase_person(s, actors["dm"], cid, reason)
    with transaction(engine) as s:  # a word that merely contains a name is not the name
        erasure.erase_person(s, actors["dm"], cid, "request transferred by the office on 2024-05-01")

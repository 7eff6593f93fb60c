"""Erasure reaches the person's rows held in quarantine, and only theirs."""

from __future__ import annotations

import json

from ctdata.cases import erasure
from ctdata.cases.tx import transaction
from ctdata.store.crypto import keyring
from ctdata.store.models import AuditEntry, CaseRecord, ImportBatch, QuarantineRow
from tests.cases.test_service import register


def _quarantine(s, batch_id: int, agency: str, record_id: str, given: str) -> int:  # type: ignore[no-untyped-def]
    raw = {
        "record_id": record_id,
        "agency": agency,
        "given_name": given,
        "family_name": "Tran",
        "date_of_birth": "1999-02-31",
        "id_document_number": "C1234567",
        "sex": "female",
    }
    q = QuarantineRow(
        batch_id=batch_id,
        kind="standard",
        table_name="records",
        row_number=2,
        raw_enc=keyring().encrypt(json.dumps(raw), "quarantine"),
        reason="date_of_birth: bad",
    )
    s.add(q)
    s.flush()
    return q.id


def _values(s, qid: int) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(keyring().decrypt(s.get(QuarantineRow, qid).raw_enc, "quarantine"))


def test_erasure_nulls_identifiers_of_the_persons_quarantined_rows(engine, actors):
    cid = register(engine, actors["th"])
    with transaction(engine) as s:
        case = s.get(CaseRecord, cid)
        batch = ImportBatch(kind="standard", source=case.source, path="x.csv", sha256="0" * 64)
        s.add(batch)
        s.flush()
        mine = _quarantine(s, batch.id, case.source, case.source_record_id, "Mai")
        other = _quarantine(s, batch.id, case.source, case.source_record_id + "-other", "Lan")
    with transaction(engine) as s:
        erasure.erase_person(s, actors["dm"], cid, "the person's request")
    with transaction(engine) as s:
        gone, kept = _values(s, mine), _values(s, other)
        assert [gone[f] for f in ("given_name", "family_name", "date_of_birth", "id_document_number")] == [None] * 4
        assert gone["sex"] == "female" and gone["record_id"]
        assert kept["given_name"] == "Lan" and kept["id_document_number"] == "C1234567"
        entry = s.query(AuditEntry).filter(AuditEntry.action == "person.erase").one()
        assert entry.details["quarantined_rows"] == 1

"""Erasure of a person's identifying data on request (the de-identified record stays for statistics).

Names, date of birth, document number, screening notes and consent document references
are nulled; sex,
citizenship, ages, bands, statuses, journeys, assistance and returns stay, so
counts do not change. The person key (an HMAC of the identifiers, which could be
recomputed by anyone holding the identifiers and the key) is replaced by one
derived from the record alone. Every case of the person gets a new version, so
the next warehouse build refreshes them. Rows of the person's records that an
import rejected are kept in quarantine with their original values (encrypted);
their identifying values are erased too, or a retry would bring them back.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdata.cases.access import Actor, load_case, require_role
from ctdata.cases.common import no_nul, touch
from ctdata.cases.tx import record
from ctdata.errors import Conflict, ValidationError
from ctdata.standard.template import TABLES
from ctdata.store.crypto import keyring
from ctdata.store.models import CaseRecord, Person, QuarantineRow, utcnow

ERASERS = ("admin", "data_manager")
#: Template columns that identify a person, per import table (the standard marks them).
IDENTIFYING = {t: [c.name for c in cols if c.identifying] for t, cols in TABLES.items()}


def _erase_quarantined(session: Session, cases: list[CaseRecord]) -> int:
    """Null the identifying values of quarantined rows of these records; how many rows changed.

    A rejected row names its record by agency and record id, as the case record's source and
    source record id do. Quarantine is small and its values are encrypted, so each row is
    decrypted to look.
    """
    wanted = {(c.source, c.source_record_id) for c in cases}
    keys = keyring()
    changed = 0
    for table, fields in IDENTIFYING.items():
        if not fields:
            continue
        for q in session.scalars(select(QuarantineRow).where(QuarantineRow.table_name == table)):
            raw = json.loads(keys.decrypt(q.raw_enc, "quarantine") or "{}")
            key = (str(raw.get("agency") or "").strip(), str(raw.get("record_id") or "").strip())
            if key in wanted and any(raw.get(f) for f in fields):
                raw.update(dict.fromkeys((f for f in fields if f in raw), None))
                q.raw_enc = keys.encrypt(json.dumps(raw, ensure_ascii=False), "quarantine")
                q.row_hash = None  # a digest of the values as they were
                changed += 1
    return changed


def erase_person(session: Session, actor: Actor, case_id: int, reason: str) -> Person:
    """Erase the identifying data of the person of `case_id` (all their cases), for a stated reason."""
    require_role(session, actor, ERASERS, "person.erase")
    case, _ = load_case(session, actor, case_id, action="person.erase")
    reason = (no_nul(reason, "reason") or "").strip()
    if not reason:
        raise ValidationError("say why the data is erased (for example: the person's request of 2024-05-01)")
    person = case.person
    if person.erased_at is not None:
        raise Conflict(f"the identifying data of the person of case {case.id} was already erased")
    person.given_name_enc = person.family_name_enc = None
    person.date_of_birth_enc = person.id_document_enc = None
    person.person_key = keyring().pseudonym("erased", person.id, purpose="record")
    person.erased_at = utcnow()
    ids = []
    for c in person.cases:
        for s in c.screenings:
            s.notes_enc = None
        for d in c.consents:
            d.document_ref = None
        touch(c)
        ids.append(c.id)
    quarantined = _erase_quarantined(session, list(person.cases))
    session.flush()
    record(
        session,
        actor=actor.username,
        action="person.erase",
        entity="case",
        entity_id=case.id,
        reason=reason,
        details={"person_id": person.id, "cases": sorted(ids), "quarantined_rows": quarantined},
    )
    return person

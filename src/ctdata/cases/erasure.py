"""Erasure of a person's identifying data on request (the de-identified record stays for statistics).

Names, date of birth, document number, screening notes and consent document references
are nulled; sex,
citizenship, ages, bands, statuses, journeys, assistance and returns stay, so
counts do not change. The person key (an HMAC of the identifiers, which could be
recomputed by anyone holding the identifiers and the key) is replaced by one
derived from the record alone. Every case of the person gets a new version, so
the next warehouse build refreshes them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ctdata.cases.access import Actor, load_case, require_role
from ctdata.cases.common import no_nul, touch
from ctdata.cases.tx import record
from ctdata.errors import Conflict, ValidationError
from ctdata.store.crypto import keyring
from ctdata.store.models import Person, utcnow

ERASERS = ("admin", "data_manager")


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
    session.flush()
    record(
        session,
        actor=actor.username,
        action="person.erase",
        entity="case",
        entity_id=case.id,
        reason=reason,
        details={"person_id": person.id, "cases": sorted(ids)},
    )
    return person

"""Erasure of a person's identifying data on request, in the store (the de-identified record stays).

Names, date of birth and document number are nulled, and so is every free text
written about the person in any of their cases (screening notes and indicators,
override reasons, assistance providers, risk mitigations, the best-interest
authority, return cancellation reasons, transfer reasons and decisions, consent
organisations and document references, closure notes, the sharing list) and the
reasons reviewers gave for link decisions on their records; open review pairs of
their records leave the queue. Sex, citizenship, ages, bands, statuses, journeys,
assistance types and returns stay, so counts do not change. The person key (an
HMAC of the identifiers, which could be recomputed by anyone holding the
identifiers and the key) is replaced by one derived from the record alone.
Every case of the person gets a new version, so the next warehouse build
refreshes them. Rows of the person's records that an import rejected are kept
in quarantine with their original values (encrypted); their identifying values
are erased too, or a retry would bring them back.

The audit entry names the person, the cases and the fields cleared, never a
value; the reason for the erasure is kept encrypted on the person's row, and a
reason that names the person (their name or document number) is refused, since
it would be a copy the erasure leaves behind.
`erase_person` works inside the caller's transaction; the copies outside the
store (warehouse, release drafts) and the database's free space are handled by
the flow `ctdata.publish.erasure.erase`, which calls this first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ctdata.cases.access import Actor, load_case, require_role
from ctdata.cases.common import no_nul, record_by, touch
from ctdata.cases.views import decrypt_person
from ctdata.errors import Conflict, ValidationError
from ctdata.standard.template import TABLES
from ctdata.store.crypto import keyring
from ctdata.store.fields import seal
from ctdata.store.models import CaseRecord, LinkLabel, LinkReviewPair, Person, QuarantineRow, utcnow
from ctdata.text import Plain, Text

ERASERS = ("admin", "data_manager")
#: Template columns that identify a person, per import table (the standard marks them).
IDENTIFYING = {t: [c.name for c in cols if c.identifying] for t, cols in TABLES.items()}
#: Free text about the person on their case records.
CASE_FREE_TEXT = ("closure_note_enc", "consent_sharing_enc", "void_reason_enc", "promised_job_enc")
#: What erasure nulls on the person's row.
#: the identifying fields as a refusal names them (the page's language)
IDENTIFIER_WORDS = {"given_name": Text("given name"), "family_name": Text("family name"),
                    "id_document": Text("id document")}
PERSON_COLUMNS = ("given_name_enc", "family_name_enc", "date_of_birth_enc", "place_of_birth_enc", "id_document_enc")
#: Free text about the person in the rows of their cases: relationship of CaseRecord -> columns.
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "screenings": ("notes_enc", "indicators_enc", "override_reason_enc"),
    "assistance": ("provider_enc",),
    "returns": ("risk_mitigations_enc", "bid_authority_enc", "cancel_reason_enc"),
    "transfers": ("reason_enc", "decision_reason_enc"),
    "consents": ("organisation_enc", "document_ref_enc"),
    "perpetrators": ("names_enc", "aliases_enc", "phone_numbers_enc", "document_numbers_enc", "addresses_enc"),
}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
#: Store tables an erasure rewrites (for scrubbing their free space afterwards).
TOUCHED = ("persons", "case_records", *FREE_TEXT, "quarantine", "link_labels", "link_review_pairs")


def erased_columns(table: str) -> frozenset[str]:
    """Store columns of `table` that erasure clears on a person's rows.

    One list for the erasure and for an import that meets an erased person's record again
    (`ctdata.ingest.pipeline`): what was erased on request must stay erased, whoever writes next."""
    if table == "persons":
        return frozenset(PERSON_COLUMNS)
    if table == "case_records":
        return frozenset(CASE_FREE_TEXT)
    return frozenset(FREE_TEXT.get(table, ()))


def erased_case_ids(session: Session, case_ids: list[int]) -> set[int]:
    """Those of `case_ids` whose person's identifying data was erased on request."""
    out: set[int] = set()
    for i in range(0, len(case_ids), 900):
        q = (
            select(CaseRecord.id)
            .join(Person, Person.id == CaseRecord.person_id)
            .where(CaseRecord.id.in_(case_ids[i : i + 900]), Person.erased_at.is_not(None))
        )
        out.update(session.execute(q).scalars())
    return out


@dataclass
class Erased:
    """What an erasure cleared in the store: the person, their cases and, per field, how many values."""

    person_id: int
    case_ids: list[int]
    erased_at: datetime
    cleared: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "cases": self.case_ids,
            "erased_at": self.erased_at.isoformat(timespec="seconds"),
            "cleared": dict(sorted(self.cleared.items())),
        }


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
            if key not in wanted:
                continue
            reason = _QUOTED.sub("'(erased)'", q.reason or "")
            if any(raw.get(f) for f in fields) or reason != q.reason:
                raw.update(dict.fromkeys((f for f in fields if f in raw), None))
                q.raw_enc = keys.encrypt(json.dumps(raw, ensure_ascii=False), "quarantine")
                q.row_hash = None  # a digest of the values as they were
                q.reason = reason  # a rejection reason quotes the value it rejected (a date of birth)
                changed += 1
    return changed


def _clear(rows: list[Any], columns: tuple[str, ...], table: str, cleared: dict[str, int]) -> None:
    for row in rows:
        for col in columns:
            if getattr(row, col) is not None:
                setattr(row, col, None)
                name = f"{table}.{col.removesuffix('_enc')}"
                cleared[name] = cleared.get(name, 0) + 1


def _erase_linkage(session: Session, case_ids: list[int], cleared: dict[str, int]) -> None:
    """Reasons given for link decisions on these records, and their open review pairs."""
    rkeys = keyring().record_keys(case_ids)
    labels = session.scalars(
        select(LinkLabel).where(
            or_(LinkLabel.record_key_l.in_(rkeys), LinkLabel.record_key_r.in_(rkeys)), LinkLabel.reason_enc.isnot(None)
        )
    ).all()
    _clear(list(labels), ("reason_enc",), "link_labels", cleared)
    dropped = session.execute(
        update(LinkReviewPair)
        .where(
            or_(LinkReviewPair.case_id_l.in_(case_ids), LinkReviewPair.case_id_r.in_(case_ids)),
            LinkReviewPair.status == "open",
        )
        .values(status="dropped", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if dropped:
        cleared["link_review_pairs.open"] = int(dropped)


def _refuse_identifiers_in(reason: str, person: Person) -> None:
    """The reason is kept (encrypted) after the erasure, so it must not name the person it erases."""
    said = reason.casefold()
    words = set(re.findall(r"\w+", said))
    for name, value in decrypt_person(person).items():
        if name == "date_of_birth" or not value:
            continue
        tokens = [t for t in re.findall(r"\w+", value.casefold()) if len(t) >= 2]
        whole = re.search(rf"(?<!\w){re.escape(value.casefold())}(?!\w)", said)
        if whole or any(t in words for t in tokens):
            raise ValidationError(Text(
                "the reason names the person ({field}); it is kept after the erasure, so say "
                "why without naming them (for example: the person's request of 2024-05-01)",
                field=IDENTIFIER_WORDS.get(name, name.replace("_", " ")),
            ))


def erase_person(session: Session, actor: Actor, case_id: int, reason: str) -> Erased:
    """Erase the identifying data of the person of `case_id` (all their cases), for a stated reason."""
    require_role(session, actor, ERASERS, "person.erase")
    case, _ = load_case(session, actor, case_id, action="person.erase")
    reason = (no_nul(reason, "reason") or "").strip()
    if not reason:
        raise ValidationError(Text("say why the data is erased (for example: the person's request of 2024-05-01)"))
    person = case.person
    if person.erased_at is not None:
        raise Conflict(Text("the identifying data of the person of case {number} was already erased",
                            number=Plain(case.id)))
    _refuse_identifiers_in(reason, person)
    cleared: dict[str, int] = {}
    _clear([person], PERSON_COLUMNS, "persons", cleared)
    person.person_key = keyring().pseudonym("erased", person.id, purpose="record")
    person.erased_at = utcnow()
    person.erasure_reason_enc = seal(reason, "persons", "erasure_reason_enc")
    cases = sorted(person.cases, key=lambda c: c.id)
    ids = [c.id for c in cases]
    for c in cases:
        _clear([c], CASE_FREE_TEXT, "case_records", cleared)
        for rel, columns in FREE_TEXT.items():
            _clear(getattr(c, rel), columns, rel, cleared)
        touch(c)
    quarantined = _erase_quarantined(session, cases)
    if quarantined:
        cleared["quarantine.identifying"] = quarantined
    _erase_linkage(session, ids, cleared)
    session.flush()
    record_by(session, actor, "person.erase", case.id, {
        "person_id": person.id,
        "cases": ids,
        "quarantined_rows": quarantined,
        "cleared": dict(sorted(cleared.items())),
        "fields": ["erasure_reason"],
    })
    return Erased(person.id, ids, person.erased_at, cleared)

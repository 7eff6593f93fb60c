"""Reading the case store into a linkage features table, and writing clusters, scores and the queue back.

Names, dates of birth and document numbers are decrypted here, in memory only:
the features table is handed to the engine and never written anywhere. What
goes back into the store is pseudonymous (record keys, individual ids, scores).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ctdata.linkage.review import LABEL_COLUMNS
from ctdata.store.crypto import KeyRing, keyring
from ctdata.store.fields import unseal
from ctdata.store.models import (
    CaseRecord,
    IndividualLink,
    LinkLabel,
    LinkReviewPair,
    LinkRun,
    LinkScore,
    Person,
)

#: Columns of the features table `features_from_store` returns (what the engine may use).
FEATURE_COLUMNS = [
    "record_key",
    "given_name",
    "family_name",
    "date_of_birth",
    "place_of_birth",
    "sex",
    "citizenship",
    "office_country",
    "agency",
    "registration_date",
    "referral_from_office",
    "age_at_registration",
    "age_band",
    "id_document_key",
    "country_of_exploitation",
    "exploitation_start",
]
_DOC = re.compile(r"[^0-9A-Za-z]+")
_CHUNK = 5000


@dataclass
class StoreRecords:
    """The features table plus what the pipeline needs to write results back (never identifying)."""

    features: pd.DataFrame  # FEATURE_COLUMNS
    meta: pd.DataFrame  # record_key, case_id, source, source_record_id, source_kind

    @property
    def linkable(self) -> pd.Series:
        """Case records (not public-release rows, which are anonymised and cannot be linked)."""
        return self.meta["source_kind"] == "case"


def document_key(number: str | None, keys: KeyRing) -> str | None:
    """Pseudonym of a document number with spaces, dashes and case ignored."""
    if not number:
        return None
    norm = _DOC.sub("", number).upper()
    return keys.pseudonym(norm, purpose="document") if norm else None


def read_records(session: Session) -> StoreRecords:
    """Every case record with its person's fields, identifiers decrypted in memory.

    The records of an erased person are left out: what linkage would say of them (that they are the same
    person as another record) is what the erasure took away (`ctdata.linkage.outputs`)."""
    keys = keyring()
    C, P = CaseRecord, Person
    q = (
        select(
            C.id,
            C.source,
            C.source_record_id,
            C.source_kind,
            P.given_name_enc,
            P.family_name_enc,
            P.date_of_birth_enc,
            P.id_document_enc,
            P.erased_at,
            P.sex,
            P.citizenship,
            C.office_country,
            C.agency,
            C.registration_date,
            C.referral_from_office,
            C.age_at_registration,
            C.age_band,
            C.country_of_exploitation,
            C.exploitation_start,
            P.place_of_birth_enc,
        )
        .join(P, P.id == C.person_id)
        .where(P.erased_at.is_(None))
        .order_by(C.id)
    )
    rows = session.execute(q).all()
    ids = [r[0] for r in rows]
    rkeys = keys.record_keys(ids)

    def dec(blob: Any, ctx: str, erased: Any) -> str | None:
        return None if erased is not None or blob is None else keys.decrypt(blob, ctx)

    given, family, dob, doc, place = [], [], [], [], []
    for r in rows:
        erased = r[8]
        given.append(dec(r[4], "given_name", erased))
        family.append(dec(r[5], "family_name", erased))
        dob.append(dec(r[6], "date_of_birth", erased))
        doc.append(document_key(dec(r[7], "id_document_number", erased), keys))
        place.append(dec(r[19], "place_of_birth", erased))
    features = pd.DataFrame(
        {
            "record_key": rkeys,
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob,
            "place_of_birth": place,
            "sex": [r[9] for r in rows],
            "citizenship": [";".join(r[10]) if r[10] else None for r in rows],
            "office_country": [r[11] for r in rows],
            "agency": [r[12] for r in rows],
            "registration_date": [r[13] for r in rows],
            "referral_from_office": [r[14] for r in rows],
            "age_at_registration": pd.array([r[15] for r in rows], dtype="Int64"),
            "age_band": [r[16] for r in rows],
            "id_document_key": doc,
            "country_of_exploitation": [r[17] for r in rows],
            "exploitation_start": [r[18] for r in rows],
        },
        columns=FEATURE_COLUMNS,
    )
    meta = pd.DataFrame(
        {
            "record_key": rkeys,
            "case_id": pd.array(ids, dtype="int64"),
            "source": [r[1] for r in rows],
            "source_record_id": [r[2] for r in rows],
            "source_kind": [r[3] for r in rows],
        }
    )
    return StoreRecords(features, meta)


def features_from_store(session: Session) -> pd.DataFrame:
    """The linkage features table of every case record (identifiers decrypted in memory only)."""
    return read_records(session).features


# --- what the previous runs left ------------------------------------------------------------------


def load_mapping(session: Session) -> pd.DataFrame:
    """The current record_key -> individual_id mapping (empty before the first run)."""
    rows = session.execute(select(IndividualLink.record_key, IndividualLink.individual_id)).all()
    return pd.DataFrame(rows, columns=["record_key", "individual_id"])


def load_labels(session: Session) -> pd.DataFrame:
    """Every reviewer's label, oldest first (review.normalise_labels keeps the latest per pair)."""
    q = select(
        LinkLabel.record_key_l,
        LinkLabel.record_key_r,
        LinkLabel.decision,
        LinkLabel.reason_enc,
        LinkLabel.decided_by,
        LinkLabel.decided_at,
    ).order_by(LinkLabel.id)
    rows = [
        (a, b, d, unseal(r, "link_labels", "reason_enc"), by, at.isoformat(timespec="seconds"))
        for a, b, d, r, by, at in session.execute(q)
    ]
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)


def load_scores(session: Session) -> pd.DataFrame:
    q = select(LinkScore.record_key_l, LinkScore.record_key_r, LinkScore.match_weight, LinkScore.match_probability)
    return pd.DataFrame(
        session.execute(q).all(), columns=["record_key_l", "record_key_r", "match_weight", "match_probability"]
    )


def last_run(session: Session, kind: str | None = "link") -> LinkRun | None:
    q = select(LinkRun).order_by(LinkRun.id.desc()).limit(1)
    if kind:
        q = q.where(LinkRun.kind == kind)
    return session.execute(q).scalar_one_or_none()


# --- writing results back ---------------------------------------------------------------------------


def _bulk(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), _CHUNK):
        session.execute(insert(table), rows[i : i + _CHUNK])


def save_mapping(session: Session, mapping: pd.DataFrame, meta: pd.DataFrame, run_id: int) -> None:
    """Replace the record -> individual mapping with this run's (keyed by case id and record key)."""
    case_of = dict(zip(meta["record_key"], meta["case_id"].astype(int), strict=True))
    session.execute(delete(IndividualLink))
    rows = [
        {"case_id": case_of[k], "record_key": k, "individual_id": i, "run_id": run_id}
        for k, i in zip(mapping["record_key"].astype(str), mapping["individual_id"].astype(str), strict=True)
    ]
    _bulk(session, IndividualLink.__table__, rows)


def save_scores(session: Session, pairs: pd.DataFrame, run_id: int) -> None:
    session.execute(delete(LinkScore))
    rows = [
        {
            "run_id": run_id,
            "record_key_l": a,
            "record_key_r": b,
            "match_weight": float(w),
            "match_probability": float(p),
        }
        for a, b, w, p in zip(
            pairs["record_key_l"].astype(str),
            pairs["record_key_r"].astype(str),
            pairs["match_weight"],
            pairs["match_probability"],
            strict=True,
        )
    ]
    _bulk(session, LinkScore.__table__, rows)


def save_queue(session: Session, queue: pd.DataFrame, meta: pd.DataFrame, run_id: int) -> int:
    """Merge this run's uncertain pairs into the review queue; returns how many are open.

    A pair keeps its id across runs (so a data manager's list does not shuffle);
    an open pair the model no longer finds uncertain is dropped; decided pairs stay decided.
    """
    case_of = dict(zip(meta["record_key"], meta["case_id"].astype(int), strict=True))
    existing = {(p.record_key_l, p.record_key_r): p for p in session.execute(select(LinkReviewPair)).scalars()}
    seen: set[tuple[str, str]] = set()
    new: list[dict[str, Any]] = []
    for a, b, w, p in zip(
        queue["record_key_l"].astype(str),
        queue["record_key_r"].astype(str),
        queue["match_weight"],
        queue["match_probability"],
        strict=True,
    ):
        seen.add((a, b))
        row = existing.get((a, b))
        if row is None:
            new.append(
                {
                    "record_key_l": a,
                    "record_key_r": b,
                    "case_id_l": case_of[a],
                    "case_id_r": case_of[b],
                    "match_weight": float(w),
                    "match_probability": float(p),
                    "status": "open",
                    "run_id": run_id,
                }
            )
            continue
        row.match_weight, row.match_probability, row.run_id = float(w), float(p), run_id
        if row.status == "dropped":
            row.status = "open"
    for key, row in existing.items():
        if row.status == "open" and key not in seen:
            row.status = "dropped"
    session.flush()
    if new:
        from ctdata.store.models import utcnow

        now = utcnow()
        for r in new:
            r["created_at"] = r["updated_at"] = now
        _bulk(session, LinkReviewPair.__table__, new)
    return sum(1 for k in seen if k not in existing or existing[k].status == "open")

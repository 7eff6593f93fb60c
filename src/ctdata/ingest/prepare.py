"""The prepare stage of the import pipeline: validated columns -> the stored form of persons and cases.

The one place an import derives ages, bands and child flags (with
``standard.ages``), makes pseudonyms and ciphertexts (with ``store.persons``;
the case services use both too), joins code lists into their stored text and
settles the agency code each record is stored under (`Preparer.agencies` collects
them; `result.finish_batch` registers the new ones with ``cases.agencies``). It works on whole
columns: every import, the quarantine retry and the preparing child process call
`Preparer.records` and `companion_columns`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ctdata.ingest.sinks import Const
from ctdata.standard.ages import DERIVED, derive_values
from ctdata.standard.models import PERPETRATOR_IDENTIFYING
from ctdata.store import persons as person_fields
from ctdata.store.crypto import KeyRing
from ctdata.store.fields import context, list_text

LIST_FIELDS = (
    "exploitation_types",
    "labour_sectors",
    "sexual_exploitation_types",
    "means_of_control",
    "recruiter_relation",
    "recruitment_tactics",
)


def _list(v: Any) -> list[str] | None:
    """Lists keep None (unknown) apart from [] (known to be none); text is split on ';'."""
    if v is None:
        return None
    if isinstance(v, str):
        return text_list(v)
    return list(v)


def text_list(v: str) -> list[str]:
    """A ';'-joined free-text list (languages, consent_sharing) as the standard's TextList reads it."""
    return [s.strip() for s in v.split(";") if s.strip()]


def code_list(v: Any) -> str | None:
    """The store's CodeList text of a list or ';'-joined text value (None stays None)."""
    if v is None:
        return None
    return ";".join(text_list(v) if isinstance(v, str) else v)


_MEMO_LIMIT = 500_000


def code_lists(col: list[Any], memo: dict[int, tuple[Any, str | None]] | None = None) -> list[str | None]:
    """`code_list` of a whole column; validated columns share one list object per distinct value,
    so each distinct object is joined once. ``memo`` (id -> (object, text)) carries the joins over
    to later batches; it holds the objects, so their ids cannot be reused while it lives."""
    if memo is None or len(memo) > _MEMO_LIMIT:
        memo = {} if memo is None else (memo.clear() or memo)
    ids = list(map(id, col))
    get = memo.get
    for k, v in zip(ids, col, strict=True):
        if get(k) is None:
            memo[k] = (v, code_list(v))
    return [memo[k][1] for k in ids]


def text_code_lists(col: list[str | None], memo: dict[str | None, str | None] | None = None) -> list[str | None]:
    """`code_list` of a free-text list column (``a; b``): each distinct text is split and joined once."""
    if memo is None or len(memo) > _MEMO_LIMIT:
        memo = {} if memo is None else (memo.clear() or memo)
    for u in set(col).difference(memo):
        memo[u] = code_list(u)
    return list(map(memo.__getitem__, col))


#: the encryption context of the sharing list (free text: organisation names as the office wrote them)
SHARING = context("case_records", "consent_sharing_enc")
PROMISED_JOB = context("case_records", "promised_job_enc")


def sharing_texts(col: list[str | None], memo: dict[str | None, str | None] | None = None) -> list[str | None]:
    """The plaintext of the encrypted sharing list of each ``a; b`` value of a column (a JSON list)."""
    return [None if t is None else list_text(t.split(";") if t else []) for t in text_code_lists(col, memo)]


#: BLAKE2b's personalisation of the row digest by column name: its digests and the file-order ones
#: (`file_order_hashes`, no personalisation) are two functions, so one can never pass for the other
_BY_NAME = b"ctdata-row-v2"


#: Template columns added after this digest was defined: such a column counts in a row's digest only where
#: the row fills it. A partner's file of the template before the column and the same rows in today's
#: template (the column there but empty, as an unchanged export gives it) say the same, so they have the
#: same digest and are already present, both ways; a value given in the new column is a change. A column
#: the template gains from now on is listed here, and the digests stored before it stay valid.
LATER_COLUMNS = frozenset({"place_of_birth"})


class RowDigest:
    """Content digest of the rows of a file with these columns: a changed source row is a changed record.

    The digest is of the row's fields read by column name, not by place: the columns sorted by name
    (their names are digested too), then each row's fields in that order. A corrected file whose columns
    come in another order, same names and same values, gives its rows the same digests, so they are
    already present; digested in file order (as imports did before, `file_order_hashes`), every row
    read as changed and got a new version. Keyed with the store's digest key (`KeyRing.digest_key`:
    the row holds names, the digest is stored in clear). Empty fields are "" (the reader's None). A
    column of `LATER_COLUMNS` is digested only in the rows that fill it."""

    def __init__(self, columns: Sequence[str], key: bytes) -> None:
        self._columns = list(columns)
        self._key = key
        self._later = [j for j, c in enumerate(columns) if c in LATER_COLUMNS]
        self._bases: dict[frozenset[int], tuple[Any, list[int]]] = {}

    def _base(self, left_out: frozenset[int]) -> tuple[Any, list[int]]:
        """The keyed hash of the digested columns' names and their order, leaving out columns `left_out`."""
        got = self._bases.get(left_out)
        if got is None:
            cols = self._columns
            order = sorted((j for j in range(len(cols)) if j not in left_out), key=lambda j: (cols[j], j))
            base = hashlib.blake2b(digest_size=16, key=self._key, person=_BY_NAME)
            base.update(("\x1f".join(cols[j] for j in order) + "\x1e").encode())
            got = self._bases[left_out] = (base, order)
        return got

    def of(self, fields: Sequence[str]) -> str:
        """The digest of one row given as its fields in file order."""
        return self.many([fields])[0]

    def many(self, rows: Iterable[Sequence[str]]) -> list[str]:
        """The digests of many rows given as their fields in file order."""
        later = self._later
        base, order = self._base(frozenset(later))
        full = self._base(frozenset()) if later else (base, order)
        out = []
        for fields in rows:
            if later:
                empty = frozenset(j for j in later if not fields[j])
                base, order = full if not empty else self._base(empty)
            h = base.copy()
            h.update("\x1f".join([fields[j] for j in order]).encode())
            out.append(h.hexdigest())
        return out


def row_hash(values: dict[str, Any], key: bytes) -> str:
    """`RowDigest` of one row given as column name -> value (None = empty)."""
    names = list(values)
    return RowDigest(names, key).of(["" if values[c] is None else str(values[c]) for c in names])


def file_order_hash(values: dict[str, Any], key: bytes) -> str:
    """`file_order_hashes` of one row given as column name -> value, in file order (None = empty)."""
    return file_order_hashes([tuple("" if v is None else str(v) for v in values.values())], key)[0]


def file_order_hashes(rows: Iterable[tuple[str, ...]], key: bytes) -> list[str]:
    """The digests imports stored before `RowDigest`: each row's fields in file order, keyed.

    Stores hold them still (a migration cannot remake them: the store keeps a record's values as
    loaded, not the row as its file gave it), so a stored digest is compared with both (see
    `pipeline.Pipeline` and `ctdc_import.row_identities`); a row met again that matches the old one
    is given the new one."""
    base = hashlib.blake2b(digest_size=16, key=key)
    out = []
    for t in map("\x1f".join, rows):
        h = base.copy()
        h.update(t.encode())
        out.append(h.hexdigest())
    return out


PERSON_COLS = (
    "id",
    "person_key",
    *person_fields.ENCRYPTED.values(),
    "sex",
    "citizenship",
    "languages",
    "created_at",
)
CASE_COLS = (
    "id",
    "person_id",
    "source",
    "source_record_id",
    "source_kind",
    "import_batch_id",
    "agency",
    "office_country",
    "current_office_country",
    "current_agency",
    "data_source",
    "registration_date",
    "status",
    "country_of_exploitation",
    "origin_region",
    "exploitation_region",
    "exploitation_start",
    "referral_from_office",
    "consent_assistance",
    "consent_research",
    "consent_sharing_enc",
    "promised_job_enc",
    "promised_sector",
    "row_hash",
    "version",
    *LIST_FIELDS,
    *DERIVED,
    "created_at",
    "updated_at",
)


def pick(col: list[Any], idx: Sequence[int], n: int) -> list[Any]:
    """The values of a column at ``idx`` (the column itself when ``idx`` is every row)."""
    return col if len(idx) == n else [col[i] for i in idx]


@dataclass
class Preparer:
    """Prepares the rows of one import (keeps the joins of repeated code lists between batches)."""

    keys: KeyRing
    source_kind: str
    batch_id: int | None
    _joined: dict[int, tuple[Any, str | None]] = field(default_factory=dict)
    _texts: dict[str | None, str | None] = field(default_factory=dict)
    #: every agency code this import writes (the import registers those the registry lacks)
    agencies: set[str] = field(default_factory=set)

    def records(
        self,
        col: dict[str, list[Any]],
        srcs: list[str],
        digests: list[str],
        pids: list[int],
        cids: list[int],
        now: Any,
    ) -> tuple[list[Any], list[Any]]:
        """Person and case-record columns (in `PERSON_COLS` and `CASE_COLS` order) of validated rows."""
        rids = [str(r) for r in col["record_id"]]
        ident = [col[name] for name in person_fields.KEYED]
        pkeys = person_fields.person_keys(self.keys, *ident, srcs, rids)
        enc = person_fields.encrypted_columns(self.keys, col)
        persons = [
            pids,
            pkeys,
            *enc.values(),
            col["sex"],
            code_lists(col["citizenship"], self._joined),
            text_code_lists(col["languages"], self._texts),
            Const(now),
        ]
        derived = list(
            zip(
                *map(
                    derive_values,
                    col["registration_date"],
                    col["date_of_birth"],
                    col["age_at_registration"],
                    col["age_band"],
                    col["child_at_registration"],
                    col["age_at_exploitation"],
                    col["child_at_exploitation"],
                ),
                strict=True,
            )
        )
        if not derived:
            derived = [[] for _ in DERIVED]
        public = self.source_kind == "public_release"
        agency = [a or "UNKNOWN" for a in col["agency"]]
        self.agencies.update(agency)
        status_default = "victim_of_trafficking" if public else "screening"
        status = [s or status_default for s in col["status"]]
        research = [True if (r is None and public) else r for r in col["consent_research"]]
        cases = [
            cids,
            pids,
            srcs,
            rids,
            Const(self.source_kind),
            Const(self.batch_id),
            agency,
            col["office_country"],
            col["office_country"],
            agency,
            col["data_source"],
            col["registration_date"],
            status,
            col["country_of_exploitation"],
            col["origin_region"],
            col["exploitation_region"],
            col["exploitation_start"],
            col["referral_from_office"],
            col["consent_assistance"],
            research,
            self.keys.encrypt_many(sharing_texts(col["consent_sharing"], self._texts), SHARING),
            self.keys.encrypt_many(col["promised_job"], PROMISED_JOB),
            col["promised_sector"],
            digests,
            Const(1),
            *(code_lists(col[f], self._joined) for f in LIST_FIELDS),
            *derived,
            Const(now),
            Const(now),
        ]
        return persons, cases


def companion_values(table: str, name: str, values: list[Any]) -> list[Any]:
    """A companion column in its stored form (assistance not marked as reintegration is not; a
    perpetrator row not marked grouped is one person; code lists are joined; a perpetrator's
    ';'-separated identifiers become the JSON list the case services encrypt too)."""
    if (name, table) in (("reintegration", "assistance"), ("grouped", "perpetrators")):
        return [False if v is None else v for v in values]
    if table == "perpetrators" and name in PERPETRATOR_IDENTIFYING:
        return [None if v is None else list_text(text_list(v)) for v in values]
    if any(isinstance(v, list) for v in values):
        return code_lists(values)
    return values

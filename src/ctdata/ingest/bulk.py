"""The bulk path of `ctdata import standard`: column batches in, tuples out.

Same rules and answers as `RecordLoader` (every row loaded or quarantined with
its reason, duplicates within the file refused, rows already in the store
counted as present or updated, the whole file one transaction), but each step
works on whole columns: validation maps each distinct value once, pseudonyms
and ciphertexts are made for a column at a time, and rows reach the database
as prepared tuples through ``executemany`` on the writer thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Protocol

from sqlalchemy import insert, select

from ctdata.errors import CtdataError
from ctdata.ingest import loader as loader_mod
from ctdata.ingest.columns import ColumnBatch
from ctdata.ingest.loader import RecordLoader, quarantine_values
from ctdata.ingest.prepare import (
    DERIVED,
    LIST_FIELDS,
    code_lists,
    derive_values,
    row_hash_fields,
    row_hashes,
    text_code_lists,
)
from ctdata.ingest.validate import TableValidator
from ctdata.ingest.writer import BackgroundWriter
from ctdata.store.models import CaseRecord, Person, QuarantineRow, utcnow

_PERSON_COLS = (
    "id",
    "person_key",
    "given_name_enc",
    "family_name_enc",
    "date_of_birth_enc",
    "id_document_enc",
    "sex",
    "citizenship",
    "languages",
    "created_at",
)
_CASE_COLS = (
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
    "exploitation_start",
    "referral_from_office",
    "consent_assistance",
    "consent_research",
    "consent_sharing",
    "row_hash",
    "version",
    *LIST_FIELDS,
    *DERIVED,
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class Const:
    """A column holding one value in every row (sent once, expanded where the rows are written)."""

    value: Any


#: the columns of prepared rows, in the order of the names they are written under
Columns = list[Sequence[Any] | Const]


def as_rows(columns: Columns) -> list[tuple[Any, ...]]:
    """The tuples ``executemany`` takes (at least one column must be a real column)."""
    return list(zip(*(repeat(c.value) if isinstance(c, Const) else c for c in columns)))  # noqa: B905


def _literal(value: Any) -> str | None:
    """SQL text of a constant that can be written into the statement (ints and text), else None."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def write_columns(session: Any, model: type, names: Sequence[str], columns: Columns) -> None:
    """executemany of prepared columns, binding only what differs between rows.

    Binding a parameter costs about as much as storing it, so constants (batch id,
    source kind, version, time stamps) are written into the statement once, and a
    column that is empty in the whole batch is left out (its value is NULL either
    way: none of these columns has a server default).
    """
    table = model.__table__  # type: ignore[attr-defined]
    bound: list[str] = []
    cols: list[Sequence[Any] | Const] = []
    literals: dict[str, str] = {}
    for name, col in zip(names, columns, strict=True):
        if isinstance(col, Const):
            lit = _literal(col.value)
            if lit is not None:
                literals[name] = lit
                continue
        elif (
            len(bound) > 0
            and col.count(None) == len(col)
            and table.c[name].server_default is None
            and not table.c[name].primary_key
        ):
            continue
        bound.append(name)
        cols.append(col)
    rows = zip(*(repeat(c.value) if isinstance(c, Const) else c for c in cols))  # noqa: B905 - Const repeats
    loader_mod.insert_tuples(session, model, bound, rows, literals=literals)


def _stamp(session: Any) -> Any:
    """Now, as the database column takes it: SQLite gets SQLAlchemy's DateTime text directly
    (the sqlite3 module's datetime adapter is a Python call per value and is deprecated)."""
    now = utcnow()
    if session is None or session.get_bind().dialect.name == "sqlite":  # None: a preparing process (SQLite)
        return now.strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


def _pick(col: list[Any], idx: list[int], n: int) -> list[Any]:
    return col if len(idx) == n else [col[i] for i in idx]


def _raw_columns(batch: ColumnBatch, validator: TableValidator) -> dict[str, list[str] | None]:
    return {name: batch.column(name) for _p, name in validator.parsers}


@dataclass
class ColumnRecordLoader(RecordLoader):
    """`RecordLoader` for column batches (the standard template's records table)."""

    validator: TableValidator = field(default_factory=lambda: TableValidator("records"))
    #: ``source_of`` gives the row's agency (the standard template): lets whole batches skip the per-row loop
    source_is_agency: bool = True
    #: sources known to have no case record in the store before this import (no look-ups needed)
    _fresh: dict[str, bool] = field(default_factory=dict)
    #: joined code lists of the validated list objects seen so far (see `code_lists`)
    _joined: dict[int, tuple[Any, str | None]] = field(default_factory=dict)
    _texts: dict[str | None, str | None] = field(default_factory=dict)

    def run_batches(self, batches: Iterator[ColumnBatch], sink: Sink | None = None) -> None:
        """Load the batches; rows go to ``sink`` (default: executemany on a writer thread of this session)."""
        own = sink is None
        if own:
            self._writer = BackgroundWriter()
            sink = WriterSink(self.session, self._writer)
        assert sink is not None
        self._sink = sink
        try:
            for b in batches:
                self._batch(b)
                if self._rejects:
                    rejects, self._rejects = self._rejects, []
                    sink.quarantine(rejects)
                sink.end_batch(b.rows_read)
                if self.progress:
                    self.progress(b.rows_read)
        finally:
            if own:
                assert self._writer is not None
                self._writer.close()
                self._writer = None

    def _batch(self, b: ColumnBatch) -> None:
        self.result.rows_read += b.rows_read
        for raw in b.bad:
            self._reject(raw, raw.error or "unreadable row")
        n = len(b)
        if not n:
            return
        clean, reasons = self.validator.validate_columns(_raw_columns(b, self.validator), n)
        rid_col, agency_col = clean["record_id"], clean["agency"]
        good: list[int] = []
        srcs: list[str] = []
        seen = self._seen
        if (
            self.source_is_agency and reasons.count(None) == n
        ):  # the common case: all valid and new to this file, checked column-wise
            keys = list(zip(agency_col, rid_col, strict=True))
            if len(set(keys)) == n and seen.keys().isdisjoint(keys):
                seen.update(zip(keys, b.numbers, strict=True))
                good, srcs = list(range(n)), list(agency_col)
        for i in range(n) if not good else ():
            reason = reasons[i]
            if reason is not None:
                self._reject(b.raw(i), reason)
                continue
            src = self.source_of({"agency": agency_col[i], "record_id": rid_col[i]})
            key = (src, str(rid_col[i]))
            first = seen.get(key)
            if first is not None:
                self._reject(b.raw(i), f"record_id: {rid_col[i]!r} appears twice in this file (first at row {first})")
                continue
            seen[key] = b.numbers[i]
            good.append(i)
            srcs.append(src)
        if not good:
            return
        fields = b.raw_fields() if len(good) == n else None
        digests = (
            row_hashes(fields)
            if fields is not None
            else [row_hash_fields(tuple(col[i] for col in b.values)) for i in good]
        )
        existing = self._lookup(srcs, [str(rid_col[i]) for i in good])
        if not existing:
            self._insert(clean, good, srcs, digests, n)
            return
        ins: list[int] = []
        ins_src: list[str] = []
        ins_digest: list[str] = []
        for k, i in enumerate(good):
            rid = str(rid_col[i])
            hit = existing.get((srcs[k], rid)) if existing else None
            if hit is None:
                ins.append(i)
                ins_src.append(srcs[k])
                ins_digest.append(digests[k])
            elif hit[1] == digests[k]:
                self.result.already_present += 1
                self.result.loaded += 1
                self.case_ids[rid] = hit[0]
            else:
                row = {name: col[i] for name, col in clean.items()}
                self._db(lambda h=hit, r=row, s=srcs[k], d=digests[k]: self._update(h[0], r, s, d))
                self.result.updated += 1
                self.result.loaded += 1
                self.case_ids[rid] = hit[0]
        if ins:
            self._insert(clean, ins, ins_src, ins_digest, n)

    def _lookup(self, srcs: list[str], rids: list[str]) -> dict[tuple[str, str], tuple[int, str | None]]:
        """Rows of this batch already in the store; sources the store did not hold before are skipped."""
        for s in set(srcs):
            if s not in self._fresh:
                self._fresh[s] = self._db(
                    lambda s=s: (
                        self.session.execute(select(CaseRecord.id).where(CaseRecord.source == s).limit(1)).first()
                        is None
                    )
                )
        keys = {(s, r) for s, r in zip(srcs, rids, strict=True) if not self._fresh[s]}
        if not keys:
            return {}
        return self._db(lambda: self._existing(keys))

    def _insert(self, clean: dict[str, list[Any]], ins: list[int], srcs: list[str], digests: list[str], n: int) -> None:
        m = len(ins)
        col = {name: _pick(values, ins, n) for name, values in clean.items()}
        given, family, dob, doc = col["given_name"], col["family_name"], col["date_of_birth"], col["id_document_number"]
        rids = [str(r) for r in col["record_id"]]
        keys = self.keys
        named = list(map(any, zip(given, family, doc, strict=True)))
        if all(named):
            pkeys: list[str | None] = keys.pseudonym_columns([given, family, dob, doc])  # type: ignore[assignment]
        else:
            pkeys = [None] * m
            idx = [i for i in range(m) if named[i]]
            got = keys.pseudonym_columns([[c[i] for i in idx] for c in (given, family, dob, doc)])
            for i, k in zip(idx, got, strict=True):
                pkeys[i] = k
            anon = [i for i in range(m) if not named[i]]
            got = keys.pseudonym_columns([[srcs[i] for i in anon], [rids[i] for i in anon]], purpose="record")
            for i, k in zip(anon, got, strict=True):
                pkeys[i] = k
        now = _stamp(self.session)
        pids = self._ids(Person, m)
        persons: Columns = [
            pids,
            pkeys,
            keys.encrypt_many(given, "given_name"),
            keys.encrypt_many(family, "family_name"),
            keys.encrypt_many(dob, "date_of_birth"),
            keys.encrypt_many(doc, "id_document_number"),
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
                    dob,
                    col["age_at_registration"],
                    col["age_band"],
                    col["child_at_registration"],
                    col["age_at_exploitation"],
                    col["child_at_exploitation"],
                ),
                strict=True,
            )
        )
        public = self.source_kind == "public_release"
        agency = [a or "unknown" for a in col["agency"]]
        status_default = "victim_of_trafficking" if public else "screening"
        status = [s or status_default for s in col["status"]]
        research = [True if (r is None and public) else r for r in col["consent_research"]]
        cids = self._ids(CaseRecord, m)
        cases: Columns = [
            cids,
            pids,
            srcs,
            rids,
            Const(self.source_kind),
            Const(self.batch.id),
            agency,
            col["office_country"],
            col["office_country"],
            agency,
            col["data_source"],
            col["registration_date"],
            status,
            col["country_of_exploitation"],
            col["exploitation_start"],
            col["referral_from_office"],
            col["consent_assistance"],
            research,
            text_code_lists(col["consent_sharing"], self._texts),
            digests,
            Const(1),
            *(code_lists(col[f], self._joined) for f in LIST_FIELDS),
            *derived,
            Const(now),
            Const(now),
        ]

        self._sink.rows(Person, _PERSON_COLS, persons)
        self._sink.rows(CaseRecord, _CASE_COLS, cases)
        for rid, cid in zip(rids, cids, strict=True):
            self.case_ids[rid] = cid
        self.new_ids.update(cids)
        self.result.inserted += m
        self.result.loaded += m


class Sink(Protocol):
    """Where prepared rows go: the database (in process) or a pipe to the process that writes."""

    def rows(self, model: type, names: Sequence[str], columns: Columns) -> None: ...

    def quarantine(self, rows: list[dict[str, Any]]) -> None: ...

    def end_batch(self, rows_read: int) -> None: ...


@dataclass
class WriterSink:
    """executemany on the import's session, run in order on its writer thread."""

    session: Any
    writer: BackgroundWriter

    def rows(self, model: type, names: Sequence[str], columns: Columns) -> None:
        self.writer.submit(lambda: write_columns(self.session, model, names, columns))

    def quarantine(self, rows: list[dict[str, Any]]) -> None:
        self.writer.submit(lambda: self.session.execute(insert(QuarantineRow), rows))

    def end_batch(self, rows_read: int) -> None:
        return None


# --- companion tables ----------------------------------------------------------------------------------


@dataclass
class CompanionLoader:
    """Loads one companion table (journey legs, assistance, returns) by column batches."""

    session: Any
    keys: Any
    batch_id: int
    name: str
    model: type
    records: RecordLoader
    stats: dict[str, int]
    validator: TableValidator
    _legs: set[tuple[int, int]] = field(default_factory=set)
    _rejects: list[dict[str, Any]] = field(default_factory=list)

    def run(self, batches: Iterator[ColumnBatch], sink: Sink, progress: Callable[[int], None] | None = None) -> None:
        table = self.model.__table__  # type: ignore[attr-defined]
        template = {name for _p, name in self.validator.parsers}
        self._cols = [
            "case_id",
            *[c.name for c in table.columns if c.name not in ("id", "case_id") and c.name in template],
        ]
        now = _stamp(self.session)
        self._defaults = {
            k: v
            for k, v in {"version": 1, "created_at": now, "updated_at": now}.items()
            if k in table.columns and k not in self._cols
        }
        self._cols += list(self._defaults)
        for b in batches:
            columns = self._batch(b)
            if self._rejects:
                rejects, self._rejects = self._rejects, []
                sink.quarantine(rejects)
            if columns:
                sink.rows(self.model, self._cols, columns)
            sink.end_batch(b.rows_read)
            if progress:
                progress(b.rows_read)
        if self.stats["rows_read"] != self.stats["loaded"] + self.stats["quarantined"]:
            raise CtdataError(f"internal reconciliation failed for {self.name}")

    def _reject(self, raw: Any, reason: str) -> None:
        self.stats["quarantined"] += 1
        self._rejects.append(quarantine_values(self.keys, self.batch_id, "standard", raw, reason, table_name=self.name))

    def _all_new(
        self, reasons: list[str | None], cids: list[int | None], new_ids: set[int], legs: list[Any] | None
    ) -> bool:
        if any(r is not None for r in reasons) or None in cids or not all(map(new_ids.__contains__, cids)):
            return False
        if legs is None:
            return True
        keys = list(zip(cids, legs, strict=True))
        if len(set(keys)) != len(keys) or not self._legs.isdisjoint(keys):
            return False
        self._legs.update(keys)
        return True

    def _sort_out(
        self,
        b: ColumnBatch,
        reasons: list[str | None],
        rid_col: list[Any],
        cid_col: list[int | None],
        new_ids: set[int],
        leg_col: list[Any] | None,
    ) -> tuple[list[int], list[int]]:
        """Row by row: quarantine what cannot load, count what is already present, keep the rest."""
        stats = self.stats
        keep: list[int] = []
        cids: list[int] = []
        for i, cid in enumerate(cid_col):
            reason = reasons[i]
            if reason is None and cid is None:
                reason = f"record_id: no case record {rid_col[i]!r} in this import"
            if reason is not None:
                self._reject(b.raw(i), reason)
                continue
            assert cid is not None
            stats["loaded"] += 1
            if cid not in new_ids:
                stats["already_present"] += 1
                continue
            if leg_col is not None:
                key = (cid, leg_col[i])
                if key in self._legs:
                    stats["loaded"] -= 1
                    self._reject(b.raw(i), f"leg_number: leg {leg_col[i]} of {rid_col[i]!r} appears twice")
                    continue
                self._legs.add(key)
            keep.append(i)
            cids.append(cid)
        return keep, cids

    def _batch(self, b: ColumnBatch) -> Columns:
        stats = self.stats
        stats["rows_read"] += b.rows_read
        for raw in b.bad:
            self._reject(raw, raw.error or "unreadable row")
        n = len(b)
        if not n:
            return []
        clean, reasons = self.validator.validate_columns(_raw_columns(b, self.validator), n)
        rid_col = clean["record_id"]
        case_ids, new_ids = self.records.case_ids, self.records.new_ids
        legs = self.name == "journey_legs"
        leg_col = clean.get("leg_number")
        cid_col = [case_ids.get(r) for r in rid_col]
        if self._all_new(reasons, cid_col, new_ids, leg_col if legs else None):
            # the common case: every row valid, of a record inserted by this import, legs not repeated
            stats["loaded"] += n
            keep, cids = list(range(n)), cid_col
        else:
            keep, cids = self._sort_out(b, reasons, rid_col, cid_col, new_ids, leg_col if legs else None)
        if not keep:
            return []
        cols: Columns = [cids]
        for name in self._cols[1:]:
            if name in self._defaults:
                cols.append(Const(self._defaults[name]))
                continue
            values = _pick(clean[name], keep, n)
            if name == "reintegration" and self.name == "assistance":
                values = [False if v is None else v for v in values]
            cols.append(values)
        return cols

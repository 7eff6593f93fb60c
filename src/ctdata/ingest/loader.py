"""Load validated rows into the case store: every row is loaded or quarantined.

One file is one transaction: rows are inserted in batches for speed, but a
failure anywhere (a damaged file, a lost connection) rolls the whole file
back, so the store is never left half-imported. Re-importing the same rows is
idempotent: a record is identified by (source, record id) and a row already
present with the same content is counted as present, not inserted again.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from ctdata.errors import CtdataError, FileFormatError
from ctdata.ingest.prepare import case_values, person_values, row_hash
from ctdata.ingest.readers import RawRow, Table
from ctdata.ingest.writer import BackgroundWriter
from ctdata.store import audit
from ctdata.store.crypto import KeyRing
from ctdata.store.models import CaseRecord, CodeList, ImportBatch, Person, QuarantineRow, utcnow

BATCH = 5000
ProgressFn = Callable[[int], None]


@dataclass
class ImportResult:
    kind: str
    path: str
    rows_read: int = 0
    loaded: int = 0
    quarantined: int = 0
    inserted: int = 0
    updated: int = 0
    already_present: int = 0
    batch_id: int | None = None
    release: str | None = None
    notices: list[str] = field(default_factory=list)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "rows_read": self.rows_read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "inserted": self.inserted,
            "updated": self.updated,
            "already_present": self.already_present,
            "batch_id": self.batch_id,
            "release": self.release,
            "notices": self.notices,
            "tables": self.tables,
            "top_reasons": dict(sorted(self.reasons.items(), key=lambda kv: -kv[1])[:10]),
        }


def reason_of(exc: Exception) -> str:
    """One readable line from a validation failure (pydantic or ours)."""
    if isinstance(exc, pydantic.ValidationError):
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(p) for p in err.get("loc", ())) or "row"
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}")
        more = len(exc.errors()) - 5
        return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    return str(exc)


def _short(reason: str) -> str:
    return reason.split(":", 1)[0] if ":" in reason else reason[:60]


def quarantine_values(
    keys: KeyRing, batch_id: int, kind: str, row: RawRow, reason: str, table_name: str = "records"
) -> dict[str, Any]:
    """The quarantine row for a rejected row; raw values are encrypted (they may hold names)."""
    raw = json.dumps(row.values, ensure_ascii=False, default=str)
    return {
        "batch_id": batch_id,
        "kind": kind,
        "table_name": table_name,
        "row_number": row.number,
        "raw_enc": keys.encrypt(raw, "quarantine"),
        "reason": reason,
        "status": "open",
    }


def quarantine(
    session: Session, keys: KeyRing, batch_id: int, kind: str, row: RawRow, reason: str, table_name: str = "records"
) -> None:
    session.execute(insert(QuarantineRow), [quarantine_values(keys, batch_id, kind, row, reason, table_name)])


def start_batch(
    session: Session, *, kind: str, source: str, table: Table, actor: str, release: str | None = None
) -> ImportBatch:
    b = ImportBatch(
        kind=kind,
        source=source,
        path=str(table.path),
        sha256=table.sha256,
        release=release,
        actor=actor,
        status="running",
    )
    session.add(b)
    session.flush()
    return b


def chunks(rows: Iterator[RawRow], size: int = BATCH) -> Iterator[list[RawRow]]:
    buf: list[RawRow] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


@dataclass
class RecordLoader:
    """Validates and stores case-record rows of one import, batch by batch."""

    session: Session
    keys: KeyRing
    batch: ImportBatch
    kind: str
    source_kind: str
    validate: Callable[[RawRow], dict[str, Any]]
    source_of: Callable[[dict[str, Any]], str]
    result: ImportResult
    progress: ProgressFn | None = None
    #: validates a whole chunk at once (each row -> clean dict or reason); preferred when given
    validate_many: Callable[[list[RawRow]], list[dict[str, Any] | str]] | None = None
    #: record_id -> case id of every record of this import (for companion tables)
    case_ids: dict[str, int] = field(default_factory=dict)
    new_ids: set[int] = field(default_factory=set)
    _seen: dict[tuple[str, str], int] = field(default_factory=dict)

    _rejects: list[dict[str, Any]] = field(default_factory=list)
    _writer: BackgroundWriter | None = None
    _next_id: dict[str, int] = field(default_factory=dict)

    def run(self, rows: Iterator[RawRow]) -> None:
        self._writer = BackgroundWriter()
        try:
            for chunk in chunks(rows):
                self._chunk(chunk)
                if self._rejects:
                    rejects, self._rejects = self._rejects, []
                    self._writer.submit(lambda r=rejects: self.session.execute(insert(QuarantineRow), r))
                if self.progress:
                    self.progress(len(chunk))
        finally:
            self._writer.close()
            self._writer = None

    def _db(self, fn: Callable[[], Any]) -> Any:
        """Run database work on the writer thread (in order) and wait for it."""
        return self._writer.call(fn) if self._writer is not None else fn()

    def _ids(self, model: type, n: int) -> list[int]:
        if self.session.get_bind().dialect.name == "postgresql":
            return self._db(lambda: allocate_ids(self.session, model, n))
        # SQLite: our transaction holds the write lock, so ids can be counted locally.
        name = model.__table__.name
        if name not in self._next_id:
            self._next_id[name] = self._db(lambda: allocate_ids(self.session, model, 1))[0]
        start = self._next_id[name]
        self._next_id[name] = start + n
        return list(range(start, start + n))

    def _validate_all(self, raws: list[RawRow]) -> list[dict[str, Any] | str]:
        if self.validate_many is not None:
            return self.validate_many(raws)
        out: list[dict[str, Any] | str] = []
        for raw in raws:
            try:
                out.append(self.validate(raw))
            except (pydantic.ValidationError, CtdataError, ValueError) as exc:
                out.append(reason_of(exc))
        return out

    def _reject(self, row: RawRow, reason: str) -> None:
        self.result.quarantined += 1
        self.result.reasons[_short(reason)] = self.result.reasons.get(_short(reason), 0) + 1
        self._rejects.append(quarantine_values(self.keys, self.batch.id, self.kind, row, reason))

    def _chunk(self, chunk: list[RawRow]) -> None:
        good: list[tuple[RawRow, dict[str, Any], str, str]] = []
        readable = []
        for raw in chunk:
            self.result.rows_read += 1
            if raw.error:
                self._reject(raw, raw.error)
            else:
                readable.append(raw)
        for raw, row in zip(readable, self._validate_all(readable), strict=True):
            if isinstance(row, str):
                self._reject(raw, row)
                continue
            src = self.source_of(row)
            key = (src, str(row["record_id"]))
            if key in self._seen:
                self._reject(
                    raw, f"record_id: {row['record_id']!r} appears twice in this file (first at row {self._seen[key]})"
                )
                continue
            self._seen[key] = raw.number
            good.append((raw, row, src, row_hash(raw.values)))
        if not good:
            return
        # Encrypt and shape before asking the database, so this overlaps the previous chunk's insert.
        prepared = {
            id(row): (
                person_values(row, self.keys, src),
                case_values(row, source=src, source_kind=self.source_kind, batch_id=self.batch.id, digest=digest),
            )
            for _raw, row, src, digest in good
        }
        existing = self._db(lambda: self._existing({(g[2], str(g[1]["record_id"])) for g in good}))
        to_insert: list[tuple[dict[str, Any], str, str]] = []
        for _raw, row, src, digest in good:
            rid = str(row["record_id"])
            hit = existing.get((src, rid))
            if hit is None:
                to_insert.append((row, src, digest))
            elif hit[1] == digest:
                self.result.already_present += 1
                self.result.loaded += 1
                self.case_ids[rid] = hit[0]
            else:
                self._db(lambda h=hit, r=row, sr=src, d=digest: self._update(h[0], r, sr, d))
                self.result.updated += 1
                self.result.loaded += 1
                self.case_ids[rid] = hit[0]
        if to_insert:
            persons = [prepared[id(row)][0] for row, _src, _d in to_insert]
            pids = self._ids(Person, len(persons))
            for p, pid in zip(persons, pids, strict=True):
                p["id"] = pid
            cases = [
                {**prepared[id(row)][1], "person_id": pid} for (row, _src, _d), pid in zip(to_insert, pids, strict=True)
            ]
            cids = self._ids(CaseRecord, len(cases))
            for c, cid in zip(cases, cids, strict=True):
                c["id"] = cid

            def write(persons: list[dict[str, Any]] = persons, cases: list[dict[str, Any]] = cases) -> None:
                bulk_insert(self.session, Person, persons)
                bulk_insert(self.session, CaseRecord, cases)

            if self._writer is not None:
                self._writer.submit(write)
            else:
                write()
            for (row, _src, _d), cid in zip(to_insert, cids, strict=True):
                self.case_ids[str(row["record_id"])] = cid
                self.new_ids.add(cid)
            self.result.inserted += len(cids)
            self.result.loaded += len(cids)

    def _existing(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str | None]]:
        out: dict[tuple[str, str], tuple[int, str | None]] = {}
        by_source: dict[str, list[str]] = {}
        for s, r in keys:
            by_source.setdefault(s, []).append(r)
        for s, rids in by_source.items():
            for i in range(0, len(rids), 900):
                part = rids[i : i + 900]
                q = select(CaseRecord.source_record_id, CaseRecord.id, CaseRecord.row_hash).where(
                    CaseRecord.source == s, CaseRecord.source_record_id.in_(part)
                )
                for rid, cid, h in self.session.execute(q):
                    out[(s, rid)] = (cid, h)
        return out

    def _update(self, case_id: int, row: dict[str, Any], src: str, digest: str) -> None:
        values = case_values(row, source=src, source_kind=self.source_kind, batch_id=self.batch.id, digest=digest)
        for k in ("source", "source_record_id", "version", "current_office_country", "current_agency"):
            values.pop(k, None)
        case = self.session.get(CaseRecord, case_id)
        assert case is not None
        for k, v in values.items():
            setattr(case, k, v)
        pv = person_values(row, self.keys, src)
        self.session.execute(update(Person).where(Person.id == case.person_id).values(**pv))
        self.session.flush()


def bulk_insert(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """executemany straight to the driver: SQLAlchemy's per-row statement compilation
    dominated import time. Column types are applied here as the ORM would."""
    if not rows:
        return
    table = model.__table__
    now = utcnow()
    defaults = {"created_at": now, "updated_at": now, "version": 1}
    cols = [c for c in table.columns if c.name in rows[0] or (c.name in defaults)]
    names = [c.name for c in cols]
    listy = [i for i, c in enumerate(cols) if isinstance(c.type, CodeList)]
    missing = {n: defaults[n] for n in names if n not in rows[0]}
    getter = operator.itemgetter(*names)
    if missing:
        params = [getter({**missing, **r}) for r in rows]
    else:
        params = [getter(r) for r in rows]
    if len(names) == 1:
        params = [(p,) for p in params]
    if listy:
        params = [_join_lists(p, listy) for p in params]
    insert_tuples(session, model, names, params)


def insert_tuples(
    session: Session,
    model: type,
    names: Sequence[str],
    params: Iterable[tuple[Any, ...]],
    *,
    literals: dict[str, str] | None = None,
) -> None:
    """executemany of prepared tuples (values already in the column's stored form) on the session's
    connection, so the rows are part of the import's one transaction. ``literals`` maps further
    columns to SQL text written into the statement (the same value in every row).

    ``params`` may be an iterator: the driver's own cursor takes it as it comes, so each tuple is
    made just before it is bound and freed just after (cheaper than a list of a batch's tuples)."""
    if isinstance(params, list) and not params:
        return
    conn = session.connection()
    ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    lits = literals or {}
    if ph == "%s":  # pyformat drivers read % in the statement as a placeholder
        lits = {k: v.replace("%", "%%") for k, v in lits.items()}
    cols = ", ".join([*names, *lits])
    values = ", ".join([ph] * len(names) + list(lits.values()))
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(f"INSERT INTO {model.__table__.name} ({cols}) VALUES ({values})", params)
    finally:
        cur.close()


def _join_lists(p: tuple[Any, ...], idx: list[int]) -> tuple[Any, ...]:
    out = list(p)
    for i in idx:
        v = out[i]
        if v is not None and not isinstance(v, str):
            out[i] = ";".join(v)
    return tuple(out)


def allocate_ids(session: Session, model: type, n: int) -> list[int]:
    """Reserve n primary keys so bulk inserts need no RETURNING round trips.

    PostgreSQL hands out a block from the table's sequence; SQLite already
    holds the database write lock inside this transaction (the import batch
    row was written first), so max(id) cannot move under us.
    """
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        seq = f"{table.name}_id_seq"
        rows = session.execute(text(f"SELECT nextval('{seq}') FROM generate_series(1, :n)"), {"n": n})
        return [int(r[0]) for r in rows]
    start = (session.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    return list(range(start, start + n))


def finish_batch(
    session: Session, batch: ImportBatch, result: ImportResult, actor: str, affected_ids: list[int]
) -> None:
    if result.rows_read != result.loaded + result.quarantined:
        raise CtdataError(
            f"internal reconciliation failed: read {result.rows_read}, loaded {result.loaded}, "
            f"quarantined {result.quarantined}; nothing was imported"
        )
    batch.rows_read, batch.loaded, batch.quarantined = result.rows_read, result.loaded, result.quarantined
    batch.already_present = result.already_present
    batch.status, batch.finished_at = "done", utcnow()
    result.batch_id = batch.id
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="import_batch",
        entity_id=batch.id,
        details={
            "kind": result.kind,
            "path": result.path,
            "sha256": batch.sha256,
            "rows_read": result.rows_read,
            "loaded": result.loaded,
            "inserted": result.inserted,
            "updated": result.updated,
            "quarantined": result.quarantined,
            "tables": result.tables,
            "affected_ids_digest": audit.digest_ids(affected_ids),
        },
    )


def require_columns(table: Table, required: list[str], what: str) -> None:
    present = set(table.columns)
    missing = [c for c in required if c not in present]
    if missing:
        raise FileFormatError(
            f"{table.path.name}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} for {what}"
        )

"""Where prepared rows go: the last stage of the import pipeline.

Rows reach a sink as prepared columns (values already in the stored form) and
quarantine entries as dicts. Three sinks share one set of write functions:
`WriterSink` runs ``executemany`` on the import's session from a background
thread (in process), `DirectSink` runs it at once (quarantine retry), and the
preparing child of ``parallel.py`` sends the same columns down a pipe to the
process that writes them with `write_columns` and `write_quarantine`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Protocol

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from ctdata.ingest.writer import BackgroundWriter
from ctdata.store.models import QuarantineRow, utcnow


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


def write_columns(session: Session, model: type, names: Sequence[str], columns: Columns) -> None:
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
    insert_tuples(session, model, bound, rows, literals=literals)


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
        cur.executemany(f"INSERT INTO {model.__table__.name} ({cols}) VALUES ({values})", params)  # type: ignore[attr-defined]
    finally:
        cur.close()


def allocate_ids(session: Session, model: type, n: int) -> list[int]:
    """Reserve n primary keys so bulk inserts need no RETURNING round trips.

    PostgreSQL hands out a block from the table's sequence; SQLite already
    holds the database write lock inside this transaction (the import batch
    row was written first), so max(id) cannot move under us.
    """
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        seq = f"{table.name}_id_seq"
        rows = session.execute(text(f"SELECT nextval('{seq}') FROM generate_series(1, :n)"), {"n": n})
        return [int(r[0]) for r in rows]
    start = (session.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    return list(range(start, start + n))


def stamp(session: Session | None) -> Any:
    """Now, as the database column takes it: SQLite gets SQLAlchemy's DateTime text directly
    (the sqlite3 module's datetime adapter is a Python call per value and is deprecated)."""
    now = utcnow()
    if session is None or session.get_bind().dialect.name == "sqlite":  # None: a preparing process (SQLite)
        return now.strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


@dataclass
class QuarantineLog:
    """What one import put in quarantine: its rows' digests and identities (see `pipeline.settle`)."""

    batch_id: int
    hashes: set[tuple[str, str | None]] = field(default_factory=set)
    identities: set[tuple[str, str | None, str | None]] = field(default_factory=set)
    added: int = 0
    kept_open: int = 0


#: the key of a quarantine entry's digest of the former definition (`prepare.file_order_hashes`) in the
#: rows a sink is given: compared with the entries opened before, never stored
FILE_ORDER = "file_order_hash"


def write_quarantine(session: Session, rows: list[dict[str, Any]], log: QuarantineLog) -> None:
    """Insert quarantine entries, except for rows an earlier import left in quarantine as they are:
    the same row (same kind, table and content digest) keeps its one open entry.

    An entry opened before the digest read columns by name holds the row's digest in file order: the
    row matches it by that digest (each row carries it, ``FILE_ORDER``), and the entry is given the
    current one, as `pipeline` does for stored records."""
    if not rows:
        return
    former = {id(r): r.pop(FILE_ORDER, None) for r in rows}
    for r in rows:
        log.hashes.add((r["table_name"], r["row_hash"]))
        if former[id(r)] is not None:
            log.hashes.add((r["table_name"], former[id(r)]))
        if r["record_id"] is not None:
            log.identities.add((r["table_name"], r["source"], r["record_id"]))
    digests = sorted({d for r in rows for d in (r["row_hash"], former[id(r)]) if d is not None})
    open_before: dict[tuple[str, str, str], int] = {}
    for i in range(0, len(digests), 900):
        q = select(QuarantineRow.kind, QuarantineRow.table_name, QuarantineRow.row_hash, QuarantineRow.id).where(
            QuarantineRow.status == "open",
            QuarantineRow.batch_id != log.batch_id,
            QuarantineRow.row_hash.in_(digests[i : i + 900]),
        )
        open_before.update(((k, t, h), qid) for k, t, h, qid in session.execute(q))
    fresh = []
    renew: list[dict[str, Any]] = []
    for r in rows:
        if (r["kind"], r["table_name"], r["row_hash"]) in open_before:
            continue
        qid = open_before.get((r["kind"], r["table_name"], former[id(r)]))
        if qid is None:
            fresh.append(r)
        else:
            renew.append({"qid": qid, "digest": r["row_hash"]})
    log.kept_open += len(rows) - len(fresh)
    log.added += len(fresh)
    if fresh:
        session.execute(insert(QuarantineRow), fresh)
    if renew:
        t = QuarantineRow.__table__
        stmt = t.update().where(t.c.id == bindparam("qid")).values(row_hash=bindparam("digest"))
        session.execute(stmt, renew)


class Sink(Protocol):
    """Where prepared rows go: the database (in process) or a pipe to the process that writes."""

    def rows(self, model: type, names: Sequence[str], columns: Columns) -> None: ...

    def quarantine(self, rows: list[dict[str, Any]]) -> None: ...

    def end_batch(self, rows_read: int) -> None: ...


@dataclass
class WriterSink:
    """executemany on the import's session, run in order on its writer thread."""

    session: Session
    writer: BackgroundWriter
    log: QuarantineLog

    def rows(self, model: type, names: Sequence[str], columns: Columns) -> None:
        self.writer.submit(lambda: write_columns(self.session, model, names, columns))

    def quarantine(self, rows: list[dict[str, Any]]) -> None:
        self.writer.submit(lambda: write_quarantine(self.session, rows, self.log))

    def end_batch(self, rows_read: int) -> None:
        return None


@dataclass
class DirectSink:
    """executemany at once; rejected rows are kept for the caller (a retry updates its entry instead)."""

    session: Session
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def rows(self, model: type, names: Sequence[str], columns: Columns) -> None:
        write_columns(self.session, model, names, columns)

    def quarantine(self, rows: list[dict[str, Any]]) -> None:
        self.rejected.extend(rows)

    def end_batch(self, rows_read: int) -> None:
        return None

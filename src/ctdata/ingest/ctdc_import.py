"""`ctdata import ctdc`: a public CTDC release into the case store.

Records of a public release have no office and sometimes no year; they are
stored as instances of assistance with ``source_kind='public_release'`` (which
counts as consented for research, being already public). A release has no record
ids of its own: a record is a row of its release, so its id is the release's source
key and the row's number when first imported, and the release is known by the file's
name (`release_source`). Importing the same file twice changes nothing. A corrected
file of the release (same name) is aligned with the release's stored rows by content,
as ``diff`` aligns lines (`row_identities`, ``alignment.py``), never by row number: a
row inserted or deleted near the top shifts no record. Unchanged rows keep their
records (already present), rows only in the new file are new records, rows only in
the old one are kept and counted (``not_in_file``, and a notice), and a row changed in
place updates its record, audited and counted as updated. A row's digest reads its fields by column
name (`prepare.RowDigest`), so the same rows with the columns in another order are already present; the
release's rows still in quarantine are aligned too, so a corrected row loads as its entry's record and
settles the entry. The rows go
through the import pipeline with CTDC's column map as the mapper. The victim-perpetrator
release adds one grouped perpetrator row per victim, loaded as the companion table
``perpetrators`` of the same pipeline (docs/ctdc_victim_perpetrator.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ctdata.ingest.alignment import align
from ctdata.ingest.columns import batches
from ctdata.ingest.ctdc import VICTIM_PERPETRATOR, detect_release
from ctdata.ingest.mappers import CtdcMapper, perpetrator_batch
from ctdata.ingest.pipeline import Pipeline, open_record_ids, settle
from ctdata.ingest.prepare import RowDigest, file_order_hashes
from ctdata.ingest.readers import Table, open_table
from ctdata.ingest.result import ImportResult, finish_batch, quarantine_notices, start_batch
from ctdata.ingest.sinks import QuarantineLog, WriterSink
from ctdata.ingest.standard_import import _count_rows
from ctdata.ingest.writer import BackgroundWriter
from ctdata.store import db
from ctdata.store.crypto import keyring
from ctdata.store.models import CaseRecord, ImportBatch, QuarantineRow, utcnow

_SUFFIXES = {".gz", ".csv", ".tsv", ".txt", ".xlsx", ".xls"}


def release_name(path: Path) -> str:
    """A CTDC file's release, as its name says: the name without its file-type suffixes, lower case."""
    p = Path(path.name)
    while p.suffix.lower() in _SUFFIXES:
        p = p.with_suffix("")
    return re.sub(r"[^a-z0-9._-]+", "-", p.name.lower()).strip("-") or "release"


def release_source(session: Session, table: Table) -> str:
    """The source key of a CTDC file's records: the release they belong to.

    Why not the file's digest (as before): a corrected file of a release (the same rows, some of
    them changed) has another digest, so every row came in as a new record and the release was
    counted twice. A release is one source, known by its file's name: the same file, or a file of
    the same name, is the release imported before (its source kept, whatever key an older version
    gave it), and its rows are its records again, row by row, new, changed or already present as
    the pipeline's classification says. A file of another name is another release.
    """
    name = release_name(table.path)
    done = select(ImportBatch.source, ImportBatch.path).where(ImportBatch.kind == "ctdc", ImportBatch.status == "done")
    same = session.execute(done.where(ImportBatch.sha256 == table.sha256).order_by(ImportBatch.id.desc())).first()
    if same is not None:
        return str(same[0])
    for source, path in session.execute(done.order_by(ImportBatch.id.desc())):
        if release_name(Path(path)) == name:
            return str(source)
    return f"ctdc-{name}"[:80]


@dataclass
class RowIdentities:
    """Which record each row of a CTDC file is (`row_identities`)."""

    #: row number -> record id, for every row of a file of a release already stored (else: none, and a
    #: row's record id is the source key and its number, `CtdcMapper.record_id`)
    ids: dict[int, str] = field(default_factory=dict)
    #: rows of the release stored before that the file no longer has (their records are kept)
    not_in_file: int = 0
    #: record id -> its place among the release's rows, for the records the file adds (and, when the
    #: places between two rows ran out, for every record of the release: renumbered)
    positions: dict[str, float] = field(default_factory=dict)
    #: record ids of the release's open quarantine entries whose place the file gives to rows of their own
    #: (an unequal replaced block): one of those rows may be the entry's row corrected (see `row_identities`)
    rewritten: set[str] = field(default_factory=set)


def _place(rid: str, position: float | None) -> float:
    """A stored record's place among its release's rows: its stored position, or the number in its id."""
    if position is not None:
        return position
    try:
        return float(rid.rsplit(":", 1)[1].split("@", 1)[0])
    except (IndexError, ValueError):
        return math.inf


def _file_digests(table: Table, key: bytes) -> tuple[list[int], list[str | None], list[str | None]]:
    """Each row's number and content digest (`prepare.RowDigest`, as the pipeline stores it), and its
    digest of the former definition (`prepare.file_order_hashes`), in file order; None for an
    unreadable row."""
    rows: list[tuple[int, str | None, str | None]] = []
    for b in batches(table):
        fields = list(b.raw_fields())
        got: list[tuple[int, str | None, str | None]] = list(
            zip(b.numbers, RowDigest(b.columns, key).many(fields), file_order_hashes(fields, key), strict=True)
        )
        if b.bad:
            got = sorted(got + [(r.number, None, None) for r in b.bad], key=lambda t: t[0])
        rows += got
    return [n for n, _, _ in rows], [d for _, d, _ in rows], [f for _, _, f in rows]


def row_identities(session: Session, source: str, table: Table, key: bytes, batch_id: int) -> RowIdentities:
    """The record of each row of a file of a release: the one place that decides a CTDC row's identity.

    A release not stored yet: each row is a new record, its id the source key and the row's number.
    A release stored before: the file's rows are aligned with the release's rows by content digest, in
    the release's order (``alignment.align``): a row equal to a stored one, or paired with exactly one
    in a block replaced in place, is that record; any other row is a new record, with the id of its
    number if no stored record or open entry has it, else that id with ``@`` and this import's batch
    id. A new record's place lies between its neighbours' (``source_position``), so a later file
    aligns in the order this one gives.

    The release's rows are its stored records and its rows still in quarantine (open entries of the
    records table, with the record id they were quarantined under): a row a corrected file aligns with
    an entry takes that entry's record id, so the pipeline loads it as that record and `settle`
    resolves the entry, wherever the file has moved the row. Without them the corrected row came in
    under a new id, its entry stayed open, and a retry of the entry inserted the row a second time.
    An entry in a replaced block of unequal sizes cannot be paired (which new row is its row corrected
    is not known), and one of the rows loaded in its place may be it: it is listed (``rewritten``) for
    the import to close. An entry the file no longer has, with nothing in its place, stays open, as a
    record the file no longer has is kept. Only records count as ``not_in_file``.

    A stored digest may be of the former definition (`prepare.file_order_hashes`, stores imported
    before the digest read columns by name): it is read as the current digest of the file's row whose
    former digest it equals. Remaking the stored digests in a migration is not possible (the store
    keeps a record's values as loaded, not its row as the file gave it), and the two definitions
    cannot meet by chance (BLAKE2b personalised apart); the pipeline then stores the current digest
    of every row it meets again unchanged."""
    q = select(CaseRecord.source_record_id, CaseRecord.row_hash, CaseRecord.source_position).where(
        CaseRecord.source == source
    )
    records = [(_place(rid, pos), rid, h, True) for rid, h, pos in session.execute(q)]
    taken = {rid for _, rid, _, _ in records}
    eq = select(QuarantineRow.record_id, QuarantineRow.row_hash, QuarantineRow.source_position).where(
        QuarantineRow.status == "open",
        QuarantineRow.kind == "ctdc",
        QuarantineRow.table_name == "records",
        QuarantineRow.source == source,
        QuarantineRow.record_id.is_not(None),
    )
    entries: dict[str, tuple[float, str, str | None, bool]] = {}
    for rid, h, pos in session.execute(eq.order_by(QuarantineRow.id)):
        if rid not in taken:  # an entry of a stored record's row is that record's (the newest entry of an id)
            entries[rid] = (_place(rid, pos), rid, h, False)
    stored = sorted([*records, *entries.values()], key=lambda t: t[:2])
    if not stored:
        return RowIdentities()
    taken |= set(entries)
    numbers, digests, former = _file_digests(table, key)
    current = {f: d for d, f in zip(digests, former, strict=True) if f is not None}
    al = align([current.get(h, h) if h is not None else None for _, _, h, _ in stored], digests)
    out = RowIdentities(not_in_file=sum(1 for i in al.kept if stored[i][3]))
    # the release's rows in their new order: ("old", stored index) and ("new", file index)
    merged: list[tuple[str, int]] = []
    for tag, i1, i2, j1, j2 in al.opcodes:
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            merged += [("old", i) for i in range(i1, i2)]
        else:
            merged += [("old", i) for i in range(i1, i2)] + [("new", j) for j in range(j1, j2)]
            if tag == "replace":
                out.rewritten.update(stored[i][1] for i in range(i1, i2) if not stored[i][3])
    for j, number in enumerate(numbers):
        o = al.old_of[j]
        if o is not None:
            out.ids[number] = stored[o][1]
        else:
            rid = f"{source}:{number}"
            out.ids[number] = rid if rid not in taken else f"{source}:{number}@{batch_id}"
    out.positions = _positions(
        merged, [p for p, _, _, _ in stored], [out.ids[n] for n in numbers], [rid for _, rid, _, _ in stored]
    )
    return out


def _positions(
    merged: list[tuple[str, int]], old_places: list[float], new_ids: list[str], old_ids: list[str]
) -> dict[str, float]:
    """Places for the new rows between their stored neighbours' places; when two neighbours leave no
    room (or their places are not in order), every row of the release is renumbered 1, 2, ..."""
    out: dict[str, float] = {}
    k = 0
    lo = -math.inf
    while k < len(merged):
        if merged[k][0] == "old":
            lo = old_places[merged[k][1]]
            k += 1
            continue
        run = k
        while k < len(merged) and merged[k][0] == "new":
            k += 1
        hi = old_places[merged[k][1]] if k < len(merged) else math.inf
        n = k - run
        if math.isinf(lo) and math.isinf(hi):
            places = [float(t + 1) for t in range(n)]
        elif math.isinf(lo):
            places = [hi - n + t for t in range(n)]
        elif math.isinf(hi):
            places = [lo + 1 + t for t in range(n)]
        else:
            places = [lo + (hi - lo) * (t + 1) / (n + 1) for t in range(n)]
        if not all(a < b for a, b in zip([lo, *places], [*places, hi], strict=True)):
            return {(old_ids[i] if tag == "old" else new_ids[i]): float(p + 1) for p, (tag, i) in enumerate(merged)}
        out.update((new_ids[merged[run + t][1]], places[t]) for t in range(n))
    return out


def _store_positions(session: Session, source: str, positions: dict[str, float]) -> None:
    """Store the places of the release's rows: records, and rows in quarantine (`QuarantineRow.source_position`)."""
    if not positions:
        return
    values = [{"rid": r, "pos": p} for r, p in positions.items()]
    t = CaseRecord.__table__
    stmt = (
        t.update()
        .where(t.c.source == source, t.c.source_record_id == bindparam("rid"))
        .values(source_position=bindparam("pos"))
    )
    session.execute(stmt, values)
    qt = QuarantineRow.__table__
    where = (qt.c.source == source, qt.c.kind == "ctdc", qt.c.table_name == "records", qt.c.status == "open")
    quarantined = {r for (r,) in session.execute(select(qt.c.record_id).where(*where))}
    values = [v for v in values if v["rid"] in quarantined]  # record_id has no index: no update per record
    if values:
        stmt = qt.update().where(*where, qt.c.record_id == bindparam("rid")).values(source_position=bindparam("pos"))
        session.execute(stmt, values)


def _close_rewritten(session: Session, source: str, rids: set[str], batch_id: int, log: QuarantineLog) -> int:
    """Supersede the open entries (a record's and its companion rows') of rows whose place this file gave
    to rows it loads as new records (`RowIdentities.rewritten`), unless this import met the row again as
    it is: one of those rows may be the entry's row corrected, and a retry of the entry would add it a
    second time. The entry keeps its values, and the import's audit entry counts it."""
    if not rids:
        return 0
    q = select(QuarantineRow).where(
        QuarantineRow.status == "open",
        QuarantineRow.kind == "ctdc",
        QuarantineRow.source == source,
        QuarantineRow.batch_id != batch_id,
        QuarantineRow.record_id.in_(sorted(rids)),
    )
    now = utcnow()
    n = 0
    for e in session.execute(q).scalars():
        if (e.table_name, e.row_hash) not in log.hashes:
            e.status, e.resolved_at = "superseded", now
            n += 1
    session.flush()
    return n


def import_ctdc(
    path: Path | str,
    *,
    actor: str = "cli",
    encoding: str = "utf-8-sig",
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> ImportResult:
    table = open_table(Path(path), encoding=encoding)
    release = detect_release(table.columns)
    result = ImportResult(kind="ctdc", path=str(path), release=release.label, notices=list(table.notices))
    if on_total:
        on_total(_count_rows(table))
    keys = keyring()
    eng = db.upgrade()
    with db.session_scope(eng) as session:
        source = release_source(session, table)
        batch = start_batch(session, kind="ctdc", source=source, table=table, actor=actor, release=release.label)
        rows = row_identities(session, source, open_table(Path(path), encoding=encoding), keys.digest_key, batch.id)
        result.not_in_file = rows.not_in_file
        mapper = CtdcMapper(release, source, rows.ids)
        log = QuarantineLog(batch.id)
        writer = BackgroundWriter()
        try:
            pipe = Pipeline(
                session,
                keys,
                batch.id,
                mapper,
                result,
                WriterSink(session, writer, log),
                progress,
                db=writer.call,
                watch=open_record_ids(session, "ctdc"),
            )
            pipe.records(batches(table))
            tables = ["records"]
            if release.format == VICTIM_PERPETRATOR:
                pipe.progress = None  # the progress total counts the victims
                again = open_table(Path(path), encoding=encoding)
                pipe.companion("perpetrators", (perpetrator_batch(mapper, b) for b in batches(again)))
                tables.append("perpetrators")
        finally:
            writer.close()
        _store_positions(session, source, rows.positions)
        _say_records_not_in_file(session, result, source, set(pipe.case_ids.values()))
        closed = _close_rewritten(session, source, rows.rewritten - set(pipe.case_ids), batch.id, log)
        result.resolved = closed + settle(
            session,
            kind="ctdc",
            batch_id=batch.id,
            tables=tables,
            log=log,
            loaded=pipe.watched_loaded(),
            watched_in=pipe.watched_in,
        )
        quarantine_notices(result, log)
        finish_batch(session, batch, result, actor, sorted(pipe.new_ids | pipe.updated_ids))
    return result


def _say_records_not_in_file(session: Session, result: ImportResult, source: str, met: set[int]) -> None:
    """Records of the release imported before that this file did not load (a row the file no longer has,
    or one quarantined now) stay as they were: said, so that nothing goes missing, or stays, unnoticed."""
    if result.not_in_file:
        result.notices.append(
            f"{result.not_in_file} row(s) of this release imported before are not in this "
            "file: their records are kept as they were"
        )
    stored = session.execute(select(func.count()).select_from(CaseRecord).where(CaseRecord.source == source)).scalar()
    left = int(stored or 0) - len(met) - result.not_in_file
    if left > 0:
        result.notices.append(
            f"{left} record(s) of this release imported before were not loaded from this file "
            "(their rows quarantined): kept as they were"
        )

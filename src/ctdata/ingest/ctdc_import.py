"""`ctdata import ctdc`: a public CTDC release into the case store.

Records of a public release have no office and sometimes no year; they are
stored as instances of assistance with ``source_kind='public_release'`` (which
counts as consented for research, being already public). A release has no record
ids of its own: a record is a row of its release, so its id is the release's source
key and the row's number, and the release is known by the file's name
(`release_source`). Importing the same file twice changes nothing; a corrected file
of the release (same name, some rows changed) updates those records, audited and
counted as updated, instead of adding the release again beside itself. The rows go
through the import pipeline with CTDC's column map as the mapper. The victim-perpetrator
release adds one grouped perpetrator row per victim, loaded as the companion table
``perpetrators`` of the same pipeline (docs/ctdc_victim_perpetrator.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ctdata.ingest.columns import batches
from ctdata.ingest.ctdc import VICTIM_PERPETRATOR, detect_release
from ctdata.ingest.mappers import CtdcMapper, perpetrator_batch
from ctdata.ingest.pipeline import Pipeline, open_record_ids, settle
from ctdata.ingest.readers import Table, open_table
from ctdata.ingest.result import ImportResult, finish_batch, quarantine_notices, start_batch
from ctdata.ingest.sinks import QuarantineLog, WriterSink
from ctdata.ingest.standard_import import _count_rows
from ctdata.ingest.writer import BackgroundWriter
from ctdata.store import db
from ctdata.store.crypto import keyring
from ctdata.store.models import CaseRecord, ImportBatch

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
        log = QuarantineLog(batch.id)
        writer = BackgroundWriter()
        try:
            pipe = Pipeline(
                session,
                keys,
                batch.id,
                CtdcMapper(release, source),
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
                pipe.companion("perpetrators", (perpetrator_batch(release, source, b) for b in batches(again)))
                tables.append("perpetrators")
        finally:
            writer.close()
        _say_records_not_in_file(session, result, source, set(pipe.case_ids.values()))
        result.resolved = settle(
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
    """Records of the release imported before that this file did not load (a row left out, or quarantined
    now) stay as they were: said, so that nothing goes missing, or stays, unnoticed."""
    stored = session.execute(select(func.count()).select_from(CaseRecord).where(CaseRecord.source == source)).scalar()
    left = int(stored or 0) - len(met)
    if left > 0:
        result.notices.append(f"{left} record(s) of this release imported before were not loaded from this file "
                              "(left out or quarantined): kept as they were")

"""`ctdata import ctdc`: a public CTDC release into the case store.

Records of a public release have no office and sometimes no year; they are
stored as instances of assistance with ``source_kind='public_release'`` (which
counts as consented for research, being already public). The source key is the
file's digest, so importing the same file twice changes nothing. The rows go
through the import pipeline with CTDC's column map as the mapper. The victim-perpetrator
release adds one grouped perpetrator row per victim, loaded as the companion table
``perpetrators`` of the same pipeline (docs/ctdc_victim_perpetrator.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ctdata.ingest.columns import batches
from ctdata.ingest.ctdc import VICTIM_PERPETRATOR, detect_release
from ctdata.ingest.mappers import CtdcMapper, perpetrator_batch
from ctdata.ingest.pipeline import Pipeline, open_record_ids, settle
from ctdata.ingest.readers import open_table
from ctdata.ingest.result import ImportResult, finish_batch, quarantine_notices, start_batch
from ctdata.ingest.sinks import QuarantineLog, WriterSink
from ctdata.ingest.standard_import import _count_rows
from ctdata.ingest.writer import BackgroundWriter
from ctdata.store import db
from ctdata.store.crypto import keyring


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
    source = f"ctdc-{table.sha256[:12]}"
    result = ImportResult(kind="ctdc", path=str(path), release=release.label, notices=list(table.notices))
    if on_total:
        on_total(_count_rows(table))
    keys = keyring()
    eng = db.upgrade()
    with db.session_scope(eng) as session:
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
        finish_batch(session, batch, result, actor, sorted(pipe.new_ids))
    return result

"""`ctdata import standard`: the project's own template (CSV folder or XLSX workbook).

A partner sends records.csv (one row per case record) and, optionally,
journey_legs.csv, assistance.csv, returns.csv and perpetrators.csv beside it, or one workbook
with sheets of those names. Companion rows hang off records by record_id.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ctdata.errors import FileFormatError
from ctdata.ingest import parallel
from ctdata.ingest.columns import batches
from ctdata.ingest.mappers import TemplateMapper
from ctdata.ingest.pipeline import COMPANIONS, Pipeline, open_record_ids, settle
from ctdata.ingest.readers import Table, open_table, sniff
from ctdata.ingest.result import ImportResult, finish_batch, quarantine_notices, require_columns, start_batch
from ctdata.ingest.sinks import QuarantineLog, WriterSink
from ctdata.ingest.writer import BackgroundWriter
from ctdata.standard.template import TABLES
from ctdata.store import db
from ctdata.store.bulk import bulk_load, deferred_foreign_keys
from ctdata.store.crypto import keyring
from ctdata.store.models import Assistance, CaseRecord, JourneyLeg, Perpetrator, Person, QuarantineRow, ReturnRecord

REQUIRED = [c.name for c in TABLES["records"] if c.required]


def _companion_paths(path: Path) -> tuple[Path, dict[str, tuple[Path, str | None]]]:
    """Where the records and their companion tables are, for a folder, a CSV or a workbook."""
    if path.is_dir():
        records = path / "records.csv"
        if not records.exists():
            raise FileFormatError(f"{path}: folder has no records.csv")
        folder = path
    else:
        records, folder = path, path.parent
        if path.exists() and sniff(path) == "xlsx":
            import openpyxl

            try:
                wb = openpyxl.load_workbook(path, read_only=True)
                sheets = wb.sheetnames
                wb.close()
            except Exception as exc:  # noqa: BLE001 - any unreadable workbook is a format error
                raise FileFormatError(f"{path.name}: not a readable Excel workbook ({exc})") from None
            return path, {t: (path, t) for t in COMPANIONS if t in sheets}
        if path.name != "records.csv":
            return records, {}
    found = {}
    for t in COMPANIONS:
        p = folder / f"{t}.csv"
        if p.exists():
            found[t] = (p, None)
    return records, found


def import_standard(
    path: Path | str,
    *,
    actor: str = "cli",
    encoding: str = "utf-8-sig",
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> ImportResult:
    path = Path(path)
    records_path, companions = _companion_paths(path)
    sheet = "records" if sniff(records_path) == "xlsx" else None
    try:
        table = open_table(records_path, encoding=encoding, sheet=sheet)
    except FileFormatError as exc:
        if sheet and "has no sheet" in str(exc):
            table = open_table(records_path, encoding=encoding)
        else:
            raise
    require_columns(table, REQUIRED, "the standard template (see `ctdata standard template`)")
    result = ImportResult(kind="standard", path=str(path), notices=list(table.notices))
    unknown = [c for c in table.columns if c not in {col.name for col in TABLES["records"]}]
    if unknown:
        result.notices.append(f"ignored columns not in the template: {', '.join(unknown[:10])}")
    expected = _count_rows(table)
    if on_total:
        on_total(expected)
    keys = keyring()
    eng = db.upgrade()
    if eng.dialect.name == "sqlite" and parallel.ENABLED and expected >= parallel.MIN_ROWS:
        with deferred_foreign_keys(eng, _CHECKED) as session:
            _load(session, table, companions, keys, encoding, expected, actor, result, progress)
        return result
    with db.session_scope(eng) as session:
        _load(session, table, companions, keys, encoding, expected, actor, result, progress)
    return result


#: tables whose foreign keys a deferred-check load verifies before it commits
_CHECKED = tuple(
    m.__tablename__ for m in (Person, CaseRecord, JourneyLeg, Assistance, ReturnRecord, Perpetrator, QuarantineRow)
)


def _load(
    session: Session,
    table: Table,
    companions: dict[str, tuple[Path, str | None]],
    keys: Any,
    encoding: str,
    expected: int,
    actor: str,
    result: ImportResult,
    progress: Callable[[int], None] | None,
) -> None:
    batch = start_batch(session, kind="standard", source="standard", table=table, actor=actor)
    log = QuarantineLog(batch.id)
    watch = open_record_ids(session, "standard")
    with bulk_load(session, expected, tables=("persons", "case_records")):
        if parallel.usable(session, table, expected):
            new_ids, loaded, watched_in = parallel.run(
                session, keys, batch.id, result, table, companions, encoding, progress, log, watch
            )
        else:
            writer = BackgroundWriter()
            try:
                pipe = Pipeline(
                    session, keys, batch.id, TemplateMapper(), result, WriterSink(session, writer, log), progress,
                    db=writer.call, watch=watch,
                )
                pipe.records(batches(table))
                pipe.progress = None  # the progress total counts the records
                for name, (cpath, csheet) in companions.items():
                    pipe.companion(name, batches(open_companion(name, cpath, encoding, csheet)))
            finally:
                writer.close()
            new_ids = sorted(pipe.new_ids | pipe.updated_ids)
            loaded, watched_in = pipe.watched_loaded(), pipe.watched_in
    result.resolved = settle(
        session, kind="standard", batch_id=batch.id, tables=["records", *companions], log=log, loaded=loaded,
        watched_in=watched_in,
    )
    quarantine_notices(result, log)
    finish_batch(session, batch, result, actor, new_ids)


def open_companion(name: str, path: Path, encoding: str, sheet: str | None) -> Table:
    table = open_table(path, encoding=encoding, sheet=sheet)
    require_columns(table, [c.name for c in TABLES[name] if c.required], f"the {name} table")
    return table


def _count_rows(table: Table) -> int:
    if table.kind == "xlsx":
        return 0
    import gzip

    opener = gzip.open if table.kind == "csv.gz" else open
    # Counted in large blocks at C speed (a line-by-line count of a 1M-row file costs ~1.5 s before
    # any work starts); the same count as iterating the lines: a last line without '\n' counts too.
    lines, last = 0, b"\n"
    with opener(table.path, "rb") as fh:  # type: ignore[operator]
        for block in iter(lambda: fh.read(1 << 24), b""):
            lines += block.count(b"\n")
            last = block[-1:]
    return max(lines + (last != b"\n") - 1, 0)

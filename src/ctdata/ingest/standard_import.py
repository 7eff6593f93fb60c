"""`ctdata import standard`: the project's own template (CSV folder or XLSX workbook).

A partner sends records.csv (one row per case record) and, optionally,
journey_legs.csv, assistance.csv and returns.csv beside it, or one workbook
with sheets of those names. Companion rows hang off records by record_id.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ctdata.errors import FileFormatError
from ctdata.ingest import parallel
from ctdata.ingest.bulk import ColumnRecordLoader, CompanionLoader, WriterSink
from ctdata.ingest.columns import batches
from ctdata.ingest.loader import ImportResult, RecordLoader, finish_batch, require_columns, start_batch
from ctdata.ingest.readers import RawRow, Table, open_table, sniff
from ctdata.ingest.validate import TableValidator
from ctdata.ingest.writer import BackgroundWriter
from ctdata.standard.template import TABLES
from ctdata.store import db
from ctdata.store.bulk import bulk_load, deferred_foreign_keys
from ctdata.store.crypto import keyring
from ctdata.store.models import Assistance, CaseRecord, JourneyLeg, Person, QuarantineRow, ReturnRecord

COMPANIONS: dict[str, type] = {"journey_legs": JourneyLeg, "assistance": Assistance, "returns": ReturnRecord}
REQUIRED = [c.name for c in TABLES["records"] if c.required]


def _validator(table: str) -> Callable[[RawRow], dict[str, Any]]:
    return TableValidator(table).raw_row


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
_CHECKED = tuple(m.__tablename__ for m in (Person, CaseRecord, JourneyLeg, Assistance, ReturnRecord, QuarantineRow))


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
    with bulk_load(session, expected, tables=("persons", "case_records")):
        if parallel.usable(session, table, expected):
            new_ids = parallel.run(session, keys, batch.id, result, table, companions, encoding, progress)
        else:
            validator = TableValidator("records")
            loader = ColumnRecordLoader(
                session,
                keys,
                batch,
                "standard",
                "case",
                validator.raw_row,
                lambda r: str(r["agency"]),
                result,
                progress,
                validator=validator,
            )
            loader.run_batches(batches(table))
            for name, (cpath, csheet) in companions.items():
                ctable = open_table(cpath, encoding=encoding, sheet=csheet)
                _load_companion(session, keys, batch.id, name, ctable, loader, result)
            new_ids = sorted(loader.new_ids)
    finish_batch(session, batch, result, actor, new_ids)


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


def _load_companion(
    session: Session, keys: Any, batch_id: int, name: str, table: Table, loader: RecordLoader, result: ImportResult
) -> None:
    require_columns(table, [c.name for c in TABLES[name] if c.required], f"the {name} table")
    stats = {"rows_read": 0, "loaded": 0, "quarantined": 0, "already_present": 0}
    result.tables[name] = stats
    companion = CompanionLoader(session, keys, batch_id, name, COMPANIONS[name], loader, stats, TableValidator(name))
    writer = BackgroundWriter()
    try:
        companion.run(batches(table), WriterSink(session, writer))
    finally:
        writer.close()


def retry_row(session: Session, table_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate a quarantined standard row again (after corrections); returns the clean row."""
    return _validator(table_name)(RawRow(0, values))

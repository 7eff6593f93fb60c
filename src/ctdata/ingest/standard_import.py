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

from ctdata.errors import CtdataError, FileFormatError
from ctdata.ingest.loader import (
    ImportResult,
    RecordLoader,
    bulk_insert,
    chunks,
    finish_batch,
    quarantine,
    require_columns,
    start_batch,
)
from ctdata.ingest.readers import RawRow, Table, open_table, sniff
from ctdata.ingest.validate import TableValidator
from ctdata.standard.template import TABLES
from ctdata.store import db
from ctdata.store.crypto import keyring
from ctdata.store.models import Assistance, JourneyLeg, ReturnRecord

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


def import_standard(path: Path | str, *, actor: str = "cli", encoding: str = "utf-8-sig",
                    progress: Callable[[int], None] | None = None,
                    on_total: Callable[[int], None] | None = None) -> ImportResult:
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
    if on_total:
        on_total(_count_rows(table))
    keys = keyring()
    eng = db.upgrade()
    with db.session_scope(eng) as session:
        batch = start_batch(session, kind="standard", source="standard", table=table, actor=actor)
        validator = TableValidator("records")
        loader = RecordLoader(session, keys, batch, "standard", "case", validator.raw_row,
                              lambda r: str(r["agency"]), result, progress, validator.rows)
        loader.run(table.rows)
        for name, (cpath, csheet) in companions.items():
            ctable = open_table(cpath, encoding=encoding, sheet=csheet)
            _load_companion(session, keys, batch.id, name, ctable, loader, result)
        finish_batch(session, batch, result, actor, sorted(loader.new_ids))
    return result


def _count_rows(table: Table) -> int:
    if table.kind == "xlsx":
        return 0
    import gzip

    opener = gzip.open if table.kind == "csv.gz" else open
    with opener(table.path, "rb") as fh:  # type: ignore[operator]
        return max(sum(1 for _ in fh) - 1, 0)


def _load_companion(session: Session, keys: Any, batch_id: int, name: str, table: Table,
                    loader: RecordLoader, result: ImportResult) -> None:
    require_columns(table, [c.name for c in TABLES[name] if c.required], f"the {name} table")
    validator = TableValidator(name)
    model = COMPANIONS[name]
    stats = {"rows_read": 0, "loaded": 0, "quarantined": 0, "already_present": 0}
    result.tables[name] = stats
    known_cols = {c.name for c in model.__table__.columns}
    existing_legs: set[tuple[int, int]] = set()
    for chunk in chunks(table.rows):
        rows: list[dict[str, Any]] = []
        readable = [r for r in chunk if not r.error]
        checked = iter(validator.rows(readable))
        for raw in chunk:
            stats["rows_read"] += 1
            reason = raw.error
            row: dict[str, Any] | None = None
            if reason is None:
                got = next(checked)
                if isinstance(got, str):
                    reason = got
                else:
                    row = got
            if row is not None:
                cid = loader.case_ids.get(str(row["record_id"]))
                if cid is None:
                    reason = f"record_id: no case record {row['record_id']!r} in this import"
            if reason is not None:
                stats["quarantined"] += 1
                quarantine(session, keys, batch_id, "standard", raw, reason, table_name=name)
                continue
            assert row is not None and cid is not None
            stats["loaded"] += 1
            if cid not in loader.new_ids:
                stats["already_present"] += 1
                continue
            values = {k: v for k, v in row.items() if k in known_cols and k != "id"}
            values["case_id"] = cid
            if name == "journey_legs":
                if (cid, values["leg_number"]) in existing_legs:
                    stats["loaded"] -= 1
                    stats["quarantined"] += 1
                    quarantine(session, keys, batch_id, "standard", raw,
                               f"leg_number: leg {values['leg_number']} of {row['record_id']!r} appears twice",
                               table_name=name)
                    continue
                existing_legs.add((cid, values["leg_number"]))
            if name == "assistance" and values.get("reintegration") is None:
                values["reintegration"] = False
            rows.append(values)
        if rows:
            bulk_insert(session, model, rows)
    if stats["rows_read"] != stats["loaded"] + stats["quarantined"]:
        raise CtdataError(f"internal reconciliation failed for {name}")


def retry_row(session: Session, table_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate a quarantined standard row again (after corrections); returns the clean row."""
    return _validator(table_name)(RawRow(0, values))

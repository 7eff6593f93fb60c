"""The summary of one import, and the import batch row that records it (start, finish, audit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pydantic
from sqlalchemy.orm import Session

from ctdata.cases.agencies import register_imported
from ctdata.errors import CtdataError, FileFormatError, pydantic_problem
from ctdata.ingest.readers import Table
from ctdata.store import audit
from ctdata.store.models import ImportBatch, utcnow
from ctdata.text import Text

#: the categories every row falls in (companion tables too): loaded = new + changed + present
CATEGORIES = ("inserted", "updated", "already_present", "quarantined")


def table_stats() -> dict[str, int]:
    return {"rows_read": 0, "loaded": 0, "inserted": 0, "updated": 0, "already_present": 0, "quarantined": 0}


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
    #: rows of the source imported before that this file no longer has (their records kept; a CTDC release)
    not_in_file: int = 0
    #: open quarantine entries this import resolved (their rows loaded) or superseded
    resolved: int = 0
    batch_id: int | None = None
    release: str | None = None
    notices: list[str] = field(default_factory=list)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    #: agency codes of the rows loaded (filled by the prepare stage)
    agencies: set[str] = field(default_factory=set)
    #: those the agency registry did not hold: this import registered them
    agencies_registered: list[str] = field(default_factory=list)

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
            "not_in_file": self.not_in_file,
            "quarantine_resolved": self.resolved,
            "batch_id": self.batch_id,
            "release": self.release,
            "notices": self.notices,
            "tables": self.tables,
            "agencies_registered": self.agencies_registered,
            "top_reasons": dict(sorted(self.reasons.items(), key=lambda kv: -kv[1])[:10]),
        }

    def reconcile(self) -> None:
        """Every row read is new, changed, present or quarantined, in every table; else nothing is kept."""
        tables = {"records": {k: getattr(self, k) for k in ("rows_read", "loaded", *CATEGORIES)}, **self.tables}
        for name, t in tables.items():
            if t["rows_read"] != sum(t[k] for k in CATEGORIES) or t["loaded"] != t["rows_read"] - t["quarantined"]:
                raise CtdataError(
                    f"internal reconciliation failed for {name}: read {t['rows_read']}, "
                    + ", ".join(f"{k} {t[k]}" for k in CATEGORIES)
                    + "; nothing was imported"
                )


def reason_of(exc: Exception) -> str:
    """One readable line from a validation failure (pydantic or ours)."""
    if isinstance(exc, pydantic.ValidationError):
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(p) for p in err.get("loc", ())) or "row"
            parts.append(f"{loc}: {pydantic_problem(err)}")
        more = len(exc.errors()) - 5
        return "; ".join(parts + ([Text("and {count} more", count=more)] if more > 0 else []))
    return str(exc)


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


def register_agencies(session: Session, result: ImportResult, actor: str, batch_id: int | None) -> list[str]:
    """Register the agencies of the rows an import loaded that the registry lacks (the import introduces them)."""
    new = register_imported(session, actor, result.agencies, batch_id)
    result.agencies_registered = sorted({*result.agencies_registered, *new})
    if new:
        result.notices.append(f"agencies registered by this import: {', '.join(new)}")
    return new


def finish_batch(
    session: Session, batch: ImportBatch, result: ImportResult, actor: str, affected_ids: list[int]
) -> None:
    result.reconcile()
    register_agencies(session, result, actor, batch.id)
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
            "not_in_file": result.not_in_file,
            "quarantine_resolved": result.resolved,
            "tables": result.tables,
            "agencies_registered": result.agencies_registered,
            "affected_ids_digest": audit.digest_ids(affected_ids),
        },
    )


def quarantine_notices(result: ImportResult, log: Any) -> None:
    """Say what happened in quarantine beyond the counts (``log`` is the import's `sinks.QuarantineLog`)."""
    if log.kept_open:
        result.notices.append(
            f"{log.kept_open} quarantined row(s) were already in quarantine from an earlier import "
            "(their open entries are kept, not repeated)"
        )
    if result.resolved:
        result.notices.append(f"{result.resolved} open quarantine entr(ies) of earlier imports settled by this file")


def require_columns(table: Table, required: list[str], what: str) -> None:
    present = set(table.columns)
    missing = [c for c in required if c not in present]
    if missing:
        raise FileFormatError(
            f"{table.path.name}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} for {what}"
        )

"""Review and retry of quarantined rows.

A rejected row keeps its original values (encrypted, since they may hold
names), its reason and its identity (source, record id, content digest). A data
manager can read it, correct fields and retry: a row that now passes goes
through the same import pipeline as a file's rows, is loaded into the store and
marked resolved (a record takes its quarantined companion rows with it), in one
transaction with an audit entry.

Who may see a quarantined row (`visible_to`, used by the web pages through
`rows_for`, `show_for` and `retry_for`): data managers and admins; a data manager of
one agency only the rows that name that agency (a row naming no agency, such as a
CTDC row, only to those of no single agency), as they see only that agency's cases.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdata.cases.access import Actor
from ctdata.errors import CtdataError, NotFound, PermissionDenied
from ctdata.ingest.columns import ColumnBatch
from ctdata.ingest.ctdc import detect_release
from ctdata.ingest.mappers import CtdcMapper, FormMapper, Mapper, TemplateMapper
from ctdata.ingest.pipeline import PARENT_QUARANTINED, Pipeline
from ctdata.ingest.result import ImportResult, reason_of, register_agencies
from ctdata.ingest.sinks import DirectSink
from ctdata.standard.types import agency_code
from ctdata.store import audit, db
from ctdata.store.crypto import KeyRing, keyring
from ctdata.store.models import CaseRecord, ImportBatch, QuarantineRow, utcnow
from ctdata.text import Text


def list_rows(status: str = "open", limit: int = 50) -> list[dict[str, Any]]:
    with db.session_scope() as s:
        q = select(QuarantineRow).order_by(QuarantineRow.id)
        if status != "all":
            q = q.where(QuarantineRow.status == status)
        rows = s.execute(q.limit(limit)).scalars().all()
        return [{"id": r.id, "batch_id": r.batch_id, "table": r.table_name, "row_number": r.row_number,
                 "status": r.status, "reason": r.reason} for r in rows]


def _values(r: QuarantineRow) -> dict[str, Any]:
    return json.loads(keyring().decrypt(r.raw_enc, "quarantine") or "{}")


def show_row(qid: int, actor: str = "cli") -> dict[str, Any]:
    with db.session_scope() as s:
        r = s.get(QuarantineRow, qid)
        if r is None:
            raise NotFound(f"no quarantined row {qid}")
        audit.record(s, actor=actor, action="read", entity="quarantine", entity_id=qid)
        return {"id": r.id, "batch_id": r.batch_id, "table": r.table_name, "row_number": r.row_number,
                "status": r.status, "reason": r.reason, "values": _values(r)}


def _one_row(values: dict[str, Any], number: int) -> ColumnBatch:
    columns = list(values)
    return ColumnBatch(columns, [number], [["" if values[c] is None else str(values[c])] for c in columns])


def _retry_record(
    s: Session,
    keys: KeyRing,
    r: QuarantineRow,
    batch: ImportBatch,
    fixes: dict[str, str],
    actor: str = "cli",
    registered: list[str] | None = None,
) -> Any:
    """Run a quarantined record row (with corrections) through the pipeline; its case id, or its reason.

    The row keeps the identity it was quarantined with (source and record id as the file gave them),
    so a later import of the same file finds this record whatever the corrections changed. An agency
    the row is loaded under that the registry lacks is registered (and appended to ``registered``)."""
    if registered is None:
        registered = []
    values = {**_values(r), **fixes}
    mapper: Mapper
    if r.kind == "ctdc":
        ids = {r.row_number: r.record_id} if r.record_id else {}  # the id alignment gave the row
        mapper = CtdcMapper(detect_release(list(values)), batch.source, ids)
    elif r.kind in ("odk", "kobo"):
        mapper = FormMapper(kind=r.kind)
    else:
        mapper = TemplateMapper(source=r.source)
    sink = DirectSink(s)
    result = ImportResult(kind=r.kind, path=batch.path)
    pipe = Pipeline(s, keys, batch.id, mapper, result, sink)
    pipe.records([_one_row(values, r.row_number)])
    if sink.rejected:
        return sink.rejected[0]["reason"]
    registered.extend(register_agencies(s, result, actor, batch.id))
    (case_id,) = pipe.case_ids.values()
    return case_id


def _retry_companion(s: Session, keys: KeyRing, r: QuarantineRow, batch: ImportBatch, fixes: dict[str, str]) -> Any:
    """A quarantined companion row loads once its record is in the store; True, or its reason."""
    q = select(CaseRecord.id).where(CaseRecord.source_record_id == r.record_id)
    if r.source is not None:
        q = q.where(CaseRecord.source == r.source)
    parents = s.execute(q.where(CaseRecord.source_kind == "case")).scalars().all()
    if len(parents) != 1:
        said = Text("no case record “{record}”", record=r.record_id)
        return r.reason if r.reason.startswith(PARENT_QUARANTINED) else f"record_id: {said}"
    sink = DirectSink(s)
    pipe = Pipeline(s, keys, batch.id, TemplateMapper(r.table_name), ImportResult(kind=r.kind, path=batch.path), sink)
    pipe.case_ids[r.record_id] = parents[0]  # type: ignore[index]
    pipe.companion(r.table_name, [_one_row({**_values(r), **fixes}, r.row_number)])
    return sink.rejected[0]["reason"] if sink.rejected else True


def retry(ids: list[int] | None, fixes: dict[str, str], actor: str = "cli") -> dict[str, Any]:
    """Re-validate quarantined rows with corrections and load the ones that pass.

    A record that loads takes its companion rows (journey legs, assistance, returns) out of
    quarantine with it when they pass; a companion row retried on its own loads once its record
    is in the store."""
    keys = keyring()
    out: dict[str, Any] = {
        "retried": 0, "loaded": 0, "companions_loaded": 0, "still_quarantined": 0, "reasons": [],
        "agencies_registered": [],
    }
    with db.session_scope() as s:
        q = select(QuarantineRow).where(QuarantineRow.status == "open")
        if ids:
            q = q.where(QuarantineRow.id.in_(ids))
            found = {r.id for r in s.execute(q).scalars()}
            missing = sorted(set(ids) - found)
            if missing:
                raise NotFound(f"no open quarantined row {', '.join(map(str, missing))}")
        rows = sorted(s.execute(q).scalars().all(), key=lambda r: (r.table_name != "records", r.id))
        loaded_ids: list[int] = []
        now = utcnow()
        for r in rows:
            if r.status != "open":  # taken out with its record earlier in this retry
                continue
            out["retried"] += 1
            batch = s.get(ImportBatch, r.batch_id)
            assert batch is not None
            try:
                if r.table_name == "records":
                    got = _retry_record(s, keys, r, batch, fixes, actor, out["agencies_registered"])
                else:
                    got = _retry_companion(s, keys, r, batch, fixes)
            except (CtdataError, ValueError) as exc:
                got = reason_of(exc)
            if isinstance(got, str):
                r.reason = got
                out["still_quarantined"] += 1
                out["reasons"].append({"id": r.id, "reason": got})
                continue
            r.status, r.resolved_at = "resolved", now
            loaded_ids.append(r.id)
            if r.table_name != "records":
                out["companions_loaded"] += 1
                continue
            batch.loaded += 1
            batch.quarantined -= 1
            out["loaded"] += 1
            kids = s.execute(
                select(QuarantineRow).where(
                    QuarantineRow.status == "open",
                    QuarantineRow.kind == r.kind,
                    QuarantineRow.table_name != "records",
                    QuarantineRow.record_id == r.record_id,
                    QuarantineRow.source.is_(None) if r.source is None else QuarantineRow.source == r.source,
                )
            ).scalars()
            for kid in kids:
                kid_batch = s.get(ImportBatch, kid.batch_id)
                assert kid_batch is not None
                if _retry_companion(s, keys, kid, kid_batch, {}) is True:
                    kid.status, kid.resolved_at = "resolved", now
                    loaded_ids.append(kid.id)
                    out["companions_loaded"] += 1
        audit.record(s, actor=actor, action="quarantine_retry", entity="quarantine", entity_id=None,
                     details={"retried": out["retried"], "loaded": out["loaded"],
                              "companions_loaded": out["companions_loaded"], "fixed_columns": sorted(fixes),
                              "ids_digest": audit.digest_ids(loaded_ids)})
    return out


#: roles that review the quarantine
REVIEWERS = ("admin", "data_manager")


def visible_to(actor: Actor, values: dict[str, Any]) -> bool:
    """Whether the actor may see a quarantined row with these values (see the module)."""
    if actor.role not in REVIEWERS:
        return False
    if actor.role == "admin" or not actor.agency:
        return True
    named = str(values.get("agency") or "").strip()
    return bool(named) and agency_code(named) == actor.agency


def _require(actor: Actor) -> None:
    if actor.role not in REVIEWERS:
        raise PermissionDenied(Text("role '{role}' may not review the quarantine", role=actor.role))


def rows_for(actor: Actor, status: str = "open", limit: int = 200) -> list[dict[str, Any]]:
    """`list_rows` for one actor: the rows they may see (`visible_to`)."""
    _require(actor)
    with db.session_scope() as s:
        q = select(QuarantineRow).order_by(QuarantineRow.id)
        if status != "all":
            q = q.where(QuarantineRow.status == status)
        out = []
        for r in s.execute(q).scalars():
            if len(out) >= limit:
                break
            if visible_to(actor, _values(r)):
                out.append({"id": r.id, "batch_id": r.batch_id, "table": r.table_name, "row_number": r.row_number,
                            "status": r.status, "reason": r.reason})
        return out


def show_for(actor: Actor, qid: int) -> dict[str, Any]:
    """`show_row` for one actor (audited read); a row they may not see is not found."""
    _require(actor)
    with db.session_scope() as s:
        r = s.get(QuarantineRow, qid) if isinstance(qid, int) and 0 < qid < 2**31 else None
        if r is None or not visible_to(actor, _values(r)):
            raise NotFound(f"no quarantined row {qid}")
    return show_row(qid, actor.username)


def retry_for(actor: Actor, qid: int, fixes: dict[str, str]) -> dict[str, Any]:
    """`retry` of one row for one actor, with corrections; the row must be visible to them."""
    show_for(actor, qid)
    return retry([qid], fixes, actor.username)

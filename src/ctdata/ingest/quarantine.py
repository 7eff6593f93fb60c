"""Review and retry of quarantined rows.

A rejected row keeps its original values (encrypted, since they may hold
names) and its reason. A data manager can read it, correct fields and retry:
a row that now passes is loaded into the store and marked resolved, in one
transaction with an audit entry.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from ctdata.errors import CtdataError, NotFound
from ctdata.ingest.ctdc import detect_release, map_row
from ctdata.ingest.loader import ImportResult, RecordLoader, reason_of
from ctdata.ingest.readers import RawRow
from ctdata.ingest.validate import TableValidator
from ctdata.store import audit, db
from ctdata.store.crypto import keyring
from ctdata.store.models import ImportBatch, QuarantineRow, utcnow


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


def retry(ids: list[int] | None, fixes: dict[str, str], actor: str = "cli") -> dict[str, Any]:
    """Re-validate quarantined record rows with corrections; load the ones that pass."""
    keys = keyring()
    out: dict[str, Any] = {"retried": 0, "loaded": 0, "still_quarantined": 0, "reasons": []}
    with db.session_scope() as s:
        q = select(QuarantineRow).where(QuarantineRow.status == "open")
        if ids:
            q = q.where(QuarantineRow.id.in_(ids))
            found = {r.id for r in s.execute(q).scalars()}
            missing = sorted(set(ids) - found)
            if missing:
                raise NotFound(f"no open quarantined row {', '.join(map(str, missing))}")
        rows = s.execute(q.order_by(QuarantineRow.id)).scalars().all()
        loaded_ids: list[int] = []
        for r in rows:
            out["retried"] += 1
            if r.table_name != "records":
                out["still_quarantined"] += 1
                out["reasons"].append({"id": r.id, "reason": "companion rows are retried by re-importing the file"})
                continue
            batch = s.get(ImportBatch, r.batch_id)
            assert batch is not None
            values = {**_values(r), **fixes}
            try:
                if r.kind == "ctdc":
                    release = detect_release(list(values))
                    validator = TableValidator("records", relax=frozenset({"office_country", "registration_date"}))
                    row = validator.row(map_row(release, values, r.row_number, batch.source))
                    source_kind, source_of = "public_release", (lambda _r, b=batch: b.source)
                else:
                    row = TableValidator("records").row(values)
                    source_kind, source_of = "case", (lambda rr: str(rr["agency"]))
            except (CtdataError, ValueError) as exc:
                r.reason = reason_of(exc)
                out["still_quarantined"] += 1
                out["reasons"].append({"id": r.id, "reason": r.reason})
                continue
            res = ImportResult(kind=r.kind, path=batch.path)
            loader = RecordLoader(s, keys, batch, r.kind, source_kind, lambda _raw, rr=row: rr, source_of, res)
            loader.run(iter([RawRow(r.row_number, values)]))
            if res.loaded != 1:
                out["still_quarantined"] += 1
                out["reasons"].append({"id": r.id, "reason": next(iter(res.reasons), "rejected")})
                continue
            r.status, r.resolved_at = "resolved", utcnow()
            batch.loaded += 1
            batch.quarantined -= 1
            out["loaded"] += 1
            loaded_ids.append(r.id)
        audit.record(s, actor=actor, action="quarantine_retry", entity="quarantine", entity_id=None,
                     details={"retried": out["retried"], "loaded": out["loaded"], "fixed_columns": sorted(fixes),
                              "ids_digest": audit.digest_ids(loaded_ids)})
    return out

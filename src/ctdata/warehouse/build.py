"""Build the de-identified Parquet snapshot of the case store.

Analytics, linkage and publication read this snapshot, never the live store,
so heavy queries never slow down caseworkers and nothing downstream can reach
a name. Case ids become keyed pseudonyms (``record_key``), dates of birth
become age bands, names and document numbers are not copied at all.

Each table is partitioned by registration year. A rebuild compares a cheap
fingerprint per year (row count, latest update, version sum) with the
manifest of the last build and rewrites only the years that changed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Text, func, select, type_coerce
from sqlalchemy.orm import Session

from ctdata.config import settings
from ctdata.standard.regions import m49_region, m49_sub_region, regional_office
from ctdata.standard.vocab import age_band
from ctdata.store import audit, db
from ctdata.store.crypto import KeyRing, keyring
from ctdata.store.models import Assistance, CaseRecord, JourneyLeg, Person, Project, ReturnRecord, Transfer

UNKNOWN_YEAR = "unknown"
TABLES = ("cases", "journey_legs", "assistance", "returns", "transfers")
SCHEMA_VERSION = 1

LIST_COLS = ("exploitation_types", "labour_sectors", "sexual_exploitation_types", "means_of_control",
             "recruiter_relation")

CASE_SCHEMA = pa.schema([
    ("record_key", pa.string()), ("person_key", pa.string()), ("source_kind", pa.string()),
    ("source", pa.string()), ("agency", pa.string()), ("office_country", pa.string()),
    ("current_office_country", pa.string()), ("data_source", pa.string()),
    ("registration_year", pa.int32()), ("registration_month", pa.int8()), ("status", pa.string()),
    ("sex", pa.string()), ("citizenship", pa.string()), ("citizenships", pa.list_(pa.string())),
    ("age_band", pa.string()), ("age_at_exploitation_band", pa.string()),
    ("child_at_registration", pa.bool_()), ("child_at_exploitation", pa.bool_()), ("child", pa.bool_()),
    ("country_of_exploitation", pa.string()), ("cross_border", pa.bool_()),
    ("regional_office", pa.string()), ("office_regional_office", pa.string()),
    ("region", pa.string()), ("sub_region", pa.string()),
    ("exploitation_types", pa.list_(pa.string())), ("labour_sectors", pa.list_(pa.string())),
    ("sexual_exploitation_types", pa.list_(pa.string())), ("means_of_control", pa.list_(pa.string())),
    ("recruiter_relation", pa.list_(pa.string())), ("consent_research", pa.bool_()),
    ("referral_from_office", pa.string()), ("closure_reason", pa.string()), ("erased", pa.bool_()),
])


def warehouse_dir() -> Path:
    return settings().warehouse_dir


def _year_key(y: int | None) -> str:
    return UNKNOWN_YEAR if y is None else str(int(y))


def _split(v: str | None) -> list[str] | None:
    if v is None:
        return None
    return v.split(";") if v else []


def fingerprints(session: Session) -> dict[str, list[Any]]:
    """Per registration year: what a rebuild of that year would depend on."""
    fp: dict[str, list[Any]] = {}
    q = select(CaseRecord.registration_year, func.count(), func.max(CaseRecord.updated_at),
               func.sum(CaseRecord.version), func.max(CaseRecord.id)).group_by(CaseRecord.registration_year)
    for y, n, upd, ver, mx in session.execute(q):
        fp[_year_key(y)] = [int(n), str(upd), int(ver or 0), int(mx or 0)]
    for model in (JourneyLeg, Assistance, ReturnRecord, Transfer):
        q = (select(CaseRecord.registration_year, func.count(), func.max(model.id))
             .join(model, model.case_id == CaseRecord.id).group_by(CaseRecord.registration_year))
        extra: dict[str, tuple[int, int]] = {}
        for y, n, mx in session.execute(q):
            extra[_year_key(y)] = (int(n), int(mx or 0))
        for k in fp:
            fp[k].extend(extra.get(k, (0, 0)))
    # returns and transfers change status in place: include their versions / decisions
    q = (select(CaseRecord.registration_year, func.sum(ReturnRecord.version))
         .join(ReturnRecord, ReturnRecord.case_id == CaseRecord.id).group_by(CaseRecord.registration_year))
    for y, v in session.execute(q):
        fp.setdefault(_year_key(y), []).append(int(v or 0))
    q = (select(CaseRecord.registration_year, func.max(Transfer.decided_at), func.count(Transfer.decided_at))
         .join(Transfer, Transfer.case_id == CaseRecord.id).group_by(CaseRecord.registration_year))
    for y, d, n in session.execute(q):
        fp.setdefault(_year_key(y), []).extend([str(d), int(n)])
    return fp


def _year_filter(col: Any, year: str) -> Any:
    return col.is_(None) if year == UNKNOWN_YEAR else col == int(year)


def _case_rows(session: Session, year: str, keys: KeyRing) -> pa.Table:
    C, P = CaseRecord, Person
    cols = [C.id, P.person_key, C.source_kind, C.source, C.agency, C.office_country, C.current_office_country,
            C.data_source, C.registration_year, C.registration_date, C.status, P.sex,
            type_coerce(P.citizenship, Text), C.age_band, C.age_at_exploitation, C.child_at_registration,
            C.child_at_exploitation, C.country_of_exploitation,
            *[type_coerce(getattr(C, c), Text) for c in LIST_COLS],
            C.consent_research, C.referral_from_office, C.closure_reason, P.erased_at]
    q = select(*cols).join(P, P.id == C.person_id).where(_year_filter(C.registration_year, year)).order_by(C.id)
    out: dict[str, list[Any]] = {f.name: [] for f in CASE_SCHEMA}
    for r in session.execute(q).yield_per(20000):
        (cid, pkey, skind, src, agency, office, cur_office, dsrc, ryear, rdate, status, sex, cit, band, age_exp,
         child_reg, child_exp, coe, et, ls, st, mc, rr, consent, referral, closure, erased) = r
        cits = _split(cit) or []
        primary = cits[0] if cits else None
        child = child_exp if child_exp is not None else child_reg
        month = int(rdate[5:7]) if rdate and len(rdate) >= 7 else None
        cross = None if (not cits or coe is None) else (coe not in cits)
        vals = (keys.pseudonym(cid, purpose="record"), pkey, skind, src, agency, office, cur_office, dsrc, ryear,
                month, status, sex, primary, cits, band, age_band(age_exp), child_reg, child_exp, child, coe,
                cross, regional_office(coe), regional_office(office), m49_region(coe), m49_sub_region(coe),
                _split(et), _split(ls), _split(st), _split(mc), _split(rr), consent, referral, closure,
                erased is not None)
        for f, v in zip(CASE_SCHEMA.names, vals, strict=True):
            out[f].append(v)
    return pa.table(out, schema=CASE_SCHEMA)


def _child_rows(session: Session, year: str, keys: KeyRing, model: type, fields: list[str]) -> pa.Table:
    cols = [CaseRecord.id, *[getattr(model, f) for f in fields]]
    q = (select(*cols).join(CaseRecord, CaseRecord.id == model.case_id)
         .where(_year_filter(CaseRecord.registration_year, year)).order_by(model.id))
    rows = session.execute(q).all()
    data: dict[str, Any] = {"record_key": pa.array([keys.pseudonym(r[0], purpose="record") for r in rows],
                                                     pa.string())}
    for i, f in enumerate(fields, start=1):
        data[f] = pa.array([r[i] for r in rows], _arrow_type(model.__table__.c[f].type))
    data["registration_year"] = pa.array([None if year == UNKNOWN_YEAR else int(year)] * len(rows), pa.int32())
    return pa.table(data)


def _arrow_type(t: Any) -> pa.DataType:
    from sqlalchemy import Boolean, DateTime, Integer

    if isinstance(t, Boolean):
        return pa.bool_()
    if isinstance(t, Integer):
        return pa.int64()
    if isinstance(t, DateTime):
        return pa.timestamp("us")
    return pa.string()


CHILD_TABLES: dict[str, tuple[type, list[str]]] = {
    "journey_legs": (JourneyLeg, ["leg_number", "from_country", "to_country", "departure_date", "crossing",
                                  "travel_document", "transport_mode", "exploited"]),
    "assistance": (Assistance, ["assistance_type", "date", "provider", "reintegration"]),
    "returns": (ReturnRecord, ["status", "requested_date", "consent_written", "risk_level", "is_child",
                               "best_interest_determination", "guardian_willing", "guardian_able", "travel_date",
                               "receiving_office_country", "reintegration_plan"]),
    "transfers": (Transfer, ["from_office_country", "from_agency", "to_office_country", "to_agency", "status"]),
}


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _projects(session: Session, root: Path) -> None:
    rows = session.execute(select(Project)).scalars().all()
    t = pa.table({
        "project": [p.project for p in rows],
        "countries": [p.countries or [] for p in rows],
        "donor": [p.donor for p in rows],
        "amount": pa.array([p.amount for p in rows], pa.float64()),
        "year": pa.array([p.year for p in rows], pa.int32()),
    })
    _write(t, root / "projects.parquet")


def build(*, full: bool = False, progress: bool = True, root: Path | None = None,
          actor: str = "cli") -> dict[str, Any]:
    """Bring the warehouse up to date with the store; returns what was rewritten."""
    root = root or warehouse_dir()
    root.mkdir(parents=True, exist_ok=True)
    manifest_path = root / "manifest.json"
    old: dict[str, Any] = {}
    if manifest_path.exists() and not full:
        try:
            old = json.loads(manifest_path.read_text())
        except json.JSONDecodeError:
            old = {}
    if old.get("schema_version") != SCHEMA_VERSION:
        old = {}
    keys = keyring()
    t0 = time.time()
    eng = db.upgrade()
    with db.session_scope(eng) as s:
        fps = fingerprints(s)
        prev = old.get("partitions", {})
        todo = [y for y, fp in fps.items() if prev.get(y) != fp]
        gone = [y for y in prev if y not in fps]
        it: Iterable[str] = todo
        if progress and todo:
            from rich.progress import track

            it = track(todo, description="Building warehouse", transient=True)
        for y in it:
            _write(_case_rows(s, y, keys), root / "cases" / f"{y}.parquet")
            for name, (model, fields) in CHILD_TABLES.items():
                _write(_child_rows(s, y, keys, model, fields), root / name / f"{y}.parquet")
        for y in gone:
            for name in TABLES:
                (root / name / f"{y}.parquet").unlink(missing_ok=True)
        _projects(s, root)
        total = sum(fp[0] for fp in fps.values())
        if todo or gone:
            audit.record(s, actor=actor, action="warehouse_build", entity="warehouse", entity_id=None,
                         details={"rewritten": sorted(todo), "removed": sorted(gone), "cases": total,
                                  "seconds": round(time.time() - t0, 2)})
    manifest = {"schema_version": SCHEMA_VERSION, "partitions": fps, "built_at": time.time(), "cases": total}
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, manifest_path)
    return {"path": str(root), "cases": total, "partitions": len(fps), "rewritten": sorted(todo),
            "removed": sorted(gone), "seconds": round(time.time() - t0, 2)}

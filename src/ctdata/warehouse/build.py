"""Build the de-identified Parquet snapshot of the case store.

Analytics, linkage and publication read this snapshot, never the live store,
so heavy queries never slow down caseworkers and nothing downstream can reach
a name. Case ids become keyed pseudonyms (``record_key``), dates of birth
become age bands, names and document numbers are not copied at all, and
neither is any free text (providers, reasons, notes, organisations): the
snapshot holds codes, dates, counts and flags only.

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
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ctdata.config import settings
from ctdata.errors import CtdataError
from ctdata.standard.models import PERPETRATOR_IDENTIFYING
from ctdata.standard.regions import (
    comparable_region,
    m49_region,
    m49_sub_region,
    regional_office,
    regions_of,
    un_region,
)
from ctdata.standard.vocab import age_band
from ctdata.store import audit, db
from ctdata.store.crypto import KeyRing, keyring
from ctdata.store.fields import unseal_list
from ctdata.store.models import (
    Assistance,
    CaseRecord,
    JourneyLeg,
    Perpetrator,
    Person,
    Project,
    ReturnRecord,
    Transfer,
    counted,
)
from ctdata.store.persons import identifier_keys

UNKNOWN_YEAR = "unknown"
TABLES = ("cases", "journey_legs", "assistance", "returns", "transfers", "perpetrators")
SCHEMA_VERSION = 5  # 2: no free text (the assistance provider is no longer copied); 3: perpetrators, regions;
# 4: what funded assistance (funding_source, funding_name) and the reintegration follow-up of returns;
# 5: recruitment tactics and promised sector of cases, legal sub-types of assistance

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
    ("origin_region", pa.string()), ("exploitation_region", pa.string()),
    ("exploitation_types", pa.list_(pa.string())), ("labour_sectors", pa.list_(pa.string())),
    ("sexual_exploitation_types", pa.list_(pa.string())), ("means_of_control", pa.list_(pa.string())),
    ("recruiter_relation", pa.list_(pa.string())), ("consent_research", pa.bool_()),
    ("referral_from_office", pa.string()), ("closure_reason", pa.string()), ("erased", pa.bool_()),
    ("recruitment_tactics", pa.list_(pa.string())), ("promised_sector", pa.string()),
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
    # the count is of counted cases (the warehouse's size); the rest sees every change, voiding too
    q = select(CaseRecord.registration_year, func.count(CaseRecord.id).filter(counted()),
               func.max(CaseRecord.updated_at), func.sum(CaseRecord.version),
               func.max(CaseRecord.id)).group_by(CaseRecord.registration_year)
    for y, n, upd, ver, mx in session.execute(q):
        fp[_year_key(y)] = [int(n), str(upd), int(ver or 0), int(mx or 0)]
    for model in (JourneyLeg, Assistance, ReturnRecord, Transfer, Perpetrator):
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


def _raw(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """Rows straight from the driver: type processing per value is what made the build slow."""
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.params
    if conn.dialect.paramstyle == "qmark":
        args: Any = tuple(params[k] for k in compiled.positiontup)  # type: ignore[union-attr]
    else:
        args = params
    return conn.exec_driver_sql(str(compiled), args).fetchall()


def _lookup(fn: Any, values: Iterable[Any]) -> dict[Any, Any]:
    return {v: fn(v) for v in set(values)}


# Each table is built in two steps, so that either engine runs the same rules:
#   fetch (the driver: the store and the keys) reads one year's rows and does all that needs a key,
#     the keyed pseudonyms and the decrypted perpetrator identifiers, giving the raw columns as Arrow;
#   shape (pure: no store, no key) turns raw columns into the warehouse's table: lists, bands,
#     regions, flags. The DuckDB build shapes on this machine; the Spark build (warehouse.spark_build)
#     ships the raw columns to its executors and shapes there. No key ever leaves the driver.

def _b(v: Any) -> bool | None:
    return None if v is None else bool(v)


_S, _I32, _I64, _BOOL = pa.string(), pa.int32(), pa.int64(), pa.bool_()
CASE_RAW_SCHEMA = pa.schema([
    ("record_key", _S), ("person_key", _S), ("source_kind", _S), ("source", _S), ("agency", _S),
    ("office_country", _S), ("current_office_country", _S), ("data_source", _S), ("registration_year", _I32),
    ("registration_date", _S), ("status", _S), ("sex", _S), ("citizenship", _S), ("age_band", _S),
    ("age_at_exploitation", _I64), ("child_at_registration", _BOOL), ("child_at_exploitation", _BOOL),
    ("country_of_exploitation", _S), *[(name, _S) for name in LIST_COLS], ("consent_research", _BOOL),
    ("referral_from_office", _S), ("closure_reason", _S), ("erased", _BOOL), ("origin_region", _S),
    ("exploitation_region", _S), ("recruitment_tactics", _S), ("promised_sector", _S),
])
_CASE_BOOLS = {"child_at_registration", "child_at_exploitation", "consent_research"}


def _fetch_cases(session: Session, year: str, keys: KeyRing, memo: dict[int, str]) -> pa.Table:
    """One year's counted cases, raw (lists still as stored), with the keyed ``record_key``; ``_order`` is the row's
    place in the year (the build writes rows in store order)."""
    C, P = CaseRecord, Person
    cols = [C.id, P.person_key, C.source_kind, C.source, C.agency, C.office_country, C.current_office_country,
            C.data_source, C.registration_year, C.registration_date, C.status, P.sex, P.citizenship, C.age_band,
            C.age_at_exploitation, C.child_at_registration, C.child_at_exploitation, C.country_of_exploitation,
            *[getattr(C, c) for c in LIST_COLS], C.consent_research, C.referral_from_office, C.closure_reason,
            P.erased_at, C.origin_region, C.exploitation_region, C.recruitment_tactics, C.promised_sector]
    q = (select(*cols).join(P, P.id == C.person_id)
         .where(_year_filter(C.registration_year, year), counted()).order_by(C.id))
    rows = _raw(session, q)
    c = list(zip(*rows, strict=True)) if rows else [[] for _ in cols]
    ids = list(c[0])
    rkeys = keys.record_keys(ids)
    memo.update(zip(ids, rkeys, strict=True))
    values = [rkeys, *c[1:]]
    data: dict[str, Any] = {}
    for f, col in zip(CASE_RAW_SCHEMA, values, strict=True):
        if f.name == "erased":
            col = [v is not None for v in col]
        elif f.name in _CASE_BOOLS:
            col = [_b(v) for v in col]
        data[f.name] = pa.array(col, f.type)
    data["_order"] = pa.array(range(len(ids)), pa.int64())
    return pa.table(data)


def _shape_cases(raw: pa.Table) -> pa.Table:
    """The warehouse's cases from raw case columns (`_fetch_cases`): the rules of every derived column."""
    if raw.num_rows == 0:
        return CASE_SCHEMA.empty_table()
    r = {name: raw.column(name).to_pylist() for name in CASE_RAW_SCHEMA.names}
    cits = [_split(v) or [] for v in r["citizenship"]]
    primary = [x[0] if x else None for x in cits]
    coe = r["country_of_exploitation"]
    office = r["office_country"]
    ro = _lookup(regional_office, [*coe, *office])
    reg = _lookup(m49_region, coe)
    sub = _lookup(m49_sub_region, coe)
    bands = _lookup(age_band, r["age_at_exploitation"])
    child_reg, child_exp = r["child_at_registration"], r["child_at_exploitation"]
    data: dict[str, Any] = {
        **{k: r[k] for k in ("record_key", "person_key", "source_kind", "source", "agency", "office_country",
                             "current_office_country", "data_source", "registration_year", "status", "sex",
                             "age_band", "child_at_registration", "child_at_exploitation",
                             "country_of_exploitation", "consent_research", "referral_from_office",
                             "closure_reason", "erased", "promised_sector")},
        "registration_month": [int(d[5:7]) if d and len(d) >= 7 else None for d in r["registration_date"]],
        "citizenship": primary, "citizenships": cits,
        "age_at_exploitation_band": [bands[v] for v in r["age_at_exploitation"]],
        "child": [e if e is not None else g for e, g in zip(child_exp, child_reg, strict=True)],
        "cross_border": [None if (not cs or k is None) else (k not in cs) for cs, k in zip(cits, coe, strict=True)],
        "regional_office": [ro[v] for v in coe], "office_regional_office": [ro[v] for v in office],
        "region": [reg[v] for v in coe], "sub_region": [sub[v] for v in coe],
    }
    for name in (*LIST_COLS, "recruitment_tactics"):
        data[name] = [_split(v) for v in r[name]]
    # comparable UN regions (the Americas and Oceania as one, as the public release codes them)
    data["origin_region"] = [(regions_of([g] if g else [], cs) or [None])[0]
                             for g, cs in zip(r["origin_region"], cits, strict=True)]
    data["exploitation_region"] = [comparable_region(g or un_region(k))
                                   for g, k in zip(r["exploitation_region"], coe, strict=True)]
    return pa.table({f.name: pa.array(data[f.name], f.type) for f in CASE_SCHEMA}, schema=CASE_SCHEMA)


def _fetch_child(session: Session, year: str, keys: KeyRing, model: type, fields: list[str],
                 memo: dict[int, str]) -> pa.Table:
    """One year's rows of a case's child table, typed, with the case's keyed ``record_key``."""
    cols = [CaseRecord.id, *[getattr(model, f) for f in fields]]
    q = (select(*cols).join(CaseRecord, CaseRecord.id == model.case_id)
         .where(_year_filter(CaseRecord.registration_year, year), counted()).order_by(model.id))
    rows = _raw(session, q)
    c = list(zip(*rows, strict=True)) if rows else [[] for _ in range(len(fields) + 1)]
    missing = [i for i in set(c[0]) if i not in memo]
    if missing:
        memo.update(zip(missing, keys.record_keys(missing), strict=True))
    data: dict[str, Any] = {"record_key": pa.array([memo[i] for i in c[0]], pa.string())}
    for i, f in enumerate(fields, start=1):
        t = _arrow_type(model.__table__.c[f].type)
        vals = list(c[i])
        if t == pa.bool_():
            vals = [None if v is None else bool(v) for v in vals]
        elif t == pa.timestamp("us"):
            vals = [_ts(v) for v in vals]
        data[f] = pa.array(vals, t)
    data["registration_year"] = pa.array([None if year == UNKNOWN_YEAR else int(year)] * len(c[0]), pa.int32())
    data["_order"] = pa.array(range(len(c[0])), pa.int64())
    return pa.table(data)


def _shape_child(raw: pa.Table) -> pa.Table:
    """A child table is copied as fetched (its values are codes, dates and flags already)."""
    return raw.drop_columns([c for c in raw.column_names if c.startswith("_")])


def _ts(v: Any) -> Any:
    if v is None or not isinstance(v, str):
        return v
    from datetime import datetime

    return datetime.fromisoformat(v)


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
    "assistance": (Assistance, ["assistance_type", "date", "reintegration", "legal_types", "funding_source",
                                "funding_name"]),
    "returns": (ReturnRecord, ["status", "requested_date", "consent_written", "risk_level", "is_child",
                               "best_interest_determination", "guardian_willing", "guardian_able", "travel_date",
                               "receiving_office_country", "reintegration_plan", "follow_up_date",
                               "reintegration_status"]),
    "transfers": (Transfer, ["from_office_country", "from_agency", "to_office_country", "to_agency", "status"]),
}


_LIST = pa.list_(pa.string())
PERPETRATOR_LISTS = ("roles", "sex", "age_band", "citizenship", "region", "relation", "paid_money",
                     "means_of_control")
PERPETRATOR_SCHEMA = pa.schema([
    ("record_key", pa.string()), ("perpetrator_key", pa.string()),
    *[(name, _LIST) for name in PERPETRATOR_LISTS], ("regions", _LIST), ("grouped", pa.bool_()),
    *[(f"{name}_keys", _LIST) for name in PERPETRATOR_IDENTIFYING],
])
PERPETRATOR_RAW_SCHEMA = pa.schema([
    ("record_key", _S), ("perpetrator_key", _S), *[(name, _S) for name in PERPETRATOR_LISTS], ("grouped", _BOOL),
    *[(f"{name}_keys", _LIST) for name in PERPETRATOR_IDENTIFYING],
])


def _fetch_perpetrators(session: Session, year: str, keys: KeyRing, memo: dict[int, str]) -> pa.Table:
    """One year's perpetrators, raw, with everything keyed done here: the perpetrator's pseudonym and the
    identifiers' keys (``*_keys``: the same phone number or name gives the same key, and nothing gives the
    number back), decrypted only for that."""
    T = Perpetrator
    enc = [getattr(T, f"{name}_enc") for name in PERPETRATOR_IDENTIFYING]
    q = (select(CaseRecord.id, T.id, *[getattr(T, n) for n in PERPETRATOR_LISTS], T.grouped, *enc)
         .join(CaseRecord, CaseRecord.id == T.case_id)
         .where(_year_filter(CaseRecord.registration_year, year), counted()).order_by(T.id))
    rows = _raw(session, q)
    c = list(zip(*rows, strict=True)) if rows else [[] for _ in range(3 + len(PERPETRATOR_LISTS) + len(enc))]
    missing = [i for i in set(c[0]) if i not in memo]
    if missing:
        memo.update(zip(missing, keys.record_keys(missing), strict=True))
    n = len(PERPETRATOR_LISTS)
    data: dict[str, Any] = {
        "record_key": [memo[i] for i in c[0]],
        "perpetrator_key": [keys.pseudonym(i, purpose="perpetrator") for i in c[1]],
        **{name: list(c[2 + i]) for i, name in enumerate(PERPETRATOR_LISTS)},
        "grouped": [bool(v) for v in c[2 + n]],
    }
    for j, name in enumerate(PERPETRATOR_IDENTIFYING):
        data[f"{name}_keys"] = [
            identifier_keys(keys, name, unseal_list(b, "perpetrators", f"{name}_enc")) if b else []
            for b in c[3 + n + j]
        ]
    table = pa.table({f.name: pa.array(data[f.name], f.type) for f in PERPETRATOR_RAW_SCHEMA})
    return table.append_column("_order", pa.array(range(len(c[0])), pa.int64()))


def _shape_perpetrators(raw: pa.Table) -> pa.Table:
    """The warehouse's perpetrators: codes as lists and ``regions``, the comparable regions of the perpetrator
    (recorded or of their citizenships)."""
    lists = {name: [_split(v) or [] for v in raw.column(name).to_pylist()] for name in PERPETRATOR_LISTS}
    data: dict[str, Any] = {
        **{name: raw.column(name).to_pylist() for name in ("record_key", "perpetrator_key", "grouped")},
        **{f"{name}_keys": raw.column(f"{name}_keys").to_pylist() for name in PERPETRATOR_IDENTIFYING},
        **lists,
        "regions": [regions_of(r, cs) for r, cs in zip(lists["region"], lists["citizenship"], strict=True)],
    }
    return pa.table({f.name: pa.array(data[f.name], f.type) for f in PERPETRATOR_SCHEMA}, schema=PERPETRATOR_SCHEMA)


def table_steps() -> dict[str, tuple[Any, Any]]:
    """Every yearly table's (fetch, shape), in build order (cases first: its fetch fills the key memo the others
    use). fetch(session, year, keys, memo) -> raw Arrow; shape(raw) -> the warehouse's table."""
    steps: dict[str, tuple[Any, Any]] = {"cases": (_fetch_cases, _shape_cases)}
    for name, (model, fields) in CHILD_TABLES.items():
        steps[name] = (_child_fetcher(model, fields), _shape_child)
    steps["perpetrators"] = (_fetch_perpetrators, _shape_perpetrators)
    return steps


def _child_fetcher(model: type, fields: list[str]) -> Any:
    def fetch(session: Session, year: str, keys: KeyRing, memo: dict[int, str]) -> pa.Table:
        return _fetch_child(session, year, keys, model, fields, memo)

    return fetch


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


ENGINES = ("duckdb", "spark")


def build(*, full: bool = False, progress: bool = True, root: Path | None = None,
          actor: str = "cli", engine: str = "duckdb") -> dict[str, Any]:
    """Bring the warehouse up to date with the store; returns what was rewritten.

    `engine` says where the tables are shaped: ``duckdb`` on this machine, ``spark`` on the Spark
    cluster of the ``[spark]`` settings (warehouse.spark_build); both write the same files.
    """
    if engine not in ENGINES:
        raise CtdataError(f"unknown warehouse engine {engine!r} (choose from {', '.join(ENGINES)})")
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
        if engine == "spark":
            from ctdata.warehouse.spark_build import build_years

            build_years(s, todo, keys, root)
        else:
            steps = table_steps()
            for y in it:
                memo: dict[int, str] = {}
                for name, (fetch, shape) in steps.items():
                    _write(shape(fetch(s, y, keys, memo)), root / name / f"{y}.parquet")
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

"""The import pipeline: source -> mapper -> validation -> classification -> prepare -> sink.

Every import runs through here: CTDC releases and the standard template (with
its companion tables), in process or with a preparing child process, and the
quarantine retry. A row passes each module once:

- source: ``readers.py`` / ``columns.py`` read a file as column batches;
- mapper: ``mappers.py`` gives the template's columns and each row's identity;
- validation: ``validate.py`` checks each column (each distinct value once);
- classification: ``classify.py`` says new, changed, already present or conflicting;
- prepare: ``prepare.py`` (with ``store.persons``) makes the stored form, pseudonyms and ciphertexts;
- sink: ``sinks.py`` writes the rows (writer thread, at once, or from a child process).

Every row read is loaded (new, changed, present) or quarantined with its reason.
Companion rows hang off the records of the same import by record id; those of a
quarantined record are quarantined with it (``parent quarantined``) and follow it
out of quarantine. `settle` then resolves the open quarantine entries of earlier
imports whose rows this import loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ctdata.cases import erasure
from ctdata.ingest.classify import CHANGED, CONFLICT, NEW, PRESENT, classify
from ctdata.ingest.columns import ColumnBatch
from ctdata.ingest.mappers import Mapper
from ctdata.ingest.prepare import (
    CASE_COLS,
    PERSON_COLS,
    Preparer,
    RowDigest,
    code_list,
    companion_values,
    file_order_hash,
    file_order_hashes,
    pick,
    row_hash,
)
from ctdata.ingest.readers import RawRow
from ctdata.ingest.result import ImportResult, table_stats
from ctdata.ingest.sinks import FILE_ORDER, Const, QuarantineLog, Sink, allocate_ids, as_rows, stamp
from ctdata.ingest.validate import TableValidator
from ctdata.store import fields as free_text
from ctdata.store.crypto import KeyRing
from ctdata.store.models import (
    Assistance,
    CaseRecord,
    CodeList,
    JourneyLeg,
    Perpetrator,
    Person,
    QuarantineRow,
    ReturnRecord,
    utcnow,
)
from ctdata.store.persons import ENCRYPTED
from ctdata.text import Plain, Text

T = TypeVar("T")
ProgressFn = Callable[[int], None]
COMPANIONS: dict[str, type] = {
    "journey_legs": JourneyLeg, "assistance": Assistance, "returns": ReturnRecord, "perpetrators": Perpetrator,
}
PARENT_QUARANTINED = Text("parent quarantined")


def _now(fn: Callable[[], T]) -> T:
    return fn()


def _short(reason: str) -> str:
    return reason.split(":", 1)[0] if ":" in reason else reason[:60]


def _canon(v: Any) -> str:
    """A stored or validated value as comparable text (so 'present' compares fields, not types)."""
    if v is None:
        return "\x00"
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def _digests(columns: list[list[Any]]) -> list[str]:
    """Content digest of each row of the given columns (each distinct value of a column made text once)."""
    texts = []
    for col in columns:
        memo = {v: _canon(v) for v in set(col)}
        texts.append(map(memo.__getitem__, col))
    b2 = hashlib.blake2b
    return [b2(t.encode(), digest_size=16).hexdigest() for t in map("\x1f".join, zip(*texts, strict=True))]


def open_record_ids(session: Session, kind: str) -> set[str]:
    """Record ids of this kind's open quarantine entries (the rows an import watches for `settle`)."""
    q = select(QuarantineRow.record_id).where(
        QuarantineRow.status == "open", QuarantineRow.kind == kind, QuarantineRow.record_id.is_not(None)
    )
    return {r for (r,) in session.execute(q)}


@dataclass
class Pipeline:
    """One import's records and companion tables, batch by batch, through the stages above."""

    session: Session | None
    keys: KeyRing
    batch_id: int
    mapper: Mapper
    result: ImportResult
    sink: Sink
    progress: ProgressFn | None = None
    #: runs database work (look-ups, updates) in order with the sink's writes and waits for it
    db: Callable[[Callable[[], Any]], Any] = _now
    #: the store held no case record when the import began (a preparing child): no look-ups
    fresh: bool = False
    #: first free ids per table when ``fresh`` (the writing process read them)
    starts: dict[str, int] = field(default_factory=dict)
    #: record ids of open quarantine entries of earlier imports (see `settle`)
    watch: set[str] = field(default_factory=set)
    #: record_id -> case id of every record of this import (companion rows hang off these)
    case_ids: dict[str, int] = field(default_factory=dict)
    new_ids: set[int] = field(default_factory=set)
    #: case ids of stored records this import changed (with new_ids, what the import's audit entry digests)
    updated_ids: set[int] = field(default_factory=set)
    #: watched record ids met in each companion table
    watched_in: dict[str, set[str]] = field(default_factory=dict)
    _out: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    _seen: dict[Any, int] = field(default_factory=dict)
    _rejects: list[dict[str, Any]] = field(default_factory=list)
    _next_id: dict[str, int] = field(default_factory=dict)
    _fresh_sources: dict[str, bool] = field(default_factory=dict)
    _case_sources: dict[int, str] = field(default_factory=dict)
    _erased: dict[int, bool] = field(default_factory=dict)  # stored case id -> its person was erased
    _occurrences: dict[tuple[int, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validator = TableValidator("records", relax=self.mapper.relax)
        self.preparer = Preparer(self.keys, self.mapper.source_kind, self.batch_id, agencies=self.result.agencies)
        self._stamp = stamp(self.session)

    # --- shared -------------------------------------------------------------------------------------

    def _ids(self, model: type, n: int) -> list[int]:
        name = model.__table__.name  # type: ignore[attr-defined]
        if self.fresh:
            start = self._next_id.get(name, self.starts[name])
        elif self.session is not None and self.session.get_bind().dialect.name == "postgresql":
            return self.db(lambda: allocate_ids(self.session, model, n))  # type: ignore[arg-type]
        elif name in self._next_id:
            start = self._next_id[name]
        else:  # SQLite: this transaction holds the write lock, so ids can be counted here
            start = self.db(lambda: allocate_ids(self.session, model, 1))[0]  # type: ignore[arg-type]
        self._next_id[name] = start + n
        return list(range(start, start + n))

    def _reject(self, table: str, raw: RawRow, reason: str, source: str | None, record_id: str | None) -> None:
        self.result.reasons[_short(reason)] = self.result.reasons.get(_short(reason), 0) + 1
        values = json.dumps(raw.values, ensure_ascii=False, default=str)
        self._rejects.append(
            {
                "batch_id": self.batch_id,
                "kind": self.mapper.kind,
                "table_name": table,
                "row_number": raw.number,
                "raw_enc": self.keys.encrypt(values, "quarantine"),
                "reason": reason,
                "status": "open",
                "source": source,
                "record_id": record_id,
                "row_hash": row_hash(raw.values, self.keys.digest_key),
                # the digest an entry opened before `prepare.RowDigest` holds (`sinks.write_quarantine`)
                FILE_ORDER: file_order_hash(raw.values, self.keys.digest_key),
            }
        )

    def _flush(self, rows_read: int) -> None:
        if self._rejects:
            rejects, self._rejects = self._rejects, []
            self.sink.quarantine(rejects)
        self.sink.end_batch(rows_read)
        if self.progress:
            self.progress(rows_read)

    # --- records ------------------------------------------------------------------------------------

    def records(self, batches: Iterable[ColumnBatch]) -> None:
        for b in batches:
            self._record_batch(b)
            self._flush(b.rows_read)

    def _reject_record(self, raw: RawRow, reason: str, *, parent_out: bool = True) -> None:
        source, rid = self.mapper.identity(raw.values, raw.number)
        self.result.quarantined += 1
        if parent_out and rid is not None:
            self._out.setdefault(rid, (source, raw.number))
        self._reject("records", raw, reason, source, rid)

    def _record_batch(self, b: ColumnBatch) -> None:
        res = self.result
        res.rows_read += b.rows_read
        for raw in b.bad:
            self._reject_record(raw, raw.error or "unreadable row")
        n = len(b)
        if not n:
            return
        raw_cols, mapping_errors, blank = self.mapper.columns(b)
        clean, reasons = self.validator.validate_columns(raw_cols, n, blank_is_empty=blank)
        if mapping_errors.count(None) != n:
            reasons = [m or r for m, r in zip(mapping_errors, reasons, strict=True)]
        if reasons.count(None) == n:
            ok: list[int] = list(range(n))
        else:
            ok = [i for i in range(n) if reasons[i] is None]
            for i in range(n):
                if reasons[i] is not None:
                    self._reject_record(b.raw(i), reasons[i])  # type: ignore[arg-type]
        if not ok:
            return
        srcs = pick(self.mapper.sources(clean, n), ok, n)
        rids = pick(clean["record_id"], ok, n)
        numbers = pick(b.numbers, ok, n)
        key = self.keys.digest_key
        rows: Iterable[tuple[str, ...]] = (
            b.raw_fields() if len(ok) == n else [tuple(col[i] for col in b.values) for i in ok]
        )
        existing = self._lookup(srcs, rids)
        former: list[str] | None = None
        if existing:  # stored rows may hold digests of the former definition (`prepare.file_order_hashes`)
            rows = list(rows)
            former = file_order_hashes(rows, key)
        digests = RowDigest(b.columns, key).many(rows)
        verdicts = classify(list(zip(srcs, rids, strict=True)), digests, numbers, existing, self._seen, former)
        if verdicts is None:
            self._insert(clean, ok, srcs, digests, n)
            return
        ins: list[int] = []
        renew: list[tuple[int, str]] = []  # present under a digest of the former definition
        for k, (verdict, ref) in enumerate(verdicts):
            i = ok[k]
            if verdict == CONFLICT:
                said = Text("“{value}” appears twice in this file (first at row {row})", value=rids[k], row=Plain(ref))
                reason = f"record_id: {said}"
                self._reject_record(b.raw(i), reason, parent_out=False)
            elif verdict == NEW:
                ins.append(k)
            else:
                assert ref is not None
                self.case_ids[rids[k]] = ref
                res.loaded += 1
                if verdict == PRESENT:
                    res.already_present += 1
                    if existing[(srcs[k], rids[k])][1] != digests[k]:
                        renew.append((ref, digests[k]))
                else:
                    assert verdict == CHANGED
                    self._update_record(ref, clean, i, srcs[k], digests[k])
                    self.updated_ids.add(ref)
                    res.updated += 1
        if ins:
            self._insert(clean, [ok[k] for k in ins], [srcs[k] for k in ins], [digests[k] for k in ins], n)
        if renew:
            self.db(lambda: _renew_digests(self.session, renew))  # type: ignore[arg-type]

    def _lookup(self, srcs: list[str], rids: list[str]) -> dict[Any, tuple[int, str | None]]:
        """Rows of this batch already in the store; sources the store did not hold before are skipped."""
        if self.fresh:
            return {}
        for s in set(srcs):
            if s not in self._fresh_sources:
                q = select(CaseRecord.id).where(CaseRecord.source == s).limit(1)
                self._fresh_sources[s] = self.db(lambda q=q: self.session.execute(q).first() is None)  # type: ignore[union-attr]
        keys = {(s, r) for s, r in zip(srcs, rids, strict=True) if not self._fresh_sources[s]}
        if not keys:
            return {}
        return self.db(lambda: self._existing(keys))

    def _existing(self, keys: set[tuple[str, str]]) -> dict[Any, tuple[int, str | None]]:
        assert self.session is not None
        out: dict[Any, tuple[int, str | None]] = {}
        by_source: dict[str, list[str]] = {}
        for s, r in keys:
            by_source.setdefault(s, []).append(r)
        for s, rids in by_source.items():
            for i in range(0, len(rids), 900):
                q = select(CaseRecord.source_record_id, CaseRecord.id, CaseRecord.row_hash).where(
                    CaseRecord.source == s, CaseRecord.source_record_id.in_(rids[i : i + 900])
                )
                for rid, cid, h in self.session.execute(q):
                    out[(s, rid)] = (cid, h)
        return out

    def _insert(self, clean: dict[str, list[Any]], idx: list[int], srcs: list[str], digests: list[str], n: int) -> None:
        m = len(idx)
        col = {name: pick(values, idx, n) for name, values in clean.items()}
        pids = self._ids(Person, m)
        cids = self._ids(CaseRecord, m)
        persons, cases = self.preparer.records(col, srcs, digests, pids, cids, self._stamp)
        self.sink.rows(Person, PERSON_COLS, persons)
        self.sink.rows(CaseRecord, CASE_COLS, cases)
        self.case_ids.update(zip(col["record_id"], cids, strict=True))
        self.new_ids.update(cids)
        self.result.inserted += m
        self.result.loaded += m

    def _update_record(self, case_id: int, clean: dict[str, list[Any]], i: int, src: str, digest: str) -> None:
        """A changed row: the same prepare, applied to the stored case and person (the version goes up)."""
        col = {name: [values[i]] for name, values in clean.items()}
        persons, cases = self.preparer.records(col, [src], [digest], [0], [case_id], None)
        pv = dict(zip(PERSON_COLS, as_rows(persons)[0], strict=True))
        cv = dict(zip(CASE_COLS, as_rows(cases)[0], strict=True))
        for k in ("id", "created_at"):
            pv.pop(k)
        for k in ("id", "person_id", "source", "source_record_id", "version", "created_at", "updated_at"):
            cv.pop(k)
        for k in ("current_office_country", "current_agency"):
            cv.pop(k)
        self.db(lambda: _apply_update(self.session, case_id, _as_lists(Person, pv), _as_lists(CaseRecord, cv)))  # type: ignore[arg-type]

    # --- companion tables ---------------------------------------------------------------------------

    def companion(self, name: str, batches: Iterable[ColumnBatch]) -> dict[str, int]:
        """Load one companion table (journey legs, assistance, returns) of this import's records."""
        stats = self.result.tables.setdefault(name, table_stats())
        model = COMPANIONS[name]
        validator = TableValidator(name)
        template = [c.name for c in validator.columns]
        table = model.__table__  # type: ignore[attr-defined]
        content = [c.name for c in table.columns if c.name not in ("id", "case_id") and c.name in template]
        # free text (a provider, risk mitigations) is stored encrypted: template field -> (its column, context)
        sealed = {
            col.removesuffix("_enc"): (col, ctx)
            for (t, col), ctx in free_text.ENCRYPTED.items()
            if t == table.name and col.removesuffix("_enc") in template
        }
        content += list(sealed)
        defaults = {
            k: v
            for k, v in {"version": 1, "created_at": self._stamp, "updated_at": self._stamp}.items()
            if k in table.columns and k not in content
        }
        names = ["case_id", *(sealed[c][0] if c in sealed else c for c in content), *defaults]
        ctx = _Companion(name, model, validator, template, content, names, defaults, stats, sealed,
                         per_record=name in self.mapper.one_per_record)
        for b in batches:
            columns = self._companion_batch(ctx, b)
            if columns:
                self.sink.rows(model, names, columns)
            self._flush(b.rows_read)
        return stats

    def _reject_companion(self, ctx: _Companion, raw: RawRow, reason: str, source: str | None) -> None:
        ctx.stats["quarantined"] += 1
        rid = raw.values.get("record_id")
        rid = (str(rid).strip() or None) if rid is not None else None
        self._reject(ctx.name, raw, reason, source, rid)

    def _orphan_reason(self, rid: Any) -> tuple[str, str | None]:
        out = self._out.get(rid)
        if out is not None:
            said = Text("its record “{record}” was quarantined (row {row} of the records table)", record=rid,
                        row=Plain(out[1]))
            return f"{PARENT_QUARANTINED}: {said}", out[0]
        said = Text("no case record “{record}” in this import", record=rid)
        return f"record_id: {said}", None

    def _source_of(self, cid: int) -> str | None:
        if cid not in self._case_sources and self.session is not None:
            q = select(CaseRecord.source).where(CaseRecord.id == cid)
            self._case_sources[cid] = self.db(lambda: self.session.execute(q).scalar())  # type: ignore[union-attr]
        return self._case_sources.get(cid)

    def _companion_batch(self, ctx: _Companion, b: ColumnBatch) -> list[Any]:
        stats = ctx.stats
        stats["rows_read"] += b.rows_read
        for raw in b.bad:
            self._reject_companion(ctx, raw, raw.error or "unreadable row", None)
        n = len(b)
        if not n:
            return []
        clean, reasons = ctx.validator.validate_columns({c: b.column(c) for c in ctx.template}, n)
        rid_col = clean["record_id"]
        if self.watch:
            self.watched_in.setdefault(ctx.name, set()).update(self.watch.intersection(rid_col))
        case_ids, new_ids = self.case_ids, self.new_ids
        cid_col = [case_ids.get(r) for r in rid_col]
        for name in ctx.content:
            clean[name] = companion_values(ctx.name, name, clean[name])
        legs = ctx.name == "journey_legs"
        if reasons.count(None) == n and None not in cid_col and all(map(new_ids.__contains__, cid_col)):
            # the common case: every row valid and of a record inserted by this import
            fast = True
            if legs:
                keys = [(ctx.name, c, leg) for c, leg in zip(cid_col, clean["leg_number"], strict=True)]
                fast = len(set(keys)) == n and self._seen.keys().isdisjoint(keys)
                if fast:
                    self._seen.update(zip(keys, b.numbers, strict=True))
            if fast:
                stats["inserted"] += n
                stats["loaded"] += n
                return self._companion_columns(ctx, clean, list(range(n)), cid_col, n)
        keep: list[int] = []
        for i in range(n):
            reason = reasons[i]
            if reason is None and cid_col[i] is None:
                reason, source = self._orphan_reason(rid_col[i])
                self._reject_companion(ctx, b.raw(i), reason, source)
            elif reason is not None:
                cid = cid_col[i]
                self._reject_companion(
                    ctx, b.raw(i), reason, self._source_of(cid) if cid else self._out.get(rid_col[i], (None, 0))[0]
                )
            else:
                keep.append(i)
        if not keep:
            return []
        cids = [cid_col[i] for i in keep]
        self._blank_erased(ctx, clean, keep, cids)
        digests = _digests([pick(clean[c], keep, n) for c in ctx.content])
        keys: list[Any] = []
        for i, cid, d in zip(keep, cids, digests, strict=True):
            if legs:
                keys.append((ctx.name, cid, clean["leg_number"][i]))
            elif ctx.per_record:
                keys.append((ctx.name, cid))
            else:
                k = self._occurrences.get((cid, d), 0)  # type: ignore[arg-type]
                self._occurrences[(cid, d)] = k + 1  # type: ignore[index]
                keys.append((ctx.name, cid, d, k))
        stored = sorted({c for c in cids if c not in new_ids})  # type: ignore[type-var]
        existing = self.db(lambda: self._existing_companions(ctx, stored)) if stored and not self.fresh else {}
        verdicts = classify(keys, digests, [b.numbers[i] for i in keep], existing, self._seen)
        ins: list[int] = []
        ins_cids: list[int] = []
        for k, i in enumerate(keep):
            verdict, ref = verdicts[k] if verdicts is not None else (NEW, None)
            if verdict == CONFLICT:
                # only legs can meet twice: other rows are counted by occurrence, and a source giving one
                # row per record gives each record once (its records' ids are unique, checked before)
                assert legs, ctx.name
                leg = clean["leg_number"][i]
                said = Text("leg {leg} of “{record}” appears twice (first at row {row})", leg=Plain(leg),
                            record=rid_col[i], row=Plain(ref))
                reason = f"leg_number: {said}"
                self._reject_companion(ctx, b.raw(i), reason, self._source_of(cids[k]))  # type: ignore[arg-type]
                continue
            stats["loaded"] += 1
            if verdict == NEW:
                stats["inserted"] += 1
                ins.append(i)
                ins_cids.append(cids[k])  # type: ignore[arg-type]
            elif verdict == PRESENT:
                stats["already_present"] += 1
            else:
                stats["updated"] += 1
                values = {
                    ctx.sealed[c][0] if c in ctx.sealed else c: self._sealed(ctx, c, [clean[c][i]])[0]
                    for c in ctx.content
                }
                values = _as_lists(ctx.model, values)  # a code list's stored text is no list to bind
                q = update(ctx.model).where(ctx.model.id == ref).values(**values)  # type: ignore[attr-defined]
                self.db(lambda q=q: self.session.execute(q))  # type: ignore[union-attr]
        if not ins:
            return []
        return self._companion_columns(ctx, clean, ins, ins_cids, n)

    def _blank_erased(self, ctx: _Companion, clean: dict[str, list[Any]], keep: list[int], cids: list[Any]) -> None:
        """Rows of an erased person's cases lose the free text erasure cleared (`erasure.erased_columns`),
        before they are compared: the file's row then matches the erased one stored, and nothing erased
        comes back, neither as an update nor as a second copy of the row."""
        table = ctx.model.__table__.name  # type: ignore[attr-defined]
        gone = erasure.erased_columns(table)
        blank = [c for c in ctx.content if (ctx.sealed[c][0] if c in ctx.sealed else c) in gone]
        stored = sorted({c for c in cids if c not in self.new_ids})
        if not blank or not stored or self.fresh:
            return
        unknown = [c for c in stored if c not in self._erased]
        if unknown:
            found = self.db(lambda: erasure.erased_case_ids(self.session, unknown))  # type: ignore[arg-type]
            self._erased.update({c: c in found for c in unknown})
        for i, cid in zip(keep, cids, strict=True):
            if self._erased.get(cid):
                for c in blank:
                    clean[c][i] = None

    def _companion_columns(
        self, ctx: _Companion, clean: dict[str, list[Any]], idx: list[int], cids: list[Any], n: int
    ) -> list[Any]:
        cols: list[Any] = [cids]
        cols += [self._sealed(ctx, name, pick(clean[name], idx, n)) for name in ctx.content]
        cols += [Const(v) for v in ctx.defaults.values()]
        return cols

    def _sealed(self, ctx: _Companion, name: str, values: list[Any]) -> list[Any]:
        """Values of a content column as stored (free text encrypted)."""
        return self.keys.encrypt_many(values, ctx.sealed[name][1]) if name in ctx.sealed else values

    def _existing_companions(self, ctx: _Companion, cids: list[int]) -> dict[Any, tuple[int, str | None]]:
        assert self.session is not None
        t = ctx.model.__table__  # type: ignore[attr-defined]
        cols = [t.c[ctx.sealed[c][0] if c in ctx.sealed else c] for c in ctx.content]
        contexts = [ctx.sealed[c][1] if c in ctx.sealed else None for c in ctx.content]
        out: dict[Any, tuple[int, str | None]] = {}
        counts: dict[tuple[int, str], int] = {}
        conn = self.session.connection()  # Core rows: no ORM loading for a look-up of many rows
        for i in range(0, len(cids), 900):
            q = select(t.c.id, t.c.case_id, *cols).where(t.c.case_id.in_(cids[i : i + 900])).order_by(t.c.id)
            rows = conn.execute(q).all()
            if not rows:
                continue
            ids, case_ids, *values = (list(c) for c in zip(*rows, strict=True))
            for j, c in enumerate(contexts):  # free text is compared as the file gives it
                if c is not None:
                    values[j] = [self.keys.decrypt(v, c) for v in values[j]]
                elif isinstance(cols[j].type, CodeList):  # code lists as the prepared rows hold them
                    values[j] = [code_list(v) for v in values[j]]
            digests = _digests(values)
            if ctx.name == "journey_legs":
                legs = values[ctx.content.index("leg_number")]
                for rid, cid, leg, d in zip(ids, case_ids, legs, digests, strict=True):
                    out[(ctx.name, cid, leg)] = (rid, d)
                continue
            if ctx.per_record:
                for rid, cid, d in zip(ids, case_ids, digests, strict=True):
                    out[(ctx.name, cid)] = (rid, d)
                continue
            for rid, cid, d in zip(ids, case_ids, digests, strict=True):
                k = counts.get((cid, d), 0)
                counts[(cid, d)] = k + 1
                out[(ctx.name, cid, d, k)] = (rid, d)
        return out

    # --- the end --------------------------------------------------------------------------------------

    def watched_loaded(self) -> dict[str, int]:
        """Watched record ids this import loaded, with their case ids."""
        return {r: self.case_ids[r] for r in self.watch if r in self.case_ids}


@dataclass
class _Companion:
    name: str
    model: type
    validator: TableValidator
    template: list[str]
    content: list[str]
    names: list[str]
    defaults: dict[str, Any]
    stats: dict[str, int]
    sealed: dict[str, tuple[str, str]]  # content field stored encrypted -> (its column, context)
    #: one row per record in this source (`Mapper.one_per_record`): the row's identity is its record
    per_record: bool = False


def _as_lists(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """Prepared values as the ORM takes them (code lists as lists, not their stored text)."""
    table = model.__table__  # type: ignore[attr-defined]
    out = dict(values)
    for k, v in values.items():
        if isinstance(v, str) and isinstance(table.c[k].type, CodeList):
            out[k] = v.split(";") if v else []
    return out


def _renew_digests(session: Session, renew: list[tuple[int, str]]) -> None:
    """Give stored records met again unchanged the digest of the current definition (`prepare.RowDigest`).

    Their stored digest was of the former definition and equal to the row's under it: the row is the
    one loaded, and its digest now is what an import would store for it today. Nothing of the record
    changes (no version, no audit of its own); a later file with its columns in another order finds it
    already present, which a digest of the file's order could not tell."""
    t = CaseRecord.__table__
    stmt = t.update().where(t.c.id == bindparam("cid")).values(row_hash=bindparam("digest"))
    session.execute(stmt, [{"cid": c, "digest": d} for c, d in renew])


def _apply_update(session: Session, case_id: int, person: dict[str, Any], case_values: dict[str, Any]) -> None:
    case = session.get(CaseRecord, case_id)
    assert case is not None
    erased = case.person.erased_at is not None  # erased on request: a partner's file does not bring it back
    gone = erasure.erased_columns("case_records") if erased else frozenset()
    for k, v in case_values.items():
        if k not in gone:
            setattr(case, k, v)
    if erased:
        person = {k: v for k, v in person.items() if k != "person_key" and k not in ENCRYPTED.values()}
    session.execute(update(Person).where(Person.id == case.person_id).values(**person))
    session.flush()


def settle(
    session: Session,
    *,
    kind: str,
    batch_id: int,
    tables: Iterable[str],
    log: QuarantineLog,
    loaded: dict[str, int],
    watched_in: dict[str, set[str]],
) -> int:
    """Resolve the open quarantine entries of earlier imports that this import settles; returns how many.

    An entry is left open when this import met its row again unchanged (``log.hashes``). Otherwise
    it is resolved when this import loaded its record (and, for a companion table, read that table
    with rows of the record: the file now says what the record's rows are), and superseded when this
    import quarantined another version of the same row."""
    tables = set(tables)
    q = select(QuarantineRow).where(
        QuarantineRow.status == "open",
        QuarantineRow.kind == kind,
        QuarantineRow.batch_id != batch_id,
        QuarantineRow.table_name.in_(tables),
        QuarantineRow.record_id.is_not(None),
    )
    entries = list(session.execute(q).scalars())
    if not entries:
        return 0
    wanted = sorted({loaded[e.record_id] for e in entries if e.record_id in loaded})  # type: ignore[index]
    sources = dict(session.execute(select(CaseRecord.id, CaseRecord.source).where(CaseRecord.id.in_(wanted))).all())
    now = utcnow()
    n = 0
    for e in entries:
        if (e.table_name, e.row_hash) in log.hashes:
            continue
        cid = loaded.get(e.record_id)  # type: ignore[arg-type]
        here = e.table_name == "records" or e.record_id in watched_in.get(e.table_name, set())
        if cid is not None and here and e.source in (None, sources.get(cid)):
            e.status, e.resolved_at = "resolved", now
            n += 1
        elif (e.table_name, e.source, e.record_id) in log.identities:
            e.status, e.resolved_at = "superseded", now
            n += 1
    session.flush()
    return n

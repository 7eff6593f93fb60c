"""`ctdata import odk|kobo`: submissions of the registration and screening XLSForm, from ODK Central or KoboToolbox.

The source stage of the one import pipeline for field collection. It reads the
exports these tools make and gives the pipeline column batches whose columns are
the form's question names (``xlsform.QUESTIONS``); `mappers.FormMapper` maps them
to the template and recomputes the Protocol determination, and the rest is the
pipeline every import runs (validation, classification, prepare, sink).

Formats read (the format is decided by the file's content):

- CSV: KoboToolbox's CSV export (``;`` or ``,`` separated; headers with or without
  group paths ``registration/agency``; ``meta/instanceID`` and ``_uuid``) and ODK
  Central's CSV (``-`` between group names, ``meta-instanceID``, ``KEY``). Central
  writes a repeat group as its own CSV beside the main one (``FORM-journey_legs.csv``,
  rows keyed by ``PARENT_KEY``), which is read when it is there.
- ZIP: ODK Central's "all submissions" download (the main CSV and the repeat CSVs).
- JSON: KoboToolbox's data API (``{"results": [...]}`` or a list; keys are paths
  ``registration/agency``) and ODK Central's OData (``{"value": [...]}``; groups as
  nested objects, ``__id``). A repeat group is a list inside its submission.

What the form did not ask (attachments, GPS, submission metadata, a status or
determination a form might carry) is not read. A submission's instance id is its
identity, so importing the same export twice, or the same submission from both
tools, changes nothing.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ctdata.errors import FileFormatError
from ctdata.ingest.columns import BATCH_ROWS, ColumnBatch, batches
from ctdata.ingest.mappers import FormMapper, instance_id
from ctdata.ingest.pipeline import Pipeline, open_record_ids, settle
from ctdata.ingest.readers import RawRow, Table, open_table, sha256_of, sniff
from ctdata.ingest.result import ImportResult, finish_batch, quarantine_notices, start_batch
from ctdata.ingest.sinks import QuarantineLog, WriterSink
from ctdata.ingest.standard_import import _count_rows
from ctdata.ingest.writer import BackgroundWriter
from ctdata.ingest.xlsform import MULTIPLE, QUESTIONS, REPEAT, REPEAT_QUESTIONS
from ctdata.standard.template import JOURNEY_COLUMNS
from ctdata.store import db
from ctdata.store.crypto import keyring

#: the columns that carry a submission's instance id, as the tools name them
ID_COLUMNS = ("instanceID", "_uuid", "__id", "KEY")
QUESTION_NAMES = tuple(n for n in QUESTIONS if n not in REPEAT_QUESTIONS and n != REPEAT)
#: the columns read from an export: the form's questions and the instance id columns
RECORD_NAMES = QUESTION_NAMES + ID_COLUMNS
#: the columns a submission reaches the pipeline with: the questions and one instance id (no ``uuid:``), so
#: the same submission from either tool is the same row
CANONICAL = (*QUESTION_NAMES, "instanceID")
LEG_NAMES = tuple(c.name for c in JOURNEY_COLUMNS)
_INDEX = re.compile(r"\[(\d+)\]$")


def question_of(header: str, names: tuple[str, ...]) -> str | None:
    """The question a column header of an export holds, or None for a column the form did not ask.

    ``registration/agency`` (Kobo), ``registration-agency`` (ODK Central) and ``agency`` are all
    ``agency``; ``meta/instanceID`` is ``instanceID``; ``actions/recruitment`` (the 0/1 column an
    export adds per choice of a select-multiple question) is none."""
    h = header.strip()
    if h in names:
        return h
    for sep in ("/", "-"):
        parts = h.split(sep)
        if len(parts) > 1 and parts[-1] in names and parts[-2] not in MULTIPLE:
            return parts[-1]
    return None


def _renamed(batch: ColumnBatch, names: tuple[str, ...]) -> ColumnBatch:
    """The batch with its columns named by question, only the columns of the form (first of duplicates)."""
    keep: dict[str, int] = {}
    for j, header in enumerate(batch.columns):
        q = question_of(header, names)
        if q is not None and q not in keep:
            keep[q] = j
    bad = [RawRow(r.number, {q: r.values.get(batch.columns[j]) for q, j in keep.items()}, r.error) for r in batch.bad]
    return ColumnBatch(list(keep), batch.numbers, [batch.values[j] for j in keep.values()], bad)


def _canonical(batch: ColumnBatch) -> ColumnBatch:
    """A batch of submissions (question-named) with the form's columns in order and one instance id column."""
    n = len(batch)
    cols = [batch.column(q) or [""] * n for q in QUESTION_NAMES]
    ids = [batch.column(c) or [""] * n for c in ID_COLUMNS]
    cols.append([instance_id(dict(zip(ID_COLUMNS, row, strict=True))) or "" for row in zip(*ids, strict=True)])
    bad = [RawRow(r.number, {**{q: r.values.get(q) for q in QUESTION_NAMES}, "instanceID": instance_id(r.values)},
                  r.error) for r in batch.bad]
    return ColumnBatch(list(CANONICAL), batch.numbers, cols, bad)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return " ".join(_text(x) for x in v)
    return str(v)


def _flat(obj: dict[str, Any], names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, list[Any]]]:
    """A submission (or a repeat instance) of a JSON export as question -> text, and its repeat lists."""
    values: dict[str, str] = {}
    repeats: dict[str, list[Any]] = {}

    def walk(d: dict[str, Any], prefix: str) -> None:
        for k, v in d.items():
            path = f"{prefix}/{k}" if prefix else k
            if isinstance(v, dict):
                walk(v, path)
                continue
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                if path.split("/")[-1] == REPEAT:
                    repeats[REPEAT] = v
                continue
            q = question_of(path, names)
            if q is not None and q not in values:
                values[q] = _text(v).strip()

    walk(obj, "")
    return values, repeats


def _batches_of(rows: list[tuple[int, dict[str, str]]], names: tuple[str, ...]) -> Iterator[ColumnBatch]:
    for i in range(0, len(rows), BATCH_ROWS):
        chunk = rows[i : i + BATCH_ROWS]
        cols = [[values.get(n, "") for _number, values in chunk] for n in names]
        yield ColumnBatch(list(names), [number for number, _ in chunk], cols)


def _leg(values: dict[str, str], parent: str | None, position: int) -> dict[str, str]:
    out = {n: values.get(n, "") for n in LEG_NAMES}
    out["record_id"] = parent or ""
    if not out["leg_number"]:
        out["leg_number"] = str(position)
    return out


class Export:
    """One export, read: its submissions and journey legs as column batches, and its file for the batch row."""

    def __init__(self, path: Path, stack: ExitStack, encoding: str = "utf-8-sig") -> None:
        self.encoding = encoding
        if not path.exists():
            raise FileFormatError(f"{path}: no such file")
        self.path = path
        self.legs: Callable[[], Iterator[ColumnBatch]] | None = None
        kind = sniff(path) if path.is_file() else "dir"
        if kind == "xlsx" and zipfile.is_zipfile(path) and not _is_workbook(path):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            with zipfile.ZipFile(path) as zf:
                csvs = [n for n in zf.namelist() if n.lower().endswith(".csv") and "/" not in n.strip("/")]
                for n in csvs:
                    zf.extract(n, folder)
            main = [n for n in csvs if "-" not in Path(n).stem]
            if len(main) != 1:
                raise FileFormatError(f"{path.name}: expected one submissions CSV in the ODK Central zip, "
                                      f"found {', '.join(csvs) or 'none'}")
            self._csv(folder / main[0], path)
        elif kind == "csv" and _looks_json(path):
            self._json(path)
        else:
            self._csv(path, path)

    # --- CSV (Kobo, ODK Central) ---

    def _csv(self, main: Path, shown: Path) -> None:
        self.table = open_table(main, encoding=self.encoding)
        self.table.path = shown
        self.table.sha256 = sha256_of(shown)
        self.total = _count_rows(open_table(main, encoding=self.encoding))
        enc = self.encoding
        self.records = lambda: (_canonical(_renamed(b, RECORD_NAMES)) for b in batches(open_table(main, encoding=enc)))
        repeat = main.with_name(f"{main.stem}-{REPEAT}.csv")
        if repeat.exists():
            self.legs = lambda: self._csv_legs(repeat)

    def _csv_legs(self, path: Path) -> Iterator[ColumnBatch]:
        names = (*REPEAT_QUESTIONS, "PARENT_KEY", "KEY", "_submission__uuid", "_index")
        for b in batches(open_table(path, encoding=self.encoding)):
            r = _renamed(b, names)
            rows = []
            for i in range(len(r)):
                v = r.raw(i).values
                parent = v.get("PARENT_KEY") or v.get("_submission__uuid")
                index = _INDEX.search(v.get("KEY") or "")
                rows.append((r.numbers[i], _leg({k: x or "" for k, x in v.items()},
                                                instance_id({"instanceID": parent}),
                                                int(index.group(1)) if index else 0)))
            yield from _batches_of(rows, LEG_NAMES)

    # --- JSON (Kobo data API, ODK Central OData) ---

    def _json(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FileFormatError(f"{path.name}: not a readable JSON export ({exc})") from None
        if isinstance(data, dict):
            data = data.get("results", data.get("value"))
        if not isinstance(data, list):
            raise FileFormatError(f"{path.name}: expected a list of submissions (Kobo 'results', ODK 'value')")
        records: list[tuple[int, dict[str, str]]] = []
        legs: list[tuple[int, dict[str, str]]] = []
        for number, sub in enumerate(data, start=1):
            if not isinstance(sub, dict):
                records.append((number, {}))
                continue
            values, repeats = _flat(sub, RECORD_NAMES)
            records.append((number, values))
            parent = instance_id(values)
            for position, leg in enumerate(repeats.get(REPEAT, []), start=1):
                leg_values, _ = _flat(leg, REPEAT_QUESTIONS)
                legs.append((len(legs) + 1, _leg(leg_values, parent, position)))
        self.table = Table(path, "json", list(CANONICAL), sha256_of(path), iter(()))
        self.total = len(records)
        self.records = lambda: (_canonical(b) for b in _batches_of(records, RECORD_NAMES))
        if legs:
            self.legs = lambda: _batches_of(legs, LEG_NAMES)


def _is_workbook(path: Path) -> bool:
    with zipfile.ZipFile(path) as zf:
        return "[Content_Types].xml" in zf.namelist()


def _looks_json(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def import_form(
    path: Path | str,
    *,
    kind: str,
    actor: str = "cli",
    encoding: str = "utf-8-sig",
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import an ODK Central (``kind='odk'``) or KoboToolbox (``kind='kobo'``) export of the form's submissions."""
    with ExitStack() as stack:
        export = Export(Path(path), stack, encoding)
        result = ImportResult(kind=kind, path=str(path), notices=list(export.table.notices))
        if on_total:
            on_total(export.total)
        keys = keyring()
        eng = db.upgrade()
        with db.session_scope(eng) as session:
            batch = start_batch(session, kind=kind, source="xlsform", table=export.table, actor=actor)
            log = QuarantineLog(batch.id)
            writer = BackgroundWriter()
            try:
                pipe = Pipeline(session, keys, batch.id, FormMapper(kind=kind), result,
                                WriterSink(session, writer, log), progress, db=writer.call,
                                watch=open_record_ids(session, kind))
                pipe.records(export.records())
                pipe.progress = None
                if export.legs is not None:
                    pipe.companion("journey_legs", export.legs())
            finally:
                writer.close()
            tables = ["records", *(["journey_legs"] if export.legs is not None else [])]
            result.resolved = settle(session, kind=kind, batch_id=batch.id, tables=tables, log=log,
                                     loaded=pipe.watched_loaded(), watched_in=pipe.watched_in)
            quarantine_notices(result, log)
            finish_batch(session, batch, result, actor, sorted(pipe.new_ids | pipe.updated_ids))
    return result


def import_odk(path: Path | str, **kw: Any) -> ImportResult:
    """An ODK Central export: CSV (with its repeat CSVs beside it), the CSV zip, or OData JSON."""
    return import_form(path, kind="odk", **kw)


def import_kobo(path: Path | str, **kw: Any) -> ImportResult:
    """A KoboToolbox export: CSV or the data API's JSON."""
    return import_form(path, kind="kobo", **kw)

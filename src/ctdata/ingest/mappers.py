"""The mapper stage of the import pipeline: a source's rows -> template columns.

A mapper turns one column batch of a source file into the template's columns
(for the column validator), says which rows could not be mapped and why, and
gives each row its identity: the source (whose record ids these are) and the
record id. The identity of a row that fails validation is read from its raw
values, so a quarantine entry names the source row as the file gave it.

- `TemplateMapper`: the project's own template (identity mapping; the source is the agency).
- `CtdcMapper`: a public CTDC release (its column map in ``ctdc.py``; the source is the file);
  `perpetrator_batch` gives the perpetrators of the victim-perpetrator release as a companion table.

- `FormMapper`: submissions of the generated XLSForm from ODK Central or KoboToolbox (the source is the
  form: a submission's instance id is its identity).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ctdata.errors import CtdataError
from ctdata.ingest.columns import ColumnBatch
from ctdata.ingest.ctdc import CtdcRelease, map_perpetrators, map_row
from ctdata.screening import ScreeningInput, determine
from ctdata.standard.template import TABLES
from ctdata.standard.types import parser_for
from ctdata.standard.vocab import exploitation_types_of

Mapped = tuple[dict[str, list[Any] | None], list[str | None], bool]


class Mapper(Protocol):
    kind: str
    source_kind: str
    #: template columns a source may leave empty though the template requires them
    relax: frozenset[str]
    #: companion tables of which a source gives one row per record: such a row's identity is its record
    #: (a corrected row updates the stored one); other companion rows are known by their content
    one_per_record: frozenset[str]

    def columns(self, batch: ColumnBatch) -> Mapped:
        """Template columns of the batch's readable rows, each row's mapping error or None, and whether
        ``""`` means empty (raw text columns) or only None does (mapped values)."""
        ...

    def sources(self, clean: dict[str, list[Any]], n: int) -> list[str]:
        """The source of each validated row."""
        ...

    def identity(self, values: dict[str, Any], number: int) -> tuple[str | None, str | None]:
        """(source, record id) of a raw row as read, for its quarantine entry (None when unknown)."""
        ...


def _text(v: Any) -> str | None:
    return (str(v).strip() or None) if v is not None else None


def _agency(v: Any) -> str | None:
    """The agency code a raw value validates to (as `sources` sees it), or its text when it is not one."""
    try:
        return parser_for("agency")(v)
    except ValueError:
        return _text(v)


@dataclass(frozen=True)
class TemplateMapper:
    """The standard template: columns by name; records of one agency are one source.

    ``source`` fixes the source of every row (a quarantine retry keeps the source the file gave
    the row, whatever agency a correction sets)."""

    table: str = "records"
    source: str | None = None
    kind: str = "standard"
    source_kind: str = "case"
    relax: frozenset[str] = frozenset()
    one_per_record: frozenset[str] = frozenset()

    def columns(self, batch: ColumnBatch) -> Mapped:
        return {c.name: batch.column(c.name) for c in TABLES[self.table]}, [None] * len(batch), True

    def sources(self, clean: dict[str, list[Any]], n: int) -> list[str]:
        if self.source is not None:
            return [self.source] * n
        return clean["agency"]

    def identity(self, values: dict[str, Any], number: int) -> tuple[str | None, str | None]:
        if self.table != "records":
            return None, _text(values.get("record_id"))
        return self.source or _agency(values.get("agency")), _text(values.get("record_id"))


@dataclass(frozen=True)
class CtdcMapper:
    """A public CTDC release: the file is the source, a record's id is the file's source key and row number.

    ``ids`` gives the record id of a row whose record is not the one of its number: a corrected file's
    rows aligned with the release's stored rows (`ctdc_import.row_identities`), a quarantined row
    retried under the id it was quarantined with. Every id of a CTDC row comes from `record_id`."""

    release: CtdcRelease
    source: str
    ids: Mapping[int, str] = field(default_factory=dict)
    kind: str = "ctdc"
    source_kind: str = "public_release"
    relax: frozenset[str] = frozenset({"office_country", "registration_date"})
    #: the victim-perpetrator release describes a victim's perpetrators together, in one grouped row
    one_per_record: frozenset[str] = frozenset({"perpetrators"})

    def record_id(self, number: int) -> str:
        """The record id of the file's row of this number."""
        rid = self.ids.get(number)
        return f"{self.source}:{number}" if rid is None else rid

    def columns(self, batch: ColumnBatch) -> Mapped:
        def one(i: int) -> dict[str, Any]:
            number = batch.numbers[i]
            row = map_row(self.release, batch.raw(i).values, number, self.source)
            row["record_id"] = self.record_id(number)
            return row

        return _records_row_by_row(batch, one)

    def sources(self, clean: dict[str, list[Any]], n: int) -> list[str]:
        return [self.source] * n

    def identity(self, values: dict[str, Any], number: int) -> tuple[str | None, str | None]:
        return self.source, self.record_id(number)


def perpetrator_batch(mapper: CtdcMapper, batch: ColumnBatch) -> ColumnBatch:
    """The grouped perpetrator row of each victim row of a victim-perpetrator batch, in the template's
    ``perpetrators`` columns (text), keyed by the victim's record id (the mapper's, as the victim row has
    it). A row that does not map keeps only its record id: its victim row was quarantined with the reason,
    and the pipeline quarantines its perpetrators with it. Unreadable rows were counted with the victims
    and are left out here."""
    names = [c.name for c in TABLES["perpetrators"]]
    values: list[list[str]] = [[] for _ in names]
    for i, number in enumerate(batch.numbers):
        try:
            row = map_perpetrators(mapper.release, batch.raw(i).values, number, mapper.source)
        except CtdataError:
            row = {}
        row["record_id"] = mapper.record_id(number)
        for col, name in zip(values, names, strict=True):
            v = row.get(name)
            col.append("" if v is None else str(v))
    return ColumnBatch(names, list(batch.numbers), values)


#: The source of every record from a field form: a submission's instance id is unique whatever tool sent it,
#: so a submission exported from ODK Central and from KoboToolbox is one record.
FORM_SOURCE = "xlsform"
#: the screening questions the Protocol determination is computed from (``ScreeningInput``'s names)
_ELEMENTS = ("actions", "means", "purposes", "vulnerabilities")
#: form questions copied to the template column of the same name
_COPIED = ("agency", "office_country", "registration_date", "given_name", "family_name", "date_of_birth",
           "place_of_birth", "sex",
           "id_document_number", "consent_assistance", "consent_research", "consent_sharing", "age_at_exploitation",
           "country_of_exploitation")


def instance_id(values: dict[str, Any]) -> str | None:
    """A submission's instance id (ODK's meta/instanceID, Kobo's _uuid), without the ``uuid:`` prefix."""
    for name in ("instanceID", "_uuid", "__id", "KEY"):
        v = _text(values.get(name))
        if v:
            return v.removeprefix("uuid:")
    return None


def map_submission(values: dict[str, Any]) -> dict[str, Any]:
    """One submission of the registration and screening form (values by question name) -> template columns.

    The case status is the Protocol determination that ``screening.protocol.determine`` makes from the
    submitted elements; a status, determination or rule the form may carry is never read. Raises a
    ctdata error (the row's quarantine reason) when the submission has no instance id or its screening
    answers are not the standard's."""
    rid = instance_id(values)
    if rid is None:
        raise CtdataError("instanceID: the submission has no instance id (meta/instanceID or _uuid)")
    out: dict[str, Any] = {name: _text(values.get(name)) for name in _COPIED}
    out["record_id"] = rid
    out["data_source"] = "survey"
    citizenship = _text(values.get("citizenship"))
    out["citizenship"] = ";".join(citizenship.split()) if citizenship else None
    screening: dict[str, Any] = {k: (_text(values.get(k)) or "").split() for k in _ELEMENTS}
    age = out["age_at_exploitation"]
    if age is not None:
        try:
            screening["age_at_exploitation"] = int(age)
        except ValueError:
            raise CtdataError(f"age_at_exploitation: {age!r} is not a whole number of years") from None
    inp = ScreeningInput.parse(screening)
    out["status"] = determine(inp).determination
    out["exploitation_types"] = ";".join(exploitation_types_of(inp.purposes)) if inp.purposes else None
    return out


@dataclass(frozen=True)
class FormMapper:
    """Submissions of the generated XLSForm (ODK Central or KoboToolbox exports), by question name.

    Rows reach the mapper with the form's question names (``field_import`` strips group paths and
    drops what the form did not ask: attachments, submission metadata)."""

    kind: str = "odk"
    source_kind: str = "case"
    relax: frozenset[str] = frozenset()
    one_per_record: frozenset[str] = frozenset()

    def columns(self, batch: ColumnBatch) -> Mapped:
        return _records_row_by_row(batch, lambda i: map_submission(batch.raw(i).values))

    def sources(self, clean: dict[str, list[Any]], n: int) -> list[str]:
        return [FORM_SOURCE] * n

    def identity(self, values: dict[str, Any], number: int) -> tuple[str | None, str | None]:
        return FORM_SOURCE, instance_id(values)


def _records_row_by_row(batch: ColumnBatch, map_one: Callable[[int], dict[str, Any]]) -> Mapped:
    """Map a batch one row at a time onto the records table: a row whose mapping fails becomes an
    empty row with its reason, so the pipeline quarantines it and the counts still reconcile."""
    mapped: list[dict[str, Any] | None] = []
    reasons: list[str | None] = []
    for i in range(len(batch)):
        try:
            mapped.append(map_one(i))
            reasons.append(None)
        except CtdataError as exc:
            mapped.append(None)
            reasons.append(str(exc))
    cols: dict[str, list[Any] | None] = {
        c.name: [None if m is None else m.get(c.name) for m in mapped] for c in TABLES["records"]
    }
    return cols, reasons, False

"""The mapper stage of the import pipeline: a source's rows -> template columns.

A mapper turns one column batch of a source file into the template's columns
(for the column validator), says which rows could not be mapped and why, and
gives each row its identity: the source (whose record ids these are) and the
record id. The identity of a row that fails validation is read from its raw
values, so a quarantine entry names the source row as the file gave it.

- `TemplateMapper`: the project's own template (identity mapping; the source is the agency).
- `CtdcMapper`: a public CTDC release (its column map in ``ctdc.py``; the source is the file).

XLSForm/Kobo and HTCDS mappers plug in here with the same three methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ctdata.errors import CtdataError
from ctdata.ingest.columns import ColumnBatch
from ctdata.ingest.ctdc import CtdcRelease, map_row
from ctdata.standard.template import TABLES
from ctdata.standard.types import parser_for

Mapped = tuple[dict[str, list[Any] | None], list[str | None], bool]


class Mapper(Protocol):
    kind: str
    source_kind: str
    #: template columns a source may leave empty though the template requires them
    relax: frozenset[str]

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
    """A public CTDC release: the file is the source, a record's id is the file's source key and row number."""

    release: CtdcRelease
    source: str
    kind: str = "ctdc"
    source_kind: str = "public_release"
    relax: frozenset[str] = frozenset({"office_country", "registration_date"})

    def columns(self, batch: ColumnBatch) -> Mapped:
        n = len(batch)
        mapped: list[dict[str, Any] | None] = []
        reasons: list[str | None] = []
        for i in range(n):
            try:
                mapped.append(map_row(self.release, batch.raw(i).values, batch.numbers[i], self.source))
                reasons.append(None)
            except CtdataError as exc:
                mapped.append(None)
                reasons.append(str(exc))
        names = [c.name for c in TABLES["records"]]
        cols: dict[str, list[Any] | None] = {
            name: [None if m is None else m.get(name) for m in mapped] for name in names
        }
        return cols, reasons, False

    def sources(self, clean: dict[str, list[Any]], n: int) -> list[str]:
        return [self.source] * n

    def identity(self, values: dict[str, Any], number: int) -> tuple[str | None, str | None]:
        return self.source, f"{self.source}:{number}"

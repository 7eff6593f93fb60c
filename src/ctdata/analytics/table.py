"""The one result shape of every indicator: a small table plus what a reader needs to trust it.

Every share is of records with a known value; the unknown count travels beside
the table, as does the unit (instances of assistance, individuals, journey
legs, USD), a source note and the exact SQL, so a figure in the report can be
re-run by hand.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ctdata.analytics.units import (
    HOTLINE_REPORTS,
    INDIVIDUALS,
    INSTANCES,
    MIXED_RECORDS,
    RETURNEES,
    ShareBase,
    share,
    shares_phrase,
)
from ctdata.standard.cells import safe_frame

__all__ = ["INDIVIDUALS", "INSTANCES", "NOT_LINKED", "SOURCE_NOTE", "IndicatorTable"]
NOT_LINKED = "not yet linked"
SOURCE_NOTE = (
    "Source: ctdata warehouse (assisted cases only; an individual assisted by two offices is "
    "counted twice as instances of assistance)."
)
#: SOURCE_NOTE for a count that includes hotline reports, which are not assisted cases
SOURCE_NOTE_RECORDS = (
    "Source: ctdata warehouse (assisted cases and hotline reports; a person recorded by two offices is counted twice)."
)
#: SOURCE_NOTE for a count of people assisted to return, which is not a count of instances
SOURCE_NOTE_RETURNEES = (
    "Source: ctdata warehouse (assisted cases only; one per return that took place, so a person returned "
    "twice counts twice here; the distinct individuals are given beside)."
)


def source_note(unit: str) -> str:
    """The default source note for a count in ``unit``: it never calls hotline reports or returns assistance."""
    if unit in (HOTLINE_REPORTS, MIXED_RECORDS):
        return SOURCE_NOTE_RECORDS
    if unit == RETURNEES:
        return SOURCE_NOTE_RETURNEES
    return SOURCE_NOTE


@dataclass
class IndicatorTable:
    """Columns of ``data``: value (code), label (display), count, share (of known); extra columns allowed.

    ``known`` is the denominator of ``share``; ``unknown`` the records left out of it.
    ``individuals`` is the number of distinct linked persons behind the counted
    records, or the text "not yet linked" when linkage has not run.
    """

    name: str
    title: str
    data: pd.DataFrame
    unit: str = INSTANCES
    known: float = 0
    unknown: int = 0
    individuals: int | str | None = NOT_LINKED
    source: str = SOURCE_NOTE
    note: str = ""
    sql: str = ""
    params: list[Any] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)
    share_base: ShareBase = ShareBase.KNOWN

    @property
    def total(self) -> float:
        return self.known + self.unknown

    @property
    def source_text(self) -> str:
        """The source note as a caption prints it: the default note follows the unit (``source_note``)."""
        return source_note(self.unit) if self.source == SOURCE_NOTE else self.source

    @property
    def empty(self) -> bool:
        return self.data.empty or float(self.data["count"].sum()) == 0

    def share_of(self, value: Any, base: ShareBase = ShareBase.KNOWN) -> float | None:
        """The share of one value (None when absent or nothing known), of known or of all records.

        The ``share`` column holds the shares of known values (set by the table's builder, which
        may use another denominator, e.g. border crossings per group); with ``ShareBase.ALL`` the
        count is divided by known + unknown (the published report's convention).
        """
        rows = self.data[self.data["value"] == value]
        if rows.empty or not self.known:
            return None
        if ShareBase(base) is ShareBase.ALL:
            return share(float(rows["count"].iloc[0]), self.known, self.unknown, base)
        s = rows["share"].iloc[0]
        return None if s is None or (isinstance(s, float) and math.isnan(s)) else float(s)

    def shares_phrase(self, base: ShareBase = ShareBase.ALL, values: list[Any] | None = None) -> str:
        """The rows as '70% adults, 5% minors, 25% unknown' (ALL) or with the unknown count (KNOWN)."""
        d = self.data if values is None else self.data[self.data["value"].isin(values)]
        items = [(str(lab), float(c)) for lab, c in zip(d["label"], d["count"], strict=True)]
        return shares_phrase(items, self.known, self.unknown, base)

    def count_of(self, value: Any) -> float:
        rows = self.data[self.data["value"] == value]
        return 0 if rows.empty else float(rows["count"].iloc[0])

    def with_unknown(self, label: str = "Unknown") -> IndicatorTable:
        """A copy in the published report's convention: an Unknown row, and shares of all records.

        ``known`` and ``unknown`` stay as they are; only the rows and their shares change.
        """
        d = self.data.copy()
        total = self.known + self.unknown
        d["share"] = [share(float(c), self.known, self.unknown, ShareBase.ALL) for c in d["count"]]
        if self.unknown:
            extra = {col: None for col in d.columns}
            extra.update(value=None, label=label, count=int(self.unknown), share=self.unknown / total)
            d = pd.concat([d, pd.DataFrame([extra])], ignore_index=True)
        return IndicatorTable(
            name=self.name, title=self.title, data=d, unit=self.unit, known=self.known, unknown=self.unknown,
            individuals=self.individuals, source=self.source, note=self.note, sql=self.sql,
            params=list(self.params), filters=dict(self.filters), share_base=ShareBase.ALL,
        )

    def to_dict(self) -> dict[str, Any]:
        rows = self.data.astype(object).where(self.data.notna(), None).to_dict(orient="records")
        return {
            "name": self.name,
            "title": self.title,
            "unit": self.unit,
            "known": _num(self.known),
            "unknown": int(self.unknown),
            "individuals": self.individuals,
            "source": self.source,
            "note": self.note,
            "filters": self.filters,
            "share_base": str(self.share_base),
            "sql": self.sql,
            "params": [p for p in self.params],
            "rows": [{k: _num(v) for k, v in r.items()} for r in rows],
        }

    def to_csv(self, path: Path | str | None = None) -> str:
        """The rows as CSV, followed by no footer (unknown and unit are in the XLSX notes and to_dict)."""
        buf = io.StringIO()
        safe_frame(self.data).to_csv(buf, index=False)
        text = buf.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def _num(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v

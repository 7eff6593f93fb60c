"""What a report is made of: sections holding figures, each figure one table and one chart.

The text of a section quotes the same IndicatorTable its chart is drawn from,
and every figure carries a caption saying what is counted, how many values are
unknown and where the data come from. Other layers add sections through
``register_section`` (the prevalence layer adds its estimate this way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import duckdb

from ctdata.analytics.filters import Filters
from ctdata.analytics.table import IndicatorTable
from ctdata.analytics.units import counted


def fmt_n(v: float | int | None) -> str:
    if v is None:
        return "n/a"
    return f"{v:,.0f}"


def fmt_pct(v: float | None, decimals: int = 0) -> str:
    if v is None or v != v:  # NaN
        return "n/a"
    if 0 < abs(v) < 0.0095 and decimals == 0:  # from 0.95% it reads '1%', not '1.0%'
        return "<1%" if abs(v) < 0.001 else f"{v * 100:.1f}%"
    return f"{v * 100:.{decimals}f}%"


@dataclass
class Figure:
    """One chart with the table it is drawn from (and the sentence it supports)."""

    id: str
    title: str
    table: IndicatorTable | None = None
    chart: Callable[[], alt.TopLevelMixin] | None = None  # built lazily, in the rendering phase
    text: str = ""
    svg: str = ""
    wide: bool = False
    png: bool = False
    caption_text: str = ""

    @property
    def empty(self) -> bool:
        return self.table is None or self.table.empty

    @property
    def caption(self) -> str:
        t = self.table
        if self.caption_text:
            return self.caption_text
        if t is None:
            return ""
        if t.empty:
            if t.total:
                one = t.total == 1
                return (
                    f"No known value: {'the' if one else 'all'} {counted(t.total, t.unit, fmt_n(t.total))} counted "
                    f"here {'has' if one else 'have'} this item unrecorded (unknown)."
                )
            return t.note or "No data."
        parts = [f"Counted: {t.unit}."]
        if t.unit not in ("USD",) and str(t.share_base) == "all":
            with_unknown = (
                f"the {fmt_n(t.unknown)} with an unknown value included" if t.unknown else "none with an unknown value"
            )
            parts.append(f"Shares are of all {fmt_n(t.total)}, {with_unknown} (the published report's convention).")
        elif t.unit not in ("USD",):
            parts.append(f"Shares are of {fmt_n(t.known)} with a known value; unknown: {fmt_n(t.unknown)}.")
        else:
            parts.append(f"Total known: ${fmt_n(t.known)}; unattributed: ${fmt_n(t.unknown)}.")
        if isinstance(t.individuals, int):
            parts.append(f"Individuals (distinct linked persons): {fmt_n(t.individuals)}.")
        elif isinstance(t.individuals, str):
            parts.append(f"Individuals: {t.individuals}.")
        if t.note:
            parts.append(t.note)
        parts.append(t.source_text)
        return " ".join(parts)


@dataclass
class Section:
    """A titled part of the report; ``empty_note`` replaces the body when there is no data."""

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    html: str = ""
    empty_note: str = ""
    level: int = 2
    kicker: str = ""
    narrative: str = ""  # HTML from the report's narrative folder (report.narrative), after the paragraphs

    @property
    def tables(self) -> list[tuple[str, IndicatorTable]]:
        return [(f"{self.id}__{f.id}", f.table) for f in self.figures if f.table is not None]


@dataclass
class ReportContext:
    """Everything a section needs: the connection, the year and the user's filters."""

    con: duckdb.DuckDBPyConnection
    year: int
    filters: Filters
    years_available: list[int] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def year_filters(self) -> Filters:
        return self.filters.for_year(self.year)

    @property
    def previous_year(self) -> int | None:
        earlier = [y for y in self.years_available if y < self.year]
        return max(earlier) if earlier else None


SectionFn = Callable[[ReportContext], Section | list[Section] | None]
_EXTRA: dict[str, SectionFn] = {}


def register_section(name: str, render_fn: SectionFn) -> None:
    """Add a section from another layer; it renders after the report's own sections, before the annexes.

    ``render_fn(ctx)`` returns a Section (or a list, or None to add nothing). Registering a
    name again replaces the earlier function.
    """
    _EXTRA[name] = render_fn


def registered_sections() -> dict[str, SectionFn]:
    return dict(_EXTRA)


def unregister_section(name: str) -> None:
    _EXTRA.pop(name, None)

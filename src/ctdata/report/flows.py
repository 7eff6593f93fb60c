"""Workflows of the report layer: bring the warehouse up to date once, then render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctdata.analytics.filters import Filters


def annual_report(
    year: int,
    out: Path,
    *,
    filters: dict[str, Any] | None = None,
    pdf: bool = True,
    progress: bool = True,
    narrative: Path | None = None,
    engine: str = "duckdb",
) -> dict[str, Any]:
    """Build the warehouse (incrementally) and render the annual report of ``year`` into ``out``.

    ``narrative``: a folder of Markdown files, one per section (see report.narrative).
    """
    from ctdata.report.annual import render_annual
    from ctdata.warehouse.build import build

    build(progress=progress)
    from ctdata.report.narrative import load

    load(narrative)  # refuse a bad folder before building anything
    return render_annual(
        year, Path(out), filters=Filters.from_dict(filters), progress=progress, pdf=pdf, narrative=narrative,
        engine=engine,
    )

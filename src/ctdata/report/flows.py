"""Workflows of the report layer: bring the warehouse up to date once, then render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctdata.analytics.filters import Filters


def annual_report(
    year: int, out: Path, *, filters: dict[str, Any] | None = None, pdf: bool = True, progress: bool = True
) -> dict[str, Any]:
    """Build the warehouse (incrementally) and render the annual report of ``year`` into ``out``."""
    from ctdata.report.annual import render_annual
    from ctdata.warehouse.build import build

    build(progress=progress)
    return render_annual(year, Path(out), filters=Filters.from_dict(filters), progress=progress, pdf=pdf)

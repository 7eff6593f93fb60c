"""Bodies of the `ctdata report ...` verbs, kept free of Typer so the CLI stays a thin wrapper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ctdata.analytics.filters import Filters


def annual_command(
    year: int, out: Path, as_json: bool = False, filters: dict[str, Any] | None = None, pdf: bool = True
) -> dict[str, Any]:
    """`ctdata report annual --year Y --out DIR`: bring the warehouse up to date, then render the report."""
    from ctdata.report.annual import render_annual
    from ctdata.warehouse.build import build

    build(progress=not as_json)
    result = render_annual(year, Path(out), filters=Filters.from_dict(filters), progress=not as_json, pdf=pdf)
    if as_json:
        print(json.dumps(result, indent=1))
    else:
        from rich.console import Console

        c = Console()
        empty = [s["title"] for s in result["sections"] if s["empty"]]
        c.print(f"[bold]Annual report {year}[/bold]: {result['paths']['html']}")
        if "pdf" in result["paths"]:
            c.print(f"PDF: {result['paths']['pdf']}")
        c.print(f"{result['paths']['table_count']} tables: {result['paths']['tables']} and {result['paths']['xlsx']}")
        if empty:
            c.print(f"[yellow]sections without data[/yellow]: {', '.join(empty)}")
        c.print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result["seconds"].items()))
    return result

"""`ctdata report ...`: headline indicators and the annual report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ctdata.cli.output import JsonOpt, console, emit_json

app = typer.Typer(no_args_is_help=True, help="Indicators and the annual report.")


@app.command("indicators")
def report_indicators(as_json: JsonOpt = False) -> None:
    """Headline indicators over the store, counted as instances of assistance."""
    from ctdata.analytics.indicators import headline
    from ctdata.standard import countries
    from ctdata.warehouse.build import build

    build(progress=False)
    data = headline()
    if as_json:
        emit_json(data)
        return
    console.print(f"[bold]{data['instances']:,} instances of assistance[/bold] "
                  f"(individuals: {data.get('individuals') or 'not yet linked'})")
    t = Table("indicator", "value", "count", "share of known")
    known_sex = sum(v for k, v in data["by_sex"].items() if k != "unknown")

    def rows(name: str, m: dict[str, int], known: int, label: Callable[[str], str] = str, top: int = 10) -> None:
        for i, (k, v) in enumerate(sorted(m.items(), key=lambda kv: -kv[1])[:top]):
            share = f"{v / known:.0%}" if known and k != "unknown" else ""
            t.add_row(name if i == 0 else "", label(k), f"{v:,}", share)

    rows("sex", data["by_sex"], known_sex)
    ages = data["children"] + data["adults"]
    t.add_row("age", "children", f"{data['children']:,}", f"{data['children'] / ages:.0%}" if ages else "")
    t.add_row("", "adults", f"{data['adults']:,}", f"{data['adults'] / ages:.0%}" if ages else "")
    t.add_row("", "unknown", f"{data['age_unknown']:,}", "")
    cb = data["cross_border"] + data["internal"]
    t.add_row("journey", "cross-border", f"{data['cross_border']:,}", f"{data['cross_border'] / cb:.0%}" if cb else "")
    t.add_row("", "internal", f"{data['internal']:,}", f"{data['internal'] / cb:.0%}" if cb else "")
    rows("citizenship", data["by_citizenship"], sum(data["by_citizenship"].values()), countries.name)
    rows("exploitation country", data["by_country_of_exploitation"],
         sum(data["by_country_of_exploitation"].values()), countries.name)
    rows("exploitation type", data["by_exploitation_type"], data["exploitation_known"])
    rows("regional office", data["by_regional_office"], sum(data["by_regional_office"].values()))
    console.print(t)
    console.print("Shares are of records with a known value; unknowns are listed beside them. "
                  "Counts are instances of assistance: one person assisted by two offices counts twice.")


@app.command("annual")
def report_annual(
    year: Annotated[int, typer.Option(help="Report year.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("annual-report"),
    as_json: JsonOpt = False,
) -> None:
    """Render the annual report (HTML, PDF, tables as CSV/XLSX) from the warehouse."""
    from ctdata.report.flows import annual_report

    result = annual_report(year, out, progress=not as_json)
    if as_json:
        emit_json(result)
        return
    paths = result["paths"]
    console.print(f"[bold]Annual report {year}[/bold]: {paths['html']}")
    if "pdf" in paths:
        console.print(f"PDF: {paths['pdf']}")
    console.print(f"{paths['table_count']} tables: {paths['tables']} and {paths['xlsx']}")
    empty = [s["title"] for s in result["sections"] if s["empty"]]
    if empty:
        console.print(f"[yellow]sections without data[/yellow]: {', '.join(empty)}")
    console.print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result["seconds"].items()))

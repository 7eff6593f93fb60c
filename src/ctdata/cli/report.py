"""`ctdata report ...`: headline indicators and the annual report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ctdata.cli.output import JsonOpt, console, emit_json
from ctdata.standard.units import counted

app = typer.Typer(no_args_is_help=True, help="Indicators and the annual report.")
EngineOpt = Annotated[
    str,
    typer.Option(help="Run the tables' SQL on duckdb (this machine) or spark (the [spark] settings of ctdata.toml)."),
]


@app.command("indicators")
def report_indicators(
    as_json: JsonOpt = False,
    engine: EngineOpt = "duckdb",
    shares: Annotated[
        str, typer.Option(help="Denominator of shares: 'known' (records with a known value) or 'all' (unknowns too).")
    ] = "known",
) -> None:
    """Headline indicators over the store, in case records (instances of assistance or hotline reports)."""
    from ctdata.analytics.indicators import headline, indicator_rows
    from ctdata.analytics.units import ShareBase
    from ctdata.errors import ValidationError
    from ctdata.warehouse.build import build
    from ctdata.warehouse.query import connect

    try:
        base = ShareBase(shares)
    except ValueError:
        raise ValidationError(f"--shares must be 'known' or 'all', not {shares!r}") from None
    build(progress=False)
    con = connect(engine=engine)
    try:
        data = headline(con=con)
    finally:
        con.close()
    if as_json:
        emit_json(data)
        return
    n = data["instances"]
    hot = f"; {data['hotline_reports']:,} of them hotline reports" if data.get("hotline_reports") else ""
    console.print(f"[bold]{counted(n, data['count_unit'], f'{n:,}')}[/bold]{hot} "
                  f"(individuals: {data.get('individuals') or 'not yet linked'})")
    t = Table("indicator", "value", "count", f"share of {'known' if base is ShareBase.KNOWN else 'all'}",
              "unknown (of all records)")
    for r in indicator_rows(data, base):
        t.add_row(r["indicator"], r["label"], f"{r['count']:,}", r["share_text"],
                  f"{r['unknown']:,} of {r['total']:,}")
    console.print(t)
    console.print(f"Counts are {data['count_unit']}: one person assisted by two offices counts twice. "
                  + ("Shares are of records with a known value; the last column says how many are unknown."
                     if base is ShareBase.KNOWN else
                     "Shares are of all records, unknowns included (the published report's convention)."))


@app.command("perpetrators")
def report_perpetrators(as_json: JsonOpt = False) -> None:
    """Victims and their perpetrators: within-region share (with its definition), relation, sex, age."""
    from ctdata.analytics.perpetrators import summary
    from ctdata.warehouse.build import build
    from ctdata.warehouse.query import connect

    build(progress=False)
    data = summary(connect())
    if as_json:
        emit_json(data)
        return
    share = data["within_region_share"]
    console.print(f"[bold]{data['victims']:,} victims[/bold] with perpetrators recorded")
    console.print(f"within region: {share:.1%}" if share is not None else "within region: no victim with known regions",
                  f"(exact: {data['within_region_exact_share'] or 0:.1%}; known {data['within_region_known']:,}, "
                  f"unknown {data['within_region_unknown']:,})")
    console.print(data["definition"])
    t = Table("table", "value", "victims", "share of known")
    for name in ("relation", "perpetrator_sex", "perpetrator_age", "perpetrator_roles"):
        for i, (k, v) in enumerate(data[name]["shares"].items()):
            t.add_row(name if i == 0 else "", k, f"{data[name]['counts'][k]:,}", f"{v:.0%}")
    console.print(t)


@app.command("networks")
def report_networks(
    top: Annotated[int, typer.Option(help="How many of the largest networks to list.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Networks of victims linked through shared perpetrators, phone numbers, documents or addresses
    (pseudonymous ids only; after `ctdata link perpetrators` perpetrators are de-duplicated persons)."""
    from ctdata.analytics.networks import from_warehouse
    from ctdata.warehouse.build import build
    from ctdata.warehouse.query import connect

    build(progress=False)
    data = from_warehouse(connect()).to_dict(top=top)
    if as_json:
        emit_json(data)
        return
    t = Table("network", "victims", "perpetrators", "shared identifiers", "corridors")
    for r in data["rows"]:
        t.add_row(r["network"], f"{r['victims']:,}", f"{r['perpetrators']:,}", f"{r['identifiers']:,}",
                  ", ".join(f"{k} ({v})" for k, v in list(r["corridors"].items())[:3]))
    console.print(f"[bold]{data['networks']:,} networks[/bold]")
    console.print(t)


@app.command("annual")
def report_annual(
    year: Annotated[int, typer.Option(help="Report year.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("annual-report"),
    narrative: Annotated[
        Path | None, typer.Option(help="Folder of Markdown files, one per section (see narrative-template).")
    ] = None,
    as_json: JsonOpt = False,
    engine: EngineOpt = "duckdb",
) -> None:
    """Render the annual report (HTML, PDF, tables as CSV/XLSX) from the warehouse."""
    from ctdata.report.flows import annual_report

    result = annual_report(year, out, progress=not as_json, narrative=narrative, engine=engine)
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


@app.command("narrative-template")
def report_narrative_template(
    out: Annotated[Path, typer.Option(help="Folder to write the Markdown files into.")] = Path("narrative"),
    year: Annotated[int | None, typer.Option(help="Report year (named in the placeholders).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace files that exist (kept by default).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write one Markdown file per report section with placeholders, for `report annual --narrative`."""
    from ctdata.report.narrative import slots, write_templates

    written = write_templates(out, year, overwrite=overwrite)
    if as_json:
        emit_json({"out": str(out), "written": [str(p) for p in written], "sections": [s.id for s in slots()]})
        return
    kept = len(slots()) - len(written)
    console.print(f"{len(written)} narrative files written to {out}" + (f" ({kept} kept as they were)" if kept else ""))
    console.print(f"Edit them, then: ctdata report annual --year YEAR --narrative {out}")

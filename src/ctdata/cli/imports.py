"""`ctdata import ...`: CTDC releases, the standard template and the projects table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ctdata.cli.output import JsonOpt, console, emit_json, err, progress_bar

app = typer.Typer(no_args_is_help=True, help="Import partner data into the case store.")

_COUNTS = ("rows_read", "loaded", "inserted", "updated", "already_present", "quarantined")


def print_import(result: Any, as_json: bool) -> None:
    d = result.to_dict()
    if as_json:
        emit_json(d)
        return
    for n in d.get("notices", []):
        err.print(f"[yellow]note:[/yellow] {n}")
    t = Table(title=f"Import of {Path(d['path']).name}" + (f" ({d['release']})" if d.get("release") else ""))
    for c in _COUNTS:
        t.add_column(c.replace("_", " "), justify="right")
    t.add_row(*(f"{d[c]:,}" for c in _COUNTS))
    console.print(t)
    for name, s in d.get("tables", {}).items():
        console.print(
            f"  {name}: read {s['rows_read']:,} = new {s['inserted']:,} + changed {s['updated']:,} "
            f"+ already present {s['already_present']:,} + quarantined {s['quarantined']:,}"
        )
    if d["top_reasons"]:
        console.print("Most common reasons for quarantine (see `ctdata quarantine list`):")
        for r, n in d["top_reasons"].items():
            console.print(f"  {n:>7,}  {r}")
    console.print(
        f"rows_read {d['rows_read']:,} = new {d['inserted']:,} + changed {d['updated']:,} "
        f"+ already present {d['already_present']:,} + quarantined {d['quarantined']:,}"
    )


def _run_import(label: str, importer: Callable[..., Any], path: Path, encoding: str, as_json: bool) -> None:
    """Run one file importer under a progress bar, then print its result."""
    with progress_bar(label, not as_json) as (adv, total):
        result = importer(path, encoding=encoding, progress=adv, on_total=total)
    print_import(result, as_json)


@app.command("ctdc")
def import_ctdc_cmd(
    path: Annotated[Path, typer.Argument(help="CTDC release: CSV, CSV.gz or XLSX.")],
    as_json: JsonOpt = False,
    encoding: Annotated[str, typer.Option(help="Text encoding of a CSV file.")] = "utf-8-sig",
) -> None:
    """Import a public CTDC global dataset (k-anonymised 2017-2021 or synthetic 2024+)."""
    from ctdata.ingest.ctdc_import import import_ctdc

    _run_import("Importing CTDC", import_ctdc, path, encoding, as_json)


@app.command("standard")
def import_standard_cmd(
    path: Annotated[Path, typer.Argument(help="records.csv (companion CSVs beside it), a folder, or a workbook.")],
    as_json: JsonOpt = False,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files.")] = "utf-8-sig",
) -> None:
    """Import records in the ctdata standard template (see `ctdata standard template`)."""
    from ctdata.ingest.standard_import import import_standard

    _run_import("Importing records", import_standard, path, encoding, as_json)


@app.command("projects")
def import_projects_cmd(
    path: Annotated[Path, typer.Argument(help="CSV with project, countries, donor, amount, year.")],
    as_json: JsonOpt = False,
) -> None:
    """Import the projects table used for funding by regional office."""
    from ctdata.ingest.projects import import_projects

    result = import_projects(path)
    if as_json:
        emit_json(result)
    else:
        console.print(f"projects: read {result['rows_read']}, loaded {result['loaded']}, "
                      f"quarantined {result['quarantined']}")
        for r in result.get("reasons", [])[:10]:
            console.print(f"  row {r['row']}: {r['reason']}")

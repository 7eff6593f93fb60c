"""`ctdata import ...`: CTDC releases, the standard template and the projects table."""

from __future__ import annotations

from importlib import import_module
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


def _file_import(name: str, importer: str, label: str, path_help: str, encoding_help: str, doc: str) -> None:
    """Add `ctdata import <name> PATH [--json] [--encoding]`, running ``importer`` ("module:function",
    imported when the command runs) under a progress bar and printing its result."""

    def command(
        path: Path = typer.Argument(..., help=path_help),
        as_json: JsonOpt = False,
        encoding: str = typer.Option("utf-8-sig", help=encoding_help),
    ) -> None:
        module, function = importer.split(":")
        run_import = getattr(import_module(module), function)
        with progress_bar(label, not as_json) as (adv, total):
            result = run_import(path, encoding=encoding, progress=adv, on_total=total)
        print_import(result, as_json)

    command.__doc__ = doc
    command.__name__ = f"import_{name}_cmd"
    app.command(name)(command)


_file_import(
    "ctdc",
    "ctdata.ingest.ctdc_import:import_ctdc",
    "Importing CTDC",
    "CTDC release: CSV, CSV.gz or XLSX.",
    "Text encoding of a CSV file.",
    "Import a public CTDC global dataset (k-anonymised 2017-2021 or synthetic 2024+).",
)
_file_import(
    "standard",
    "ctdata.ingest.standard_import:import_standard",
    "Importing records",
    "records.csv (companion CSVs beside it), a folder, or a workbook.",
    "Text encoding of CSV files.",
    "Import records in the ctdata standard template (see `ctdata standard template`).",
)
_file_import(
    "odk",
    "ctdata.ingest.field_import:import_odk",
    "Importing ODK submissions",
    "ODK Central export of the ctdata form: CSV (repeat CSVs beside it), the CSV zip, or OData JSON.",
    "Text encoding of CSV files.",
    "Import submissions of the ctdata XLSForm from ODK Central (see `ctdata forms xlsform`).",
)
_file_import(
    "kobo",
    "ctdata.ingest.field_import:import_kobo",
    "Importing Kobo submissions",
    "KoboToolbox export of the ctdata form: CSV or the data API's JSON.",
    "Text encoding of CSV files.",
    "Import submissions of the ctdata XLSForm from KoboToolbox (see `ctdata forms xlsform`).",
)


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

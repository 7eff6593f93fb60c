"""`ctdata standard ...`: the data dictionary and the exchange template."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ctdata.cli.output import console, err
from ctdata.errors import CtdataError

app = typer.Typer(no_args_is_help=True, help="The case data standard: dictionary and template.")


@app.command("dictionary")
def standard_dictionary(
    fmt: Annotated[str, typer.Option("--format", help="markdown, csv or json")] = "markdown",
    out: Annotated[Path | None, typer.Option(help="Write to a file instead of stdout.")] = None,
) -> None:
    """Print the data dictionary, generated from the standard's definitions."""
    from ctdata.standard.dictionary import render

    if fmt not in ("markdown", "csv", "json"):
        raise CtdataError(f"unknown format {fmt!r}: use markdown, csv or json")
    text = render(fmt)
    if out:
        out.write_text(text, encoding="utf-8")
        err.print(f"wrote {out}")
    else:
        sys.stdout.write(text)


@app.command("template")
def standard_template(
    out: Annotated[Path, typer.Option(help="Folder (CSV files) or .xlsx workbook to write.")] = Path("ctdata-template"),
) -> None:
    """Write the empty exchange template (records + companion tables) and its documentation."""
    from ctdata.ingest.template_files import write_template

    paths = write_template(out)
    for p in paths:
        console.print(f"wrote {p}")

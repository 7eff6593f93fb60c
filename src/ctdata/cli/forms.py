"""`ctdata forms ...`: field collection forms generated from the standard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ctdata.cli.output import console

app = typer.Typer(no_args_is_help=True, help="Field collection forms (XLSForm for ODK and KoboToolbox).")


@app.command("xlsform")
def forms_xlsform(
    out: Annotated[Path, typer.Option(help="Folder to write the form into.")] = Path("ctdata-forms"),
) -> None:
    """Write the registration and screening form as an XLSForm (English, French, Spanish, Arabic)."""
    from ctdata.ingest.xlsform import write_xlsform

    for p in write_xlsform(out):
        console.print(f"wrote {p}")

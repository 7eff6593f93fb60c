"""`ctdata export ...`: the store's de-identified records in other public formats."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ctdata.cli.output import JsonOpt, console, emit_json
from ctdata.cli.user import PasswordStdinOpt, login
from ctdata.publish.settings import KAnonSettings

app = typer.Typer(no_args_is_help=True, help="Export de-identified records in other formats.")
_KANON = KAnonSettings()


@app.command("ctdc")
def export_ctdc_cmd(
    out: Annotated[Path, typer.Option(help="CSV file to write (the CTDC k-anonymised layout).")],
    by: Annotated[str, typer.Option("--by", help="Your data-manager or admin account (password checked; audited).")],
    k: Annotated[int, typer.Option(help="Smallest equivalence class.")] = _KANON.k,
    include_unknown_consent: Annotated[bool, typer.Option(help="Include records whose consent is unknown.")] = False,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write consented, k-anonymised records in the public CTDC format (`ctdata import ctdc` reads it)."""
    from ctdata.publish.flows import export_ctdc

    actor = login(by, password_stdin)
    report = export_ctdc(actor, out, KAnonSettings(k=k, include_unknown_consent=include_unknown_consent))
    if as_json:
        emit_json(report)
        return
    console.print(f"wrote {out}: {report['rows']:,} records in the CTDC format (k = {k}; "
                  f"{report['excluded_no_consent']:,} without research consent left out, "
                  f"{report.get('records_suppressed', 0):,} suppressed)")

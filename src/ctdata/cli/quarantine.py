"""`ctdata quarantine ...`: review and retry rejected import rows."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ctdata.cli.output import JsonOpt, console, emit_json
from ctdata.errors import CtdataError

app = typer.Typer(no_args_is_help=True, help="Review and retry rejected import rows.")


@app.command("list")
def quarantine_list(
    as_json: JsonOpt = False,
    status: Annotated[str, typer.Option(help="open, resolved, superseded, dismissed or all")] = "open",
    limit: int = 50,
) -> None:
    """List quarantined rows with their reasons."""
    from ctdata.ingest.quarantine import list_rows

    rows = list_rows(status=status, limit=limit)
    if as_json:
        emit_json(rows)
        return
    t = Table(title=f"Quarantine ({status})")
    for c in ("id", "batch", "table", "row", "status", "reason"):
        t.add_column(c)
    for r in rows:
        t.add_row(str(r["id"]), str(r["batch_id"]), r["table"], str(r["row_number"]), r["status"], r["reason"])
    console.print(t)


@app.command("show")
def quarantine_show(qid: Annotated[int, typer.Argument(help="Quarantine row id.")], as_json: JsonOpt = False) -> None:
    """Show one quarantined row with its original values (decrypted) and its reason."""
    from ctdata.ingest.quarantine import show_row

    row = show_row(qid)
    if as_json:
        emit_json(row)
        return
    console.print(f"[bold]Quarantine row {row['id']}[/bold] (batch {row['batch_id']}, {row['table']} "
                  f"row {row['row_number']}, {row['status']})")
    console.print(f"[red]reason:[/red] {row['reason']}")
    t = Table("column", "value")
    for k, v in row["values"].items():
        t.add_row(k, "" if v is None else str(v))
    console.print(t)


@app.command("retry")
def quarantine_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Quarantine row ids (default: all open).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Correction COLUMN=VALUE (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate quarantined rows again (with optional corrections) and load those that now pass."""
    from ctdata.ingest.quarantine import retry

    fixes: dict[str, str] = {}
    for s in set_ or []:
        if "=" not in s:
            raise CtdataError(f"--set expects COLUMN=VALUE, got {s!r}")
        k, v = s.split("=", 1)
        fixes[k.strip()] = v
    result = retry(ids or None, fixes)
    if as_json:
        emit_json(result)
    else:
        console.print(f"retried {result['retried']}: loaded {result['loaded']}, still quarantined "
                      f"{result['still_quarantined']}; companion rows loaded {result['companions_loaded']}")
        for r in result["reasons"][:20]:
            console.print(f"  {r['id']}: {r['reason']}")

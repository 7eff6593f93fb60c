"""The `ctdata` command.

Each verb is a thin shell over a library function of its layer: parse the
options, show progress, print a Rich table or --json, and turn user errors
(CtdataError) into one clear line and a non-zero exit code. Imports are lazy
so `ctdata --help` stays quick.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ctdata.errors import CtdataError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="ctdata: counter-trafficking case data, from case management to safe publication.")
import_app = typer.Typer(no_args_is_help=True, help="Import partner data into the case store.")
standard_app = typer.Typer(no_args_is_help=True, help="The case data standard: dictionary and template.")
quarantine_app = typer.Typer(no_args_is_help=True, help="Review and retry rejected import rows.")
report_app = typer.Typer(no_args_is_help=True, help="Indicators and the annual report.")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")
user_app = typer.Typer(no_args_is_help=True, help="User accounts of the web app and API.")
warehouse_app = typer.Typer(no_args_is_help=True, help="The de-identified Parquet warehouse.")
app.add_typer(import_app, name="import")
app.add_typer(standard_app, name="standard")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(report_app, name="report")
app.add_typer(audit_app, name="audit")
app.add_typer(user_app, name="user")
app.add_typer(warehouse_app, name="warehouse")

console = Console()
err = Console(stderr=True)
_state: dict[str, Any] = {"debug": False}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A Rich progress bar on stderr; yields (advance, set_total)."""
    if not enabled or not err.is_terminal and os.environ.get("CTDATA_PROGRESS") != "1":
        yield (lambda _n: None), (lambda _t: None)
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err, transient=False) as prog:
        task = prog.add_task(label, total=None)
        yield (lambda n: prog.advance(task, n)), (lambda t: prog.update(task, total=t or None))


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False) -> None:
    _state["debug"] = debug


# --------------------------------------------------------------------------- import
def _print_import(result: Any, as_json: bool) -> None:
    d = result.to_dict()
    if as_json:
        emit_json(d)
        return
    for n in d.get("notices", []):
        err.print(f"[yellow]note:[/yellow] {n}")
    t = Table(title=f"Import of {Path(d['path']).name}" + (f" ({d['release']})" if d.get("release") else ""))
    for c in ("rows_read", "loaded", "inserted", "updated", "already_present", "quarantined"):
        t.add_column(c.replace("_", " "), justify="right")
    t.add_row(*(f"{d[c]:,}" for c in ("rows_read", "loaded", "inserted", "updated", "already_present", "quarantined")))
    console.print(t)
    for name, s in d.get("tables", {}).items():
        console.print(f"  {name}: read {s['rows_read']:,}, loaded {s['loaded']:,}, quarantined {s['quarantined']:,}")
    if d["top_reasons"]:
        console.print("Most common reasons for quarantine (see `ctdata quarantine list`):")
        for r, n in d["top_reasons"].items():
            console.print(f"  {n:>7,}  {r}")
    console.print(f"rows_read {d['rows_read']:,} = loaded {d['loaded']:,} + quarantined {d['quarantined']:,}")


@import_app.command("ctdc")
def import_ctdc_cmd(
    path: Annotated[Path, typer.Argument(help="CTDC release: CSV, CSV.gz or XLSX.")],
    as_json: JsonOpt = False,
    encoding: Annotated[str, typer.Option(help="Text encoding of a CSV file.")] = "utf-8-sig",
) -> None:
    """Import a public CTDC global dataset (k-anonymised 2017-2021 or synthetic 2024+)."""
    from ctdata.ingest.ctdc_import import import_ctdc

    with progress_bar("Importing CTDC", not as_json) as (adv, total):
        result = import_ctdc(path, encoding=encoding, progress=adv, on_total=total)
    _print_import(result, as_json)


@import_app.command("standard")
def import_standard_cmd(
    path: Annotated[Path, typer.Argument(help="records.csv (companion CSVs beside it), a folder, or a workbook.")],
    as_json: JsonOpt = False,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files.")] = "utf-8-sig",
) -> None:
    """Import records in the ctdata standard template (see `ctdata standard template`)."""
    from ctdata.ingest.standard_import import import_standard

    with progress_bar("Importing records", not as_json) as (adv, total):
        result = import_standard(path, encoding=encoding, progress=adv, on_total=total)
    _print_import(result, as_json)


@import_app.command("projects")
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


# --------------------------------------------------------------------------- quarantine
@quarantine_app.command("list")
def quarantine_list(
    as_json: JsonOpt = False,
    status: Annotated[str, typer.Option(help="open, resolved, dismissed or all")] = "open",
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


@quarantine_app.command("show")
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


@quarantine_app.command("retry")
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
                      f"{result['still_quarantined']}")
        for r in result["reasons"][:20]:
            console.print(f"  {r['id']}: {r['reason']}")


# --------------------------------------------------------------------------- standard
@standard_app.command("dictionary")
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


@standard_app.command("template")
def standard_template(
    out: Annotated[Path, typer.Option(help="Folder (CSV files) or .xlsx workbook to write.")] = Path("ctdata-template"),
) -> None:
    """Write the empty exchange template (records + companion tables) and its documentation."""
    from ctdata.ingest.template_files import write_template

    paths = write_template(out)
    for p in paths:
        console.print(f"wrote {p}")


# --------------------------------------------------------------------------- audit
@audit_app.command("verify")
def audit_verify(
    as_json: JsonOpt = False,
    expect_head: Annotated[str | None, typer.Option(help="Head hash recorded earlier (detects truncation).")] = None,
) -> None:
    """Check the audit chain: any edited or deleted entry is reported."""
    from ctdata.store import audit, db

    with db.session_scope() as s:
        res = audit.verify(s, expect_head=expect_head)
    if as_json:
        emit_json(res.to_dict())
    elif res.ok:
        console.print(f"[green]audit log intact[/green]: {res.entries:,} entries, head {res.head[:16]}")
    else:
        for p in res.problems[:20]:
            err.print(f"[red]{p}[/red]")
    if not res.ok:
        raise typer.Exit(6)


@audit_app.command("list")
def audit_list(limit: int = 20, as_json: JsonOpt = False) -> None:
    """Show the latest audit entries."""
    from sqlalchemy import select

    from ctdata.store import db
    from ctdata.store.models import AuditEntry

    with db.session_scope() as s:
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).scalars().all()
        data = [{"id": e.id, "ts": e.ts.isoformat(), "actor": e.actor, "action": e.action, "entity": e.entity,
                 "entity_id": e.entity_id, "reason": e.reason} for e in rows]
    if as_json:
        emit_json(data)
        return
    t = Table("id", "time", "actor", "action", "entity", "id", "reason")
    for d in data:
        t.add_row(str(d["id"]), d["ts"][:19], d["actor"], d["action"], d["entity"], str(d["entity_id"] or ""),
                  d["reason"] or "")
    console.print(t)


# --------------------------------------------------------------------------- migrate
@app.command("migrate")
def migrate() -> None:
    """Bring the case store's schema up to date (other commands do this too)."""
    from ctdata.store import db

    eng = db.upgrade()
    console.print(f"case store at revision {db.current_revision(eng)} ({eng.url.render_as_string()})")


# --------------------------------------------------------------------------- simulate
@app.command("simulate")
def simulate_cmd(
    records: Annotated[int, typer.Option(help="Number of case records to generate.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 1,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("simulated"),
    as_json: JsonOpt = False,
) -> None:
    """Write a synthetic multi-agency dataset in the standard template, with ground truth."""
    from ctdata.simulate.commands import simulate_command

    if records < 1:
        raise CtdataError("--records must be at least 1")
    simulate_command(records, seed, out, as_json)


# --------------------------------------------------------------------------- report
@report_app.command("indicators")
def report_indicators(as_json: JsonOpt = False) -> None:
    """Headline indicators over the store, counted as instances of assistance."""
    from ctdata.analytics.indicators import headline
    from ctdata.warehouse.build import build

    build(progress=False)
    data = headline()
    if as_json:
        emit_json(data)
        return
    from ctdata.standard import countries

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


# --------------------------------------------------------------------------- warehouse
@warehouse_app.command("build")
def warehouse_build(
    full: Annotated[bool, typer.Option("--full", help="Rebuild everything, not just what changed.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write the de-identified Parquet snapshot of the store (incremental by default)."""
    from ctdata.warehouse.build import build

    res = build(full=full, progress=not as_json)
    if as_json:
        emit_json(res)
    else:
        console.print(f"warehouse at {res['path']}: {res['cases']:,} case records; "
                      f"rewrote {len(res['rewritten'])} of {res['partitions']} partitions"
                      + (f" ({', '.join(map(str, res['rewritten'][:8]))})" if res["rewritten"] else ""))


# --------------------------------------------------------------------------- demo
@app.command("demo")
def demo(
    records: Annotated[int, typer.Option(help="Size of the simulated dataset.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2011,
    out: Annotated[Path, typer.Option(help="Where to write the demo's files.")] = Path("ctdata-demo"),
) -> None:
    """Simulate a multi-agency dataset, import it, and show the headline figures."""
    from ctdata.cli_demo import run_demo

    run_demo(records=records, seed=seed, out=out, console=console)


def _register_optional() -> None:
    """Verbs of later layers register themselves here (kept in their own module)."""
    from ctdata import cli_more

    cli_more.register(app)


def main() -> None:
    try:
        _register_optional()
    except ImportError:
        pass
    try:
        app()
    except CtdataError as exc:
        if _state["debug"]:
            raise
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; nothing half-written was kept")
        sys.exit(130)


if __name__ == "__main__":
    main()

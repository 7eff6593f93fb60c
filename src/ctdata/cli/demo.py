"""`ctdata demo`: the whole chain on synthetic data, in about a minute.

Simulate a multi-agency dataset, import it into the store, build the
warehouse, compute the headline table, link records into individuals and
render the annual report, publish an approved k-anonymised release for the
public portal, and say where to look. Each stage prints what it did, so a newcomer sees the chain work.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.panel import Panel

from ctdata.cli.output import console as stdout_console
from ctdata.config import settings
from ctdata.standard.units import counted

if TYPE_CHECKING:
    from ctdata.cases.access import Actor

DEMO_CREATOR = "demo-analyst"
DEMO_APPROVER = "demo-data-manager"


def _demo_account(username: str, role: str) -> Actor:
    """The demo's own account of ``role`` (created with an unguessable password the first time)."""
    import secrets

    from sqlalchemy import select

    from ctdata.cases.access import SYSTEM, Actor
    from ctdata.cases.tx import transaction
    from ctdata.cases.users import create_user
    from ctdata.store.models import User

    with transaction() as s:
        user = s.execute(select(User).where(User.username == username)).scalar()
        if user is None:
            user = create_user(s, SYSTEM, username, secrets.token_urlsafe(24), role)
        return Actor.of(user)


def _publish(console: Console) -> dict[str, object]:
    """Release k-anonymised microdata and approve it, as two accounts, so the portal has data to show.

    The demo plays both roles to show the four-eyes rule at work: the creator cannot approve.
    """
    from ctdata.publish.flows import approve_release, create_release
    from ctdata.publish.settings import KAnonSettings
    from ctdata.publish.source import records_from_warehouse

    console.rule("6. Publish de-identified data")
    settings_ = KAnonSettings()
    records = records_from_warehouse(refresh=False)
    creator, approver = _demo_account(DEMO_CREATOR, "analyst"), _demo_account(DEMO_APPROVER, "data_manager")
    entry, report = create_release(creator, settings_, records=records)
    entry = approve_release(approver, entry.release_id)
    console.print(
        f"release [bold]{entry.release_id}[/bold]: {entry.rows:,} k-anonymised records (k = {settings_.k}) "
        f"of {len(records):,} in the warehouse, created by {DEMO_CREATOR}, approved by {DEMO_APPROVER}; "
        "on the public portal at /portal after `ctdata serve`"
    )
    return {"release_id": entry.release_id, "rows": entry.rows, "state": entry.state, "report": report}


def run_demo(records: int, seed: int, out: Path, console: Console) -> dict[str, object]:
    from ctdata.analytics.indicators import headline
    from ctdata.ingest.projects import import_projects
    from ctdata.ingest.standard_import import import_standard
    from ctdata.linkage.pipeline import link_store
    from ctdata.report.annual import render_annual
    from ctdata.simulate.generator import simulate
    from ctdata.warehouse.build import build

    t0 = time.time()
    out.mkdir(parents=True, exist_ok=True)
    s = settings()
    console.print(Panel.fit(
        f"ctdata demo: {records:,} synthetic case records (seed {seed})\n"
        f"case store: {s.database_url}\nfiles: {out.resolve()}", title="ctdata"))
    console.rule("1. Simulate partner data")
    summary = simulate(records, seed, out / "simulated", progress=True)
    console.print(f"{summary.records:,} case records of {summary.persons:,} persons "
                  f"({summary.records_per_person:.2f} records per person) in {out / 'simulated'}")
    console.rule("2. Import into the case store")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as prog:
        task = prog.add_task("import", total=None)
        res = import_standard(out / "simulated" / "records.csv",
                              progress=lambda n: prog.advance(task, n),
                              on_total=lambda t: prog.update(task, total=t or None))
    console.print(f"rows read {res.rows_read:,} = loaded {res.loaded:,} + quarantined {res.quarantined:,}; "
                  + ", ".join(f"{k} {v['loaded']:,}" for k, v in res.tables.items()))
    projects = import_projects(out / "simulated" / "projects.csv", actor="demo")
    console.print(f"projects: {projects['loaded']:,} loaded, {projects['quarantined']:,} quarantined")
    console.rule("3. Build the de-identified warehouse")
    wb = build(progress=True)
    console.print(f"{wb['cases']:,} case records in {wb['path']} ({wb['seconds']} s)")
    result: dict[str, object] = {"import": res.to_dict(), "warehouse": wb}
    console.rule("4. Link records into individuals")
    linked = link_store(progress=True)
    console.print(f"{linked['records']:,} records -> {linked['individuals']:,} individuals")
    result["linkage"] = linked
    ind = headline()
    console.rule("Headline figures")
    indiv = ind.get("individuals")
    n = ind["instances"]
    console.print(f"[bold]{counted(n, ind['count_unit'], f'{n:,}')}[/bold]; individuals: "
                  f"{f'{indiv:,}' if indiv else 'not yet linked'}")
    known_sex = ind["by_sex"].get("female", 0) + ind["by_sex"].get("male", 0) + ind["by_sex"].get(
        "transgender_nonconforming", 0)
    ages = ind["children"] + ind["adults"]
    cb = ind["cross_border"] + ind["internal"]
    console.print(f"female {ind['by_sex'].get('female', 0) / max(known_sex, 1):.0%} of known sex "
                  f"(unknown {ind['by_sex'].get('unknown', 0):,}); children {ind['children'] / max(ages, 1):.0%} "
                  f"(unknown {ind['age_unknown']:,}); cross-border {ind['cross_border'] / max(cb, 1):.0%} "
                  f"(unknown {ind['journey_unknown']:,})")
    console.rule("5. Render the annual report")
    year = max(int(y) for y in ind["by_year"] if y.isdigit())
    rep = render_annual(year, out / "report", progress=True)
    result["report"] = rep
    paths = rep.get("paths", {})
    console.print(f"annual report {year}: open [bold]{paths.get('html')}[/bold] (PDF: {paths.get('pdf')})")
    result["publication"] = _publish(console)
    console.rule()
    console.print(f"done in {time.time() - t0:.0f} s. Next: `ctdata serve` for the case web app and the portal; "
                  "`ctdata report indicators` for the headline table.")
    return result


def demo(
    records: Annotated[int, typer.Option(help="Size of the simulated dataset.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2011,
    out: Annotated[Path, typer.Option(help="Where to write the demo's files.")] = Path("ctdata-demo"),
) -> None:
    """Simulate a multi-agency dataset, import it, and show the headline figures."""
    run_demo(records=records, seed=seed, out=out, console=stdout_console)

"""`ctdata publish ...`: k-anonymised and DP synthetic releases, their listing and approval."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ctdata.cli.output import JsonOpt, console, emit_json

app = typer.Typer(no_args_is_help=True, help="Safe publication: releases, approval, listing.")
ActorOpt = Annotated[str, typer.Option("--by", help="Who is doing this (recorded in the audit log).")]


def _print(entry: object, report: dict, as_json: bool, out: Path | None) -> None:
    from dataclasses import asdict

    d = asdict(entry)  # type: ignore[call-overload]
    if as_json:
        emit_json({"release": d, "report": report, "out": str(out) if out else None})
        return
    console.print(f"draft release [bold]{d['release_id']}[/bold]: {d['rows']:,} rows"
                  + (f", copied to {out}" if out else ""))
    console.print("A data manager other than its creator must approve it: "
                  f"`ctdata publish approve {d['release_id']} --by NAME`")


@app.command("kanon")
def kanon(
    k: Annotated[int, typer.Option(help="Smallest equivalence class.")] = 11,
    out: Annotated[Path | None, typer.Option(help="Also copy the release package here.")] = None,
    qi: Annotated[list[str] | None, typer.Option(help="Quasi-identifier (repeatable).")] = None,
    sensitive: Annotated[list[str] | None, typer.Option(help="Sensitive attribute (repeatable).")] = None,
    l_div: Annotated[int, typer.Option("--l", help="Distinct l-diversity to enforce (1 = report).")] = 1,
    max_suppression: Annotated[float, typer.Option(help="Largest share suppressed by the global step.")] = 0.2,
    include_unknown_consent: Annotated[bool, typer.Option(help="Include records whose consent is unknown.")] = False,
    by: ActorOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Release k-anonymised microdata of consented records."""
    from ctdata.publish.api import release_kanon
    from ctdata.publish.kanon import KAnonSettings
    from ctdata.publish.source import audit_release, export, records_from_warehouse, registry

    s = KAnonSettings(k=k, l_diversity=l_div, max_suppression=max_suppression,
                      include_unknown_consent=include_unknown_consent)
    if qi:
        s.quasi_identifiers = list(qi)
    if sensitive:
        s.sensitive_attributes = list(sensitive)
    s.validate()
    entry, report = release_kanon(records_from_warehouse(), s, registry(), created_by=by)
    audit_release("release_create", entry, by, {"k": k})
    _print(entry, report, as_json, export(entry, out) if out else None)


@app.command("synthetic")
def synthetic(
    epsilon: Annotated[float, typer.Option(help="Privacy budget epsilon.")] = 1.0,
    delta: Annotated[float, typer.Option(help="Privacy budget delta.")] = 1e-7,
    out: Annotated[Path | None, typer.Option(help="Also copy the release package here.")] = None,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    per_person: Annotated[bool, typer.Option(help="One record per linked individual (privacy unit = person).")] = True,
    include_unknown_consent: Annotated[bool, typer.Option(help="Include records whose consent is unknown.")] = False,
    by: ActorOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Release differentially private synthetic records (OpenDP measurements, graphical model)."""
    from ctdata.publish.api import release_synthetic
    from ctdata.publish.source import audit_release, export, records_from_warehouse, registry
    from ctdata.publish.synthetic import SyntheticSettings

    s = SyntheticSettings(epsilon=epsilon, delta=delta, seed=seed, include_unknown_consent=include_unknown_consent)
    s.validate()
    entry, report = release_synthetic(records_from_warehouse(one_per_individual=per_person), s, registry(),
                                      created_by=by)
    audit_release("release_create", entry, by, {"epsilon": epsilon, "delta": delta})
    _print(entry, report, as_json, export(entry, out) if out else None)


@app.command("list")
def list_releases(
    public: Annotated[bool, typer.Option(help="Only approved (public) releases.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List releases and their state (draft, approved, withdrawn)."""
    from dataclasses import asdict

    from ctdata.publish.source import registry

    reg = registry()
    entries = reg.public() if public else reg.list()
    if as_json:
        emit_json([asdict(e) for e in entries])
        return
    t = Table("release", "kind", "rows", "state", "created by", "approved by")
    for e in entries:
        t.add_row(e.release_id, e.kind, f"{e.rows:,}", e.state, e.created_by, e.approved_by or "")
    console.print(t)


@app.command("approve")
def approve(release_id: str, by: ActorOpt = ...) -> None:  # type: ignore[assignment]
    """Approve a draft release (by a data manager other than its creator); it becomes public."""
    from ctdata.publish.source import audit_release, registry

    entry = registry().approve(release_id, by)
    audit_release("release_approve", entry, by)
    console.print(f"{release_id} approved by {by}: now public")


@app.command("withdraw")
def withdraw(release_id: str, reason: Annotated[str, typer.Option(help="Why.")], by: ActorOpt = "cli") -> None:
    """Withdraw a release from public listing (its files stay, for the record)."""
    from ctdata.publish.source import audit_release, registry

    entry = registry().withdraw(release_id, by, reason)
    audit_release("release_withdraw", entry, by, {"reason": reason})
    console.print(f"{release_id} withdrawn")

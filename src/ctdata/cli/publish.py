"""`ctdata publish ...`: k-anonymised and DP synthetic releases, their listing, approval and withdrawal.

Creating, approving and withdrawing are done by a user account: `--by USER`
is checked with USER's password (asked for, or one line of stdin with
`--password-stdin`), and the rules are those of `ctdata.publish.flows`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ctdata.cli.output import JsonOpt, console, emit_json
from ctdata.cli.user import PasswordStdinOpt, login
from ctdata.publish.settings import KAnonSettings, SyntheticSettings

app = typer.Typer(no_args_is_help=True, help="Safe publication: releases, approval, listing.")
ByOpt = Annotated[str, typer.Option("--by", help="Your user account (its password is checked; audited).")]
UnknownConsentOpt = Annotated[bool, typer.Option(help="Include records whose consent is unknown.")]
_KANON = KAnonSettings()
_SYNTHETIC = SyntheticSettings()


def _print(entry: object, report: dict, as_json: bool, out: Path | None) -> None:
    from dataclasses import asdict

    d = asdict(entry)  # type: ignore[call-overload]
    if as_json:
        emit_json({"release": d, "report": report, "out": str(out) if out else None})
        return
    console.print(f"draft release [bold]{d['release_id']}[/bold]: {d['rows']:,} rows"
                  + (f", copied to {out}" if out else ""))
    console.print("A data manager other than its creator must approve it: "
                  f"`ctdata publish approve {d['release_id']} --by USER`")


@app.command("kanon")
def kanon(
    by: ByOpt,
    k: Annotated[int, typer.Option(help="Smallest equivalence class.")] = _KANON.k,
    out: Annotated[Path | None, typer.Option(help="Also copy the release package here.")] = None,
    qi: Annotated[list[str] | None, typer.Option(help="Quasi-identifier (repeatable).")] = None,
    sensitive: Annotated[list[str] | None, typer.Option(help="Sensitive attribute (repeatable).")] = None,
    l_div: Annotated[int, typer.Option("--l", help="Distinct l-diversity (1 = report).")] = _KANON.l_diversity,
    max_suppression: Annotated[float, typer.Option(help="Largest share suppressed globally.")] = _KANON.max_suppression,
    include_unknown_consent: UnknownConsentOpt = _KANON.include_unknown_consent,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Release k-anonymised microdata of consented records (a draft until approved)."""
    from ctdata.publish.flows import create_release

    actor = login(by, password_stdin)
    s = KAnonSettings(k=k, l_diversity=l_div, max_suppression=max_suppression,
                      include_unknown_consent=include_unknown_consent,
                      quasi_identifiers=list(qi or _KANON.quasi_identifiers),
                      sensitive_attributes=list(sensitive or _KANON.sensitive_attributes))
    entry, report = create_release(actor, s, out=out)
    _print(entry, report, as_json, out)


@app.command("synthetic")
def synthetic(
    by: ByOpt,
    epsilon: Annotated[float, typer.Option(help="Privacy budget epsilon.")] = _SYNTHETIC.epsilon,
    delta: Annotated[float, typer.Option(help="Privacy budget delta.")] = _SYNTHETIC.delta,
    out: Annotated[Path | None, typer.Option(help="Also copy the release package here.")] = None,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = _SYNTHETIC.seed,
    per_person: Annotated[bool, typer.Option(help="One record per linked individual (privacy unit = person).")] = True,
    include_unknown_consent: UnknownConsentOpt = _SYNTHETIC.include_unknown_consent,
    victim_perpetrator: Annotated[bool, typer.Option(
        "--victim-perpetrator", help="Victims with their perpetrators, one row per victim (privacy unit).")] = False,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Release differentially private synthetic records (OpenDP measurements, graphical model)."""
    from ctdata.publish.flows import create_release

    actor = login(by, password_stdin)
    s = SyntheticSettings(epsilon=epsilon, delta=delta, seed=seed, include_unknown_consent=include_unknown_consent)
    records = None
    if victim_perpetrator:
        from ctdata.analytics.perpetrators import VICTIM_COLUMNS
        from ctdata.publish.source import victim_perpetrator_records

        s = replace(s, columns=VICTIM_COLUMNS)
        records = victim_perpetrator_records()
    entry, report = create_release(actor, s, records=records, one_per_individual=per_person, out=out)
    _print(entry, report, as_json, out)


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
def approve(release_id: str, by: ByOpt, password_stdin: PasswordStdinOpt = False) -> None:
    """Approve a draft release (a data manager other than its creator); it becomes public."""
    from ctdata.publish.flows import approve_release

    approve_release(login(by, password_stdin), release_id)
    console.print(f"{release_id} approved by {by}: now public")


@app.command("withdraw")
def withdraw(
    release_id: str,
    reason: Annotated[str, typer.Option(help="Why.")],
    by: ByOpt,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Withdraw a release from public listing (its files stay, for the record)."""
    from ctdata.publish.flows import withdraw_release

    withdraw_release(login(by, password_stdin), release_id, reason)
    console.print(f"{release_id} withdrawn")

"""`ctdata agency ...`: the agency registry (the codes accounts, cases and transfers may name)."""

from __future__ import annotations

from typing import Annotated

import typer

from ctdata.cli.output import JsonOpt, emit_json

app = typer.Typer(no_args_is_help=True, help="The agency registry: agencies that accounts, cases and transfers name.")


@app.command("add")
def agency_add(
    code: Annotated[str, typer.Argument(help="Agency code (stored canonical: iom is IOM).")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the code).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an agency (as the store's operator; audited)."""
    from ctdata.cases.access import SYSTEM
    from ctdata.cases.agencies import agency_dict, register_agency
    from ctdata.cases.tx import transaction

    with transaction() as s:
        out = agency_dict(register_agency(s, SYSTEM, code, name))
    if as_json:
        emit_json(out)
    else:
        print(f"agency {out['code']} registered ({out['name']})")


@app.command("list")
def agency_list(as_json: JsonOpt = False) -> None:
    """List the registered agencies."""
    from ctdata.cases.agencies import list_agencies
    from ctdata.cases.tx import transaction

    with transaction() as s:
        rows = list_agencies(s)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        print("no agencies registered (`ctdata agency add CODE --name NAME`, or import a partner's file)")
        return
    print(f"{'code':<20} {'name':<40} created_by")
    for a in rows:
        print(f"{a['code']:<20} {a['name']:<40} {a['created_by']}")

"""`ctdata case ...`: case operations that are not done in the case web app.

`case erase` erases a person's identifying data on request, everywhere ctdata keeps
a copy (the flow `ctdata.publish.erasure.erase`), by a user account: `--by USER` is
checked with USER's password (asked for, or one line of stdin with `--password-stdin`).
`case void` voids a case registered by mistake (`ctdata.cases.closure.void_case`, the same
rule as the case page and the API).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ctdata.cli.output import JsonOpt, console, emit_json
from ctdata.cli.user import PasswordStdinOpt, login

app = typer.Typer(no_args_is_help=True, help="Case operations: erasure on request, voiding a mistaken case.")


@app.command("erase")
def erase(
    case_id: Annotated[int, typer.Argument(help="A case of the person (all their cases are erased).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept encrypted, e.g. the person's request of a date).")],
    by: Annotated[str, typer.Option("--by", help="Your user account, admin or data manager (password checked).")],
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Erase a person's identifying data and free text from the store, warehouse and release drafts."""
    from ctdata.publish.erasure import erase as erase_flow

    actor = login(by, password_stdin)
    out = erase_flow(actor, case_id, reason)
    if as_json:
        emit_json(out)
        return
    console.print(f"erased the identifying data of person {out['person_id']} "
                  f"(cases {', '.join(map(str, out['cases']))})")
    for name, n in out["cleared"].items():
        console.print(f"  cleared {name}: {n}")
    wh = out["warehouse"]
    console.print("  warehouse: " + ("none built" if wh is None else
                                     f"partitions rewritten {', '.join(wh['rewritten']) or 'none'}"))
    drafts = out["release_drafts_withdrawn"]
    console.print("  release drafts withdrawn and deleted: " + (", ".join(drafts) if drafts else "none"))
    console.print(f"  store: {out['store']}")


@app.command("void")
def void(
    case_id: Annotated[int, typer.Argument(help="The case registered by mistake.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is void (kept encrypted), e.g. registered twice.")],
    by: Annotated[str, typer.Option("--by", help="Your account: its office's caseworker, a data manager or admin.")],
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Void a case registered by mistake: it stays, audited, and counts in no list, figure or release."""
    from ctdata.cases.closure import void_case
    from ctdata.cases.tx import transaction

    actor = login(by, password_stdin)
    with transaction() as s:
        case = void_case(s, actor, case_id, reason)
        out = {"case_id": case.id, "voided_at": case.voided_at.isoformat() if case.voided_at else None, "by": by}
    if as_json:
        emit_json(out)
        return
    console.print(f"case {case_id} is void: it is left out of case lists, the warehouse and every figure")

"""`ctdata audit ...`: the hash-chained audit log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ctdata.cli.output import JsonOpt, console, emit_json, err

app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")


@app.command("verify")
def audit_verify(
    as_json: JsonOpt = False,
    expect_head: Annotated[str | None, typer.Option(help="Head hash recorded earlier (detects truncation).")] = None,
) -> None:
    """Check the audit chain: any edited or deleted entry is reported (only reads; works on a read-only copy)."""
    from ctdata.store import audit

    res = audit.verify_store(expect_head=expect_head)
    if as_json:
        emit_json(res.to_dict())
    elif res.ok:
        console.print(f"[green]audit log intact[/green]: {res.entries:,} entries, head {res.head[:16]}")
        for n in res.notes:
            console.print(f"note: {n}")
    else:
        for p in res.problems[:20]:
            err.print(f"[red]{p}[/red]")
    if not res.ok:
        raise typer.Exit(6)


@app.command("list")
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

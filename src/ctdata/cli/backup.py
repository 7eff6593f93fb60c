"""`ctdata backup PATH` and `ctdata restore PATH`: the store, its key fingerprint and the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ctdata.cli.output import JsonOpt, console, emit_json


def backup_cmd(
    path: Annotated[Path, typer.Argument(help="A new directory for the backup.")],
    as_json: JsonOpt = False,
) -> None:
    """Back up the store and the warehouse (the key files are not included: back them up apart)."""
    from ctdata.store import backup, db

    res = backup.backup(db.upgrade(), path)
    if as_json:
        emit_json(res.to_dict())
        return
    console.print(f"backup written to {res.path}: {res.entries:,} audit entries, head {res.head[:16]}; "
                  f"its fields need the key {res.key_id} (not in the backup)")


def restore_cmd(
    path: Annotated[Path, typer.Argument(help="A backup directory made by `ctdata backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the store without asking.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Replace the store and the warehouse with a backup, after checking its audit log and key."""
    from ctdata.store import backup, db

    if not yes and not typer.confirm(f"Replace the case store and the warehouse with the backup in {path}?"):
        raise typer.Exit(1)
    res = backup.restore(db.make_engine(), path, actor="cli")
    if as_json:
        emit_json(res.to_dict())
        return
    console.print(f"restored from {res.path}: {res.entries:,} audit entries, head {res.head[:16]}")

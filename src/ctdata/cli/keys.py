"""`ctdata keys ...`: the store's encryption key (fingerprints, rotation)."""

from __future__ import annotations

import typer

from ctdata.cli.output import JsonOpt, console, emit_json

app = typer.Typer(no_args_is_help=True, help="The encryption key of the case store.")


@app.command("show")
def keys_show(as_json: JsonOpt = False) -> None:
    """Show the key files and the fingerprints the store records (never the keys)."""
    from ctdata.store import db, keys

    data = keys.describe(db.upgrade())
    if as_json:
        emit_json(data)
        return
    for name, value in data.items():
        console.print(f"{name:<16} {value}")


@app.command("rotate")
def keys_rotate(as_json: JsonOpt = False) -> None:
    """Re-encrypt every encrypted field with a new key (one transaction); the old key file is kept."""
    from ctdata.store import db, keys

    res = keys.rotate(db.upgrade(), actor="cli")
    if as_json:
        emit_json(res.to_dict())
        return
    console.print(f"key rotated: {res.old_key} -> {res.new_key}; re-encrypted "
                  + ", ".join(f"{n:,} {f}" for f, n in res.fields.items()))
    console.print(f"the old key file is kept at {res.old_key_file}: delete it once backups made with the new "
                  "key are verified (backups made before need it)")

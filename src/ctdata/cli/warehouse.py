"""`ctdata warehouse ...`: the de-identified Parquet warehouse."""

from __future__ import annotations

from typing import Annotated

import typer

from ctdata.cli.output import JsonOpt, console, emit_json

app = typer.Typer(no_args_is_help=True, help="The de-identified Parquet warehouse.")


@app.command("build")
def warehouse_build(
    full: Annotated[bool, typer.Option("--full", help="Rebuild everything, not just what changed.")] = False,
    engine: Annotated[str, typer.Option(
        help="Shape the tables on duckdb (this machine) or spark (the [spark] settings of ctdata.toml)."
    )] = "duckdb",
    as_json: JsonOpt = False,
) -> None:
    """Write the de-identified Parquet snapshot of the store (incremental by default)."""
    from ctdata.warehouse.build import build

    res = build(full=full, progress=not as_json, engine=engine)
    if as_json:
        emit_json(res)
    else:
        console.print(f"warehouse at {res['path']}: {res['cases']:,} case records; "
                      f"rewrote {len(res['rewritten'])} of {res['partitions']} partitions"
                      + (f" ({', '.join(map(str, res['rewritten'][:8]))})" if res["rewritten"] else ""))

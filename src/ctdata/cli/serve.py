"""`ctdata serve`: the case web app, the JSON API and the public portal."""

from __future__ import annotations

from typing import Annotated

import typer

from ctdata.cli.output import err


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Run the case web app, the JSON API and the public portal (upgrades the schema first)."""
    from ctdata.store import db
    from ctdata.web.serve import serve as run

    db.upgrade()
    err.print(f"ctdata on http://{host}:{port}/  (API docs: /api/v1/docs)")
    run(host, port)

"""`ctdata serve`: the case web app, the JSON API and the public portal."""

from __future__ import annotations

from typing import Annotated

import typer

from ctdata.cli.output import err


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: [web] workers, 1). More than 1 needs a PostgreSQL store; "
                          "they share rate limits, lockouts, sessions and the audit chain through it "
                          "(or Redis: [web] shared_state)."),
    ] = None,
) -> None:
    """Run the case web app, the JSON API and the public portal (upgrades the schema first)."""
    from ctdata.config import settings
    from ctdata.store import db
    from ctdata.web.serve import serve as run
    from ctdata.web.shared import check_workers, web_settings

    workers = workers if workers is not None else web_settings().workers
    check_workers(workers, db.normalise_url(settings().database_url))
    db.upgrade()
    many = f", {workers} workers" if workers > 1 else ""
    err.print(f"ctdata on http://{host}:{port}/  (API docs: /api/v1/docs{many})")
    run(host, port, workers=workers)

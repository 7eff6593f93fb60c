"""Verbs of the later layers: estimate, link, publish, serve, user, report annual.

Kept apart from cli.py so each can grow without crowding the core verbs.
Every body imports its layer lazily.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ctdata.errors import CtdataError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(app: typer.Typer) -> None:
    """Attach the optional verbs to the main app."""
    from ctdata import cli as core
    from ctdata.cli_link import link_app
    from ctdata.cli_publish import publish_app

    app.add_typer(publish_app, name="publish")
    app.add_typer(link_app, name="link")
    report_app = next(g.typer_instance for g in app.registered_groups if g.name == "report")
    user_app = next(g.typer_instance for g in app.registered_groups if g.name == "user")

    @app.command("estimate")
    def estimate_cmd(
        path: Annotated[Path | None, typer.Argument(help="Capture-pattern CSV: 0/1 list columns + count.")] = None,
        from_store: Annotated[bool, typer.Option("--from-store", help="Use linked individuals.")] = False,
        lists: Annotated[str, typer.Option(help="With --from-store: agency, data_source or office_type.")] = "agency",
        years: Annotated[str | None, typer.Option(help="With --from-store: YEAR or FROM-TO.")] = None,
        method: Annotated[str, typer.Option(help="stepwise, aic, bic, main or model")] = "stepwise",
        model: Annotated[str | None, typer.Option(help="Explicit model, e.g. 'A*B+C' (with --method model).")] = None,
        ci: Annotated[str, typer.Option(help="profile, bootstrap, wald or none")] = "profile",
        bootstrap: Annotated[int, typer.Option(help="Bootstrap replicates.")] = 1000,
        seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 1,
        alpha: Annotated[float, typer.Option(help="1 - confidence level.")] = 0.05,
        pthresh: Annotated[float, typer.Option(help="Stepwise p-value threshold.")] = 0.02,
        workers: Annotated[int, typer.Option(help="Processes for the bootstrap.")] = 1,
        as_json: JsonOpt = False,
    ) -> None:
        """Estimate the hidden total from overlapping lists (multiple systems estimation)."""
        from ctdata.prevalence.commands import estimate_command

        if method not in ("stepwise", "aic", "bic", "main", "model"):
            raise CtdataError("--method must be stepwise, aic, bic, main or model")
        table = None
        if from_store:
            if path is not None:
                raise CtdataError("give either a pattern CSV or --from-store, not both")
            from ctdata.prevalence.sources import patterns_from_warehouse
            from ctdata.warehouse.build import build

            build(progress=False)
            table = patterns_from_warehouse(lists, _years(years))
        elif path is None:
            raise CtdataError("give a capture-pattern CSV or --from-store")
        estimate_command(path, method, model, ci, bootstrap, seed, alpha, as_json, table=table, pthresh=pthresh,
                         workers=workers)

    @report_app.command("annual")
    def report_annual(
        year: Annotated[int, typer.Option(help="Report year.")],
        out: Annotated[Path, typer.Option(help="Output folder.")] = Path("annual-report"),
        as_json: JsonOpt = False,
    ) -> None:
        """Render the annual report (HTML, PDF, tables as CSV/XLSX) from the warehouse."""
        from ctdata.report.commands import annual_command
        from ctdata.warehouse.build import build

        build(progress=not as_json)
        annual_command(year, out, as_json)

    @user_app.command("add")
    def user_add(
        username: Annotated[str, typer.Argument(help="Login name.")],
        role: Annotated[str, typer.Option(help="admin, data_manager, caseworker or analyst")],
        office: Annotated[str | None, typer.Option(help="Office country (caseworkers).")] = None,
        agency: Annotated[str | None, typer.Option(help="Agency.")] = None,
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    ) -> None:
        """Create a user (the password is asked for, or read from stdin)."""
        from ctdata.cases.commands import user_add_command

        user_add_command(username, role, office, agency, password_stdin)

    @user_app.command("list")
    def user_list(as_json: JsonOpt = False) -> None:
        """List users with their role and office."""
        from ctdata.cases.commands import user_list_command

        user_list_command(as_json)

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.")] = 8000,
    ) -> None:
        """Run the case web app, the JSON API and the public portal (upgrades the schema first)."""
        from ctdata.store import db
        from ctdata.web.serve import serve as run

        db.upgrade()
        core.err.print(f"ctdata on http://{host}:{port}/  (API docs: /api/v1/docs)")
        run(host, port)

    _ = sys  # noqa: F841 - kept for commands that read stdin


def _years(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        if "-" in text:
            a, b = text.split("-", 1)
            return int(a), int(b)
        return int(text), int(text)
    except ValueError:
        raise CtdataError(f"--years must be YEAR or FROM-TO, got {text!r}") from None

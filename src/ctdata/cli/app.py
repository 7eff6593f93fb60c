"""The root `ctdata` app: every command group and top-level verb attached statically, in one place.

An import error in any command module fails loudly here (no verb is silently
left out). Command modules import their layer's heavy libraries inside the
command bodies, so `ctdata --help` stays quick.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ctdata.cli import (
    agency,
    audit,
    backup,
    case,
    demo,
    estimate,
    imports,
    keys,
    link,
    migrate,
    publish,
    quarantine,
    report,
    serve,
    simulate,
    standard,
    user,
    warehouse,
)
from ctdata.cli.output import run, set_debug

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="ctdata: counter-trafficking case data, from case management to safe publication.")

app.add_typer(imports.app, name="import")
app.add_typer(standard.app, name="standard")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(report.app, name="report")
app.add_typer(audit.app, name="audit")
app.add_typer(case.app, name="case")
app.add_typer(user.app, name="user")
app.add_typer(agency.app, name="agency")
app.add_typer(warehouse.app, name="warehouse")
app.add_typer(link.app, name="link")
app.add_typer(publish.app, name="publish")
app.add_typer(keys.app, name="keys")
app.command("migrate")(migrate.migrate)
app.command("simulate")(simulate.simulate_cmd)
app.command("estimate")(estimate.estimate_cmd)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("backup")(backup.backup_cmd)
app.command("restore")(backup.restore_cmd)


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False) -> None:
    set_debug(debug)


def main() -> None:
    run(app)


if __name__ == "__main__":
    main()

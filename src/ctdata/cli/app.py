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
    export,
    forms,
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

_GROUPS = {
    "import": imports, "standard": standard, "quarantine": quarantine, "report": report, "audit": audit,
    "case": case, "user": user, "agency": agency, "warehouse": warehouse, "link": link, "publish": publish,
    "keys": keys, "forms": forms, "export": export,
}
_VERBS = {
    "migrate": migrate.migrate, "simulate": simulate.simulate_cmd, "estimate": estimate.estimate_cmd,
    "demo": demo.demo, "serve": serve.serve, "backup": backup.backup_cmd, "restore": backup.restore_cmd,
}
for _name, _module in _GROUPS.items():
    app.add_typer(_module.app, name=_name)
for _name, _verb in _VERBS.items():
    app.command(_name)(_verb)


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False) -> None:
    set_debug(debug)


def main() -> None:
    run(app)


if __name__ == "__main__":
    main()

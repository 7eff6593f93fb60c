"""The `ctdata` command: one module per command group, attached in `ctdata.cli.app`.

Each verb is a thin shell over a library function of its layer: parse the
options, show progress, print a Rich table or --json. Heavy libraries are
imported inside the command bodies so `ctdata --help` stays quick.
"""

from ctdata.cli.app import app, main

__all__ = ["app", "main"]

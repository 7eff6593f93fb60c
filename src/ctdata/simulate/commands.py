"""CLI entry for `ctdata simulate` (the lead wires it into Typer)."""

from __future__ import annotations

import json
from pathlib import Path

from ctdata.simulate.generator import DEFAULT_YEARS, simulate


def simulate_command(records: int, seed: int, out: Path, as_json: bool, years: tuple[int, int] = DEFAULT_YEARS) -> None:
    """Generate the data set and print a summary (a table, or JSON with --json)."""
    summary = simulate(records, seed, Path(out), years=years, progress=not as_json)
    if as_json:
        print(json.dumps(summary.to_dict(), indent=2, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Synthetic data in {summary.out}", show_header=True)
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in summary.files.items():
        table.add_row(name, f"{rows:,}")
    console = Console()
    console.print(table)
    console.print(
        f"{summary.records:,} records of {summary.persons:,} persons "
        f"({summary.records_per_person:.2f} records per person), "
        f"years {summary.years[0]}-{summary.years[1]}, "
        f"seed {summary.seed}, {summary.seconds:.1f} s"
    )

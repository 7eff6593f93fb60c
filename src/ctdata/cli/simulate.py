"""`ctdata simulate`: a synthetic multi-agency dataset in the standard template, with ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ctdata.cli.output import JsonOpt, console, emit_json
from ctdata.errors import CtdataError


def simulate_command(records: int, seed: int, out: Path, as_json: bool,
                     years: tuple[int, int] | None = None) -> None:
    """Generate the data set and print a summary (a table, or JSON with --json)."""
    from rich.table import Table

    from ctdata.simulate.generator import DEFAULT_YEARS, simulate

    summary = simulate(records, seed, Path(out), years=years or DEFAULT_YEARS, progress=not as_json)
    if as_json:
        emit_json(summary.to_dict())
        return
    table = Table(title=f"Synthetic data in {summary.out}", show_header=True)
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in summary.files.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        f"{summary.records:,} records of {summary.persons:,} persons "
        f"({summary.records_per_person:.2f} records per person), "
        f"years {summary.years[0]}-{summary.years[1]}, "
        f"seed {summary.seed}, {summary.seconds:.1f} s"
    )


def simulate_cmd(
    records: Annotated[int, typer.Option(help="Number of case records to generate.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 1,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("simulated"),
    as_json: JsonOpt = False,
) -> None:
    """Write a synthetic multi-agency dataset in the standard template, with ground truth."""
    if records < 1:
        raise CtdataError("--records must be at least 1")
    simulate_command(records, seed, out, as_json)

"""`ctdata estimate`: the hidden total from overlapping lists (multiple systems estimation).

The options' defaults are the library's (``ctdata.prevalence.settings.EstimateSettings``),
read from there, so `ctdata estimate --help` shows the values an estimate uses.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ctdata.cli.output import JsonOpt
from ctdata.errors import CtdataError
from ctdata.prevalence.settings import CI_METHODS, DEFAULTS, METHODS

if TYPE_CHECKING:
    from ctdata.prevalence.estimate import MSEResult
    from ctdata.prevalence.patterns import PatternTable


def estimate_command(
    path: Path | None,
    method: str | None,
    model: str | None,
    ci: str | None,
    bootstrap: int | None,
    seed: int | None,
    alpha: float | None,
    as_json: bool,
    *,
    table: PatternTable | None = None,
    pthresh: float | None = None,
    progress: bool | None = None,
    workers: int = 1,
    console: Console | None = None,
) -> None:
    """Estimate from a pattern CSV at ``path`` (or a ready ``table``, e.g. from the store) and print it.

    A setting left as None takes the library's default (``EstimateSettings``).
    The progress bar of a bootstrap goes to stderr and is off with ``as_json``
    unless asked for, so JSON on stdout stays clean.
    """
    from ctdata.prevalence.estimate import estimate
    from ctdata.prevalence.patterns import read_pattern_csv

    if table is None:
        if path is None:
            raise CtdataError("give a capture-pattern CSV or --from-store")
        table = read_pattern_csv(path)
    chosen = {"method": method, "model": model, "ci": ci, "alpha": alpha, "pthresh": pthresh,
              "bootstrap": bootstrap, "seed": seed}
    result = estimate(
        table,
        **{k: v for k, v in chosen.items() if v is not None},
        progress=(not as_json) if progress is None else progress,
        workers=workers,
    )
    console = console or Console()
    if as_json:
        console.print_json(json.dumps(result.to_dict()))
        return
    console.print(render_table(result))
    for line in result.diagnostics.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {line}")


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or not math.isfinite(value):
        return "-inf" if value == -math.inf else "unbounded" if value == math.inf else "—"
    return f"{value:,.{digits}f}"


def render_table(result: MSEResult) -> Table:
    level = f"{result.ci_level:.0%}"
    table = Table(title="Multiple systems estimate", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("estimated population", _num(result.estimate))
    table.add_row(f"{level} interval ({result.ci_method})", f"{_num(result.ci_low)} – {_num(result.ci_high)}")
    table.add_row("observed on some list", f"{result.observed:,}")
    table.add_row("estimated unseen", _num(result.dark_figure))
    table.add_row("method", result.method)
    table.add_row("model", result.model)
    table.add_row("lists", ", ".join(f"{k} ({v:,})" for k, v in result.list_totals.items()))
    d = result.diagnostics
    table.add_row("deviance / df", f"{d['deviance']:.3f} / {d['df']}")
    table.add_row("AIC / BIC", f"{d['aic']:.3f} / {d['bic']:.3f}")
    terms = ", ".join(f"{k} {_num(v, 3)}" for k, v in result.terms.items())
    table.add_row("terms", terms)
    return table


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


def estimate_cmd(
    path: Annotated[Path | None, typer.Argument(help="Capture-pattern CSV: 0/1 list columns + count.")] = None,
    from_store: Annotated[bool, typer.Option("--from-store", help="Use linked individuals.")] = False,
    lists: Annotated[str, typer.Option(help="With --from-store: agency, data_source or office_type.")] = "agency",
    years: Annotated[str | None, typer.Option(help="With --from-store: YEAR or FROM-TO.")] = None,
    method: Annotated[str, typer.Option(help=", ".join(METHODS) + ".")] = DEFAULTS.method,
    model: Annotated[
        str | None, typer.Option(help="Explicit model, e.g. 'A*B+C' (with --method model).")
    ] = DEFAULTS.model,
    ci: Annotated[str, typer.Option(help=", ".join(CI_METHODS) + ".")] = DEFAULTS.ci,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap replicates.")] = DEFAULTS.bootstrap,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = DEFAULTS.seed,
    alpha: Annotated[float, typer.Option(help="1 - confidence level.")] = DEFAULTS.alpha,
    pthresh: Annotated[float, typer.Option(help="Stepwise p-value threshold.")] = DEFAULTS.pthresh,
    workers: Annotated[int, typer.Option(help="Processes for the bootstrap.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Estimate the hidden total from overlapping lists (multiple systems estimation)."""
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

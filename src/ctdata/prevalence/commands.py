"""The body of ``ctdata estimate``: run the estimator and print a Rich table or JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ctdata.errors import CtdataError
from ctdata.prevalence.estimate import MSEResult, estimate
from ctdata.prevalence.patterns import PatternTable, read_pattern_csv


def estimate_command(
    path: Path | None,
    method: str,
    model: str | None,
    ci: str,
    bootstrap: int,
    seed: int,
    alpha: float,
    as_json: bool,
    *,
    table: PatternTable | None = None,
    pthresh: float = 0.02,
    progress: bool | None = None,
    workers: int = 1,
    console: Console | None = None,
) -> None:
    """Estimate from a pattern CSV at ``path`` (or a ready ``table``, e.g. from the store) and print it.

    The progress bar of a bootstrap goes to stderr and is off with ``as_json``
    unless asked for, so JSON on stdout stays clean.
    """
    if table is None:
        if path is None:
            raise CtdataError("give a capture-pattern CSV or --from-store")
        table = read_pattern_csv(path)
    result = estimate(
        table,
        method=method,
        model=model,
        ci=ci,
        alpha=alpha,
        pthresh=pthresh,
        bootstrap=bootstrap,
        seed=seed,
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

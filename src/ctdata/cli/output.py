"""What every command shares: the consoles, --json, JSON output, the progress bar and the error handler.

User errors (CtdataError) become one clear line on stderr and a non-zero exit
code; `ctdata --debug ...` shows the traceback instead.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ctdata.errors import CtdataError, storage_error

console = Console()
err = Console(stderr=True)
_state: dict[str, Any] = {"debug": False}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A Rich progress bar on stderr; yields (advance, set_total)."""
    if not enabled or not err.is_terminal and os.environ.get("CTDATA_PROGRESS") != "1":
        yield (lambda _n: None), (lambda _t: None)
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err, transient=False) as prog:
        task = prog.add_task(label, total=None)
        yield (lambda n: prog.advance(task, n)), (lambda t: prog.update(task, total=t or None))


def set_debug(debug: bool) -> None:
    _state["debug"] = debug


def run(app: typer.Typer) -> None:
    """Run the app: a CtdataError is one line and its exit code, unless --debug asks for the traceback."""
    try:
        app()
    except CtdataError as exc:
        if _state["debug"]:
            raise
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a write the disk refused (full, read-only): one line too
        from ctdata.store.db import refused_write

        refused = storage_error(exc) if isinstance(exc, OSError) else refused_write(exc)
        if refused is None or _state["debug"]:
            raise
        err.print(f"[red]error:[/red] {escape(str(refused))}", highlight=False, soft_wrap=True)
        sys.exit(refused.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; nothing half-written was kept")
        sys.exit(130)

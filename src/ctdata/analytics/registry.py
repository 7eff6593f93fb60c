"""Named indicators, so the report, the CLI and the portal list and run the same functions.

An indicator is a plain function ``fn(con, filters=None) -> IndicatorTable``;
its docstring is its documentation (first line = short description).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from ctdata.analytics.filters import Filters
from ctdata.analytics.table import IndicatorTable
from ctdata.errors import NotFound

IndicatorFn = Callable[..., IndicatorTable]


@dataclass(frozen=True)
class Indicator:
    name: str
    fn: IndicatorFn
    topic: str
    unit: str

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.fn.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else self.name


REGISTRY: dict[str, Indicator] = {}


def indicator(name: str, topic: str, unit: str) -> Callable[[IndicatorFn], IndicatorFn]:
    """Register a function under ``name`` (unique)."""

    def deco(fn: IndicatorFn) -> IndicatorFn:
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"indicator {name!r} registered twice")
        REGISTRY[name] = Indicator(name, fn, topic, unit)
        return fn

    return deco


def _load() -> None:
    # importing the modules registers their indicators
    from ctdata.analytics import border, cases, funding, perpetrators, recruitment, returns  # noqa: F401


def list_indicators() -> list[dict[str, str]]:
    """Name, topic, unit and documentation of every indicator, in registration order."""
    _load()
    return [
        {"name": i.name, "topic": i.topic, "unit": i.unit, "summary": i.summary, "doc": i.doc}
        for i in REGISTRY.values()
    ]


def get(name: str) -> Indicator:
    _load()
    try:
        return REGISTRY[name]
    except KeyError:
        raise NotFound(f"no indicator {name!r}; known: {', '.join(REGISTRY)}") from None


def run(
    name: str, con: duckdb.DuckDBPyConnection, filters: Filters | dict[str, Any] | None = None, **kwargs: Any
) -> IndicatorTable:
    """Run a named indicator with filters (a Filters or a mapping of filter fields)."""
    f = filters if isinstance(filters, Filters) or filters is None else Filters.from_dict(filters)
    return get(name).fn(con, f, **kwargs)

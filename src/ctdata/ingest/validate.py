"""Column-wise validation of template rows, with a row-level reason for every rejection.

Partner files repeat the same few values (countries, codes, flags) millions of
times, so each column parses each distinct value once and reuses the answer.
The parsers are the standard's own (``standard.types.parser_for``), so a value
the API accepts is accepted here and vice versa.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ctdata.errors import CtdataError
from ctdata.ingest.readers import RawRow
from ctdata.standard.template import TABLES, Column
from ctdata.standard.types import parser_for

_CACHE_LIMIT = 200_000
_NO_CACHE = {"text"}


class _ColumnParser:
    def __init__(self, col: Column) -> None:
        self.col = col
        self.parse: Callable[[Any], Any] = parser_for(col.kind, col.vocabulary)
        self.cache: dict[Any, tuple[Any, str | None]] = {}
        self.cached = col.kind not in _NO_CACHE

    def __call__(self, raw: Any) -> tuple[Any, str | None]:
        if raw is None:
            return None, None
        key = tuple(raw) if isinstance(raw, list) else raw
        if self.cached:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        try:
            out: tuple[Any, str | None] = (self.parse(raw), None)
        except (ValueError, CtdataError) as exc:
            msg = str(exc)
            prefix = f"{self.col.name}: "
            out = (None, msg if msg.startswith(prefix) else prefix + msg)
        if self.cached and len(self.cache) < _CACHE_LIMIT:
            self.cache[key] = out
        return out


class TableValidator:
    """Validates rows of one template table; keeps its caches for the whole file."""

    def __init__(self, table: str = "records", relax: frozenset[str] = frozenset()) -> None:
        self.columns = TABLES[table]
        self.parsers = [(_ColumnParser(c), c.name) for c in self.columns]
        self.required = [c.name for c in self.columns if c.required and c.name not in relax]

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        """Validate one row; raises CtdataError whose message lists every bad field."""
        out: dict[str, Any] = {}
        errors: list[str] = []
        get = values.get
        for parser, name in self.parsers:
            v, err = parser(get(name))
            if err:
                errors.append(err)
            out[name] = v
        for name in self.required:
            if out.get(name) in (None, "", []):
                if not any(e.startswith(name + ":") for e in errors):
                    errors.append(f"{name}: required value is empty")
        if errors:
            raise CtdataError("; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else ""))
        return out

    def raw_row(self, raw: RawRow) -> dict[str, Any]:
        return self.row(raw.values)

    def rows(self, raws: list[RawRow]) -> list[dict[str, Any] | str]:
        """Validate a chunk column by column: each row becomes a clean dict or its reason.

        Same answers as `row()` for every row, at a fraction of the cost: each
        distinct value of a column is parsed once, and the per-cell work is a
        dictionary look-up done by `map` in C.
        """
        n = len(raws)
        columns: list[list[Any]] = []
        bad: dict[int, list[str]] = {}
        for parser, name in self.parsers:
            raw_col = [r.values.get(name) for r in raws]
            if not parser.cached:
                col = [None if v is None else (str(v).strip() or None) for v in raw_col]
                columns.append(col)
                continue
            keyed = [tuple(v) if isinstance(v, list) else v for v in raw_col]
            cache = parser.cache
            lookup: dict[Any, tuple[Any, str | None]] = {None: (None, None)}
            for u in set(keyed):
                if u is None:
                    continue
                hit = cache.get(u)
                lookup[u] = hit if hit is not None else parser(list(u) if isinstance(u, tuple) else u)
            pairs = list(map(lookup.__getitem__, keyed))
            columns.append([p[0] for p in pairs])
            if any(p[1] for p in pairs):
                for i, p in enumerate(pairs):
                    if p[1]:
                        bad.setdefault(i, []).append(p[1])
        names = [name for _p, name in self.parsers]
        out: list[dict[str, Any] | str] = []
        required = [names.index(r) for r in self.required]
        for i, values in enumerate(zip(*columns, strict=True) if n else []):
            errs = bad.get(i)
            for j in required:
                if values[j] in (None, "", []):
                    name = names[j]
                    if not errs or not any(e.startswith(name + ":") for e in errs):
                        errs = [*(errs or []), f"{name}: required value is empty"]
            if errs:
                out.append("; ".join(errs[:5]) + (f"; and {len(errs) - 5} more" if len(errs) > 5 else ""))
            else:
                out.append(dict(zip(names, values, strict=True)))
        return out

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
from ctdata.standard.models import ONE_PER_PERSON, assistance_problem, perpetrator_problem
from ctdata.standard.template import TABLES, Column
from ctdata.standard.types import parser_for
from ctdata.text import Text

_CACHE_LIMIT = 200_000
#: the problem of a required column left empty
REQUIRED = Text("required value is empty")


def _joined(errors: list[str]) -> str:
    """A row's reason: its first five problems, and how many more ('; and 2 more')."""
    shown = errors[:5] + ([Text("and {count} more", count=len(errors) - 5)] if len(errors) > 5 else [])
    return "; ".join(shown)
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
        self.table = table

    def _row_problem(self, get: Callable[[str], Any]) -> str | None:
        """A rule across fields of one row (the standard's, as the case services apply it)."""
        if self.table == "assistance":
            return assistance_problem(get("assistance_type"), get("legal_types"), get("funding_source"),
                                      get("funding_name"))
        if self.table == "perpetrators":
            return perpetrator_problem(get("grouped"), {n: get(n) for n in ONE_PER_PERSON})
        return None

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
                    errors.append(f"{name}: {REQUIRED}")
        if not errors:
            problem = self._row_problem(out.get)
            if problem:
                errors.append(problem)
        if errors:
            raise CtdataError(_joined(errors))
        return out

    def raw_row(self, raw: RawRow) -> dict[str, Any]:
        return self.row(raw.values)

    def rows(self, raws: list[RawRow]) -> list[dict[str, Any] | str]:
        """Validate a chunk of rows: each becomes a clean dict or its reason (same answers as `row()`)."""
        n = len(raws)
        columns = {name: [r.values.get(name) for r in raws] for _p, name in self.parsers}
        clean, reasons = self.validate_columns(columns, n, blank_is_empty=False)
        names = list(clean)
        out: list[dict[str, Any] | str] = []
        for values, reason in zip(zip(*clean.values(), strict=True) if n else [], reasons, strict=True):
            out.append(reason if reason is not None else dict(zip(names, values, strict=True)))
        return out

    def validate_columns(
        self, raw: dict[str, list[Any] | None], n: int, *, blank_is_empty: bool = True
    ) -> tuple[dict[str, list[Any]], list[str | None]]:
        """Validate n rows given column by column: the clean columns, and each row's reason or None.

        Same answers as `row()` for every row, at a fraction of the cost: each
        distinct value of a column is parsed once, and the per-cell work is a
        dictionary look-up done by `map` in C. None means empty, and so does
        ``""`` when ``blank_is_empty`` (column batches: the row reader's None);
        a column absent from the file is None.
        """
        clean: dict[str, list[Any]] = {}
        bad: dict[int, list[str]] = {}
        for parser, name in self.parsers:
            raw_col = raw.get(name)
            if raw_col is None:
                clean[name] = [None] * n
                continue
            if not parser.cached:
                if blank_is_empty:  # column batches hold text only
                    clean[name] = [v or None for v in map(str.strip, raw_col)]
                else:
                    clean[name] = [None if v is None else (str(v).strip() or None) for v in raw_col]
                continue
            keyed = raw_col if blank_is_empty else [tuple(v) if isinstance(v, list) else v for v in raw_col]
            cache = parser.cache
            values: dict[Any, Any] = {None: None}
            errors: dict[Any, str] = {}
            if blank_is_empty:
                values[""] = None
            for u in set(keyed):
                if u in values:
                    continue
                hit = cache.get(u)
                value, error = hit if hit is not None else parser(list(u) if isinstance(u, tuple) else u)
                values[u] = value
                if error:
                    errors[u] = error
            clean[name] = list(map(values.__getitem__, keyed))
            if errors:
                for i, u in enumerate(keyed):
                    e = errors.get(u)
                    if e:
                        bad.setdefault(i, []).append(e)
        for name in self.required:
            col = clean[name]
            if None not in col and "" not in col and [] not in col:
                continue
            prefix = name + ":"
            for i, v in enumerate(col):
                if v is None or v == "" or v == []:
                    errs = bad.get(i)
                    if errs is None:
                        bad[i] = [f"{name}: {REQUIRED}"]
                    elif not any(e.startswith(prefix) for e in errs):
                        errs.append(f"{name}: {REQUIRED}")
        if self.table in ("assistance", "perpetrators"):  # the tables with a rule across fields
            for i in range(n):
                if i not in bad:
                    problem = self._row_problem(lambda k, i=i: clean[k][i])
                    if problem:
                        bad[i] = [problem]
        reasons: list[str | None] = [None] * n
        for i, errs in bad.items():
            reasons[i] = _joined(errs)
        return clean, reasons

"""The Human Trafficking Case Data Standard (HTCDS 2.0) and ctdata's exchange template, mapped both ways.

Why as data: the mapping is two tables in ``data/`` that a reviewer reads and
edits without reading code, and ``docs/htcds.md`` is rendered from them:

- ``htcds_fields.csv``: every HTCDS 2.0 field, the template column it maps to
  (empty: not mapped, with the reason) and the direction (both, import, export);
- ``htcds_values.csv``: for picklists, each HTCDS value and ctdata code, and the
  direction a pair holds in. A ``both`` pair is used on import and export; an
  ``import`` pair only reads (``ChildLabour`` is read as ``other``), an ``export``
  pair only writes (``forced_criminality`` is written as ``Other``); ``*`` as a
  ctdata code is the value written for any code without its own pair.

`from_htcds` reads one HTCDS row (field names with their prefixes, multi-select
values separated by ``;``) into template columns; a value HTCDS does not list is
an error naming the field and the value (an importer quarantines the row).
`to_htcds` writes template columns as an HTCDS row. Both are checked against each
other and against the vocabularies when the tables load.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ctdata.errors import ValidationError
from ctdata.standard.template import MULTI_SEP, RECORD_COLUMNS
from ctdata.standard.vocab import COMBINED_EXPLOITATION_TYPES, Vocabulary

VERSION = "2.0"
SOURCE = "https://github.com/UNMigration/HTCDS (HTCDS Field Standards 2.0)"
DIRECTIONS = ("both", "import", "export")
_COLUMNS = {c.name: c for c in RECORD_COLUMNS}


@dataclass(frozen=True)
class Field:
    """One HTCDS field: the template column it maps to (None: unmapped), its direction and why."""

    htcds: str
    column: str | None
    direction: str | None
    multiple: bool
    note: str


@dataclass(frozen=True)
class Pair:
    htcds: str
    value: str
    code: str
    direction: str
    note: str


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("ctdata.standard").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def fields() -> tuple[Field, ...]:
    out = []
    for r in _read("htcds_fields.csv"):
        column = r["ctdata_column"] or None
        if column is not None and column not in _COLUMNS:
            raise ValidationError(f"htcds_fields.csv: {r['htcds_field']} maps to unknown column {column!r}")
        if (column is None) != (not r["direction"]) or (r["direction"] and r["direction"] not in DIRECTIONS):
            raise ValidationError(f"htcds_fields.csv: {r['htcds_field']} needs a direction exactly when it is mapped")
        out.append(Field(r["htcds_field"], column, r["direction"] or None, r["multiple"] == "yes", r["note"]))
    return tuple(out)


@cache
def pairs() -> tuple[Pair, ...]:
    mapped = {f.htcds: f for f in fields() if f.column}
    out = []
    for r in _read("htcds_values.csv"):
        f = mapped.get(r["htcds_field"])
        if f is None or r["direction"] not in DIRECTIONS:
            raise ValidationError(f"htcds_values.csv: {r['htcds_field']}={r['htcds_value']}: not a mapped field "
                                  "or no direction")
        vocabulary = _vocabulary(f.column)  # type: ignore[arg-type]
        if r["ctdata_code"] != "*" and (vocabulary is None or r["ctdata_code"] not in vocabulary):
            raise ValidationError(f"htcds_values.csv: {r['ctdata_code']!r} is not a code of {f.column}")
        out.append(Pair(r["htcds_field"], r["htcds_value"], r["ctdata_code"], r["direction"], r["note"]))
    _check_unique(out)
    return tuple(out)


def _vocabulary(column: str) -> Vocabulary | None:
    return _COLUMNS[column].vocabulary


def _check_unique(ps: list[Pair]) -> None:
    """One code for each HTCDS value read, one HTCDS value for each code written."""
    reads: dict[tuple[str, str], str] = {}
    writes: dict[tuple[str, str], str] = {}
    for p in ps:
        if p.direction in ("both", "import") and reads.setdefault((p.htcds, p.value), p.code) != p.code:
            raise ValidationError(f"htcds_values.csv: {p.htcds}={p.value} is read as two codes")
        if p.direction in ("both", "export") and writes.setdefault((p.htcds, p.code), p.value) != p.value:
            raise ValidationError(f"htcds_values.csv: {p.htcds} writes {p.code} as two values")


def _table(htcds: str, direction: str) -> dict[str, str]:
    """value -> code (import) or code -> value (export) of one field."""
    out = {}
    for p in pairs():
        if p.htcds == htcds and p.direction in ("both", direction):
            if direction == "import":
                out[p.value] = p.code
            else:
                out[p.code] = p.value
    return out


def _split(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, list | tuple):
        return [str(x) for x in v if str(x).strip()]
    return [s.strip() for s in str(v).split(MULTI_SEP) if s.strip()]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def from_htcds(row: Mapping[str, Any]) -> dict[str, Any]:
    """One HTCDS row -> template columns (text; lists joined with ``;``). Raises ValidationError naming the
    first HTCDS value that the mapping does not read."""
    out: dict[str, Any] = {}
    for f in fields():
        if f.column is None or f.direction == "export" or f.htcds not in row:
            continue
        values = _split(row.get(f.htcds))
        if not values:
            continue
        table = _table(f.htcds, "import") if _vocabulary(f.column) is not None else None
        if table is not None:
            bad = [v for v in values if v not in table]
            if bad:
                raise ValidationError(f"{f.htcds}: {bad[0]!r} is not an HTCDS {VERSION} value of this field "
                                      f"(expected one of: {', '.join(sorted(table))})")
            values = [table[v] for v in values]
        values = _unique(values)
        if f.column == "exploitation_types":
            values = _combined(values)
        vocabulary = _vocabulary(f.column)
        if vocabulary is not None and f.multiple:
            values = [c for c in vocabulary.codes if c in set(values)]
        if f.column in out and f.column == "languages":
            values = [*_split(out[f.column]), *values]
        out[f.column] = MULTI_SEP.join(values) if (f.multiple or f.column == "languages") else values[0]
    return out


def _combined(codes: list[str]) -> list[str]:
    """Types recorded together that the standard holds as one (forced labour and sexual exploitation)."""
    have = set(codes)
    for parts, combined in COMBINED_EXPLOITATION_TYPES.items():
        if parts <= have:
            have = (have - parts) | {combined}
    return list(have)


def to_htcds(record: Mapping[str, Any]) -> dict[str, str]:
    """Template columns -> one HTCDS row (multi-select values joined with ``;``; empty when unknown)."""
    out: dict[str, str] = {}
    for f in fields():
        if f.column is None or f.direction == "import":
            continue
        values = _split(record.get(f.column))
        if f.column == "exploitation_types":
            expanded: list[str] = []
            for code in values:
                parts = [sorted(p) for p, c in COMBINED_EXPLOITATION_TYPES.items() if c == code]
                expanded += parts[0] if parts else [code]
            values = expanded
        if f.htcds == "prs_PrimaryLanguage":
            values = values[:1]
        elif f.htcds == "prs_SecondaryLanguage":
            values = values[1:2]
        if _vocabulary(f.column) is not None:
            table = _table(f.htcds, "export")
            values = [table.get(v, table.get("*", "")) for v in values] if values else (
                [table["*"]] if "*" in table else [])
            values = [v for v in values if v]
        values = _unique(values)
        if not f.multiple:
            values = values[:1]
        out[f.htcds] = MULTI_SEP.join(values)
    return out


def unmapped_htcds() -> list[Field]:
    """HTCDS fields ctdata does not exchange, with the reason."""
    return [f for f in fields() if f.column is None]


def unmapped_ctdata() -> list[str]:
    """Template columns (records) no HTCDS field carries."""
    used = {f.column for f in fields() if f.column}
    return [c.name for c in RECORD_COLUMNS if c.name not in used]


def render_markdown() -> str:
    """``docs/htcds.md``: the mapping tables as a reviewer reads them."""
    lines = [
        f"# HTCDS {VERSION} and the ctdata exchange template",
        "",
        "Generated from `src/ctdata/standard/data/htcds_fields.csv` and `htcds_values.csv` by "
        "`ctdata.standard.htcds.render_markdown()`; edit the tables, not this page. HTCDS source: " + SOURCE + ".",
        "",
        "*both*: read on import and written on export; *import*: read only; *export*: written only. "
        "Multi-select values are separated by `;`.",
        "",
        "## Fields both standards have",
        "",
        "| HTCDS field | ctdata column | direction | multiple | note |",
        "|---|---|---|---|---|",
    ]
    for f in fields():
        if f.column:
            lines.append(f"| `{f.htcds}` | `{f.column}` | {f.direction} | {'yes' if f.multiple else 'no'} | {f.note} |")
    lines += ["", "## Values", "", "| HTCDS field | HTCDS value | ctdata code | direction | note |",
              "|---|---|---|---|---|"]
    for p in pairs():
        code = "any other" if p.code == "*" else f"`{p.code}`"
        lines.append(f"| `{p.htcds}` | `{p.value}` | {code} | {p.direction} | {p.note} |")
    lines += ["", "## HTCDS fields not mapped", "", "| HTCDS field | why |", "|---|---|"]
    for f in unmapped_htcds():
        lines.append(f"| `{f.htcds}` | {f.note} |")
    lines += ["", "## ctdata columns HTCDS does not have", "",
              ", ".join(f"`{c}`" for c in unmapped_ctdata()), ""]
    return "\n".join(lines)

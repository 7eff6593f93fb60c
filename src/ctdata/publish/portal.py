"""The public portal's figures: counts from one approved release, filtered, every cell suppressed below k.

Computed here, in ``publish``, so that the web portal (which only renders them), the CLI
and the report share one computation.

A release's ``records.parquet`` is loaded once per release digest into a `Cube`
(``publish/cube.py``): the distinct combinations of the dashboard dimensions, integer-coded
in display order, with their counts (missing -> ``Unknown``; generalised labels
such as ``2015-2019``, ``Western Africa`` or ``*`` kept as released). A request's
filters select combinations and every table is one aggregation over them; each
table then goes through ``ctdata.publish.suppression``: cells with 0 < count < k
are hidden (primary), and where a table shows totals, further cells are hidden so
that none can be worked out from the rest (complementary). A view's totals agree with
the wider views' tables: a figure one of them withholds is withheld here too (`_total`),
so that subtracting the totals of views recovers nothing. Counts are of case records
(instances of assistance, or hotline reports where a partner's data has them; one person
may appear more than once). Figures are memoised per (release, filters): the
dashboard, the API, the map and the home page share them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ctdata.errors import ValidationError
from ctdata.publish.corridors import FILE as CORRIDORS_FILE
from ctdata.publish.cube import FILTER_NAMES, Counts, Cube, Filters, Grid, normalise
from ctdata.publish.labels import OTHER, STAR, UNKNOWN, label, region_of, sort_key
from ctdata.publish.public import PublicRelease, _checked_path
from ctdata.publish.suppression import suppress_array
from ctdata.standard import countries, units
from ctdata.text import Country, Plain, Text

__all__ = [
    "FILTER_NAMES",
    "STAR",
    "UNKNOWN",
    "Filters",
    "ReleaseData",
    "corridors",
    "indicators",
    "is_loaded",
    "label",
    "load",
    "normalise",
    "region_of",
    "suppressed_table",
]

TOP_COUNTRIES = 10


@dataclass
class ReleaseData:
    """One approved release loaded for querying."""

    release: PublicRelease
    cube: Cube
    n: int
    options: dict[str, list[tuple[str, str]]]
    #: the release's corridor table (``corridors.csv``) when it has one: all its records, pairs >= k
    corridor_table: list[Flow] | None = None

    def __post_init__(self) -> None:
        self._allowed = {name: {v for v, _ in self.options[name]} for name in FILTER_NAMES}

    @property
    def k(self) -> int:
        return self.release.k

    def clean(self, raw: dict[str, str | None]) -> tuple[Filters, list[str]]:
        """Filters limited to values this release has; anything else is dropped with a notice."""
        kept: dict[str, str] = {}
        ignored: list[str] = []
        for name in FILTER_NAMES:
            value = (raw.get(name) or "").strip()
            if not value:
                continue
            if value in self._allowed[name]:
                kept[name] = value
            else:
                ignored.append(name)
        return Filters(**kept), ignored

    def counts(self, f: Filters) -> Counts:
        """The counts behind every table for these filters (memoised: indicators and corridors share them)."""
        result: Counts = _memo.get((self.release.digest, "counts", f), lambda: self.cube.counts(f))
        return result


def _options(norm: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    def values(dim: str) -> list[str]:
        return sorted(set(norm[dim]), key=lambda v: sort_key(dim, v))

    found = {t for v in set(norm["types"]) for t in v.split(";") if t != UNKNOWN}
    types = sorted(found, key=lambda v: sort_key("types", v))
    age = [(c, label("child", c)) for c in ("child", "adult") if c in set(norm["child"])]
    age += [
        (f"band:{b}", Text("Age band {band}", band=label("age_band", b)))
        for b in values("age_band")
        if b not in (UNKNOWN, STAR)
    ]
    return {
        "year": [(v, label("year", v)) for v in values("year") if v != UNKNOWN],
        "region": [(v, label("region", v)) for v in values("region") if v != UNKNOWN],
        "sex": [(v, label("sex", v)) for v in values("sex") if v != UNKNOWN],
        "age": age,
        "type": [(t, label("types", t)) for t in types],
    }


_loaded: OrderedDict[str, ReleaseData] = OrderedDict()
_load_lock = threading.Lock()
MAX_LOADED = 4


def is_loaded(release: PublicRelease) -> bool:
    """Whether `load` would answer at once (the release is in memory).

    No lock: `load` holds its lock while it reads a release, and this is asked on the event loop
    (a dict membership test is atomic).
    """
    return release.digest in _loaded


def load(release: PublicRelease) -> ReleaseData:
    """The release's counts in memory, cached per release digest (a few releases at most)."""
    with _load_lock:
        hit = _loaded.get(release.digest)
        if hit is not None:
            _loaded.move_to_end(release.digest)
            return hit
        path = _checked_path(release, "records.parquet")
        norm = normalise(pd.read_parquet(path))
        data = ReleaseData(release, Cube(norm), len(norm), _options(norm), _corridor_table(release))
        _loaded[release.digest] = data
        while len(_loaded) > MAX_LOADED:
            _loaded.popitem(last=False)
        return data


# -------------------------------------------------------------------------------------- suppression


@dataclass(frozen=True)
class Cell:
    value: int | None
    #: "" (published), "below_k" (primary suppression) or "complementary"
    suppressed: str = ""

    def text(self, k: int) -> str:
        if self.suppressed == "below_k":
            return f"<{k}"
        if self.suppressed:
            return "x"
        return f"{self.value:,}"

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "suppressed": self.suppressed or None}


TOTAL = Text("Total")


@dataclass
class Table:
    """A suppressed table ready to show: rows and columns as (code, label), cells with margins."""

    key: str
    title: str
    row_title: str
    rows: list[tuple[str, str]]
    cols: list[tuple[str, str]]
    cells: list[list[Cell]]  # rows x cols (no margins)
    row_totals: list[Cell] | None
    col_totals: list[Cell] | None
    total: Cell | None
    total_row_label: str = TOTAL
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows

    def published(self) -> list[dict[str, Any]]:
        """Published interior cells (what a chart may draw)."""
        out = []
        for (rc, rl), row in zip(self.rows, self.cells, strict=True):
            for (cc, cl), cell in zip(self.cols, row, strict=True):
                if not cell.suppressed and cell.value:
                    out.append({"row": rl, "row_code": rc, "col": cl, "col_code": cc, "n": cell.value})
        return out

    def suppressed_count(self) -> int:
        cells = [c for row in self.cells for c in row]
        cells += (self.row_totals or []) + (self.col_totals or []) + ([self.total] if self.total else [])
        return sum(1 for c in cells if c.suppressed)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": self.title,
            "rows": [{"code": c, "label": lab} for c, lab in self.rows],
            "columns": [{"code": c, "label": lab} for c, lab in self.cols],
            "cells": [[c.as_json() for c in row] for row in self.cells],
        }
        if self.row_totals is not None:
            data["row_totals"] = [c.as_json() for c in self.row_totals]
        if self.col_totals is not None:
            data["column_totals"] = {"label": self.total_row_label, "cells": [c.as_json() for c in self.col_totals]}
        if self.total is not None:
            data["total"] = self.total.as_json()
        if self.note:
            data["note"] = self.note
        return data


_BELOW_K = Cell(None, "below_k")
_COMPLEMENTARY = Cell(None, "complementary")


def _cells(values: np.ndarray, primary: np.ndarray, secondary: np.ndarray) -> list[list[Cell]]:
    v = values.tolist()
    p, s = primary.tolist(), secondary.tolist()
    return [
        [_BELOW_K if p[i][j] else _COMPLEMENTARY if s[i][j] else Cell(v[i][j]) for j in range(len(v[i]))]
        for i in range(len(v))
    ]


def suppressed_table(counts: pd.DataFrame, k: int, *, col_dim: str | None, **options: Any) -> Table:
    """Suppress a rows x columns table of counts (with margins) and label it for display.

    ``options`` are `_table`'s: key, title, row_title, row_dim (required), additive_rows,
    total_row_label, note. With one data column (``col_dim`` None) the row totals repeat the column
    and are not shown. When rows are not additive (a record in several rows), the column totals are
    labelled as such by the caller; suppression still treats the table with all its margins.
    """
    return _table(
        counts.to_numpy(dtype=np.int64),
        [str(r) for r in counts.index],
        None if col_dim is None else [str(c) for c in counts.columns],
        k,
        col_dim=col_dim,
        **options,
    )


def _table(
    counts: np.ndarray,
    row_values: list[str],
    col_values: list[str] | None,
    k: int,
    *,
    key: str,
    title: str,
    row_title: str,
    row_dim: str,
    col_dim: str | None,
    additive_rows: bool = True,
    total_row_label: str = TOTAL,
    note: str = "",
    hide_total: bool = False,
    hide_cols: frozenset[str] = frozenset(),
) -> Table:
    """`suppressed_table` on a plain array of counts (rows x columns, or one column when ``col_dim`` is None).

    ``hide_total`` withholds the grand total (the view's total is withheld), ``hide_cols`` the
    column totals of those columns (withheld in another table of the view); both are then
    protected like small cells.
    """
    if counts.size == 0 or counts.sum() == 0:
        return Table(key, title, row_title, [], [], [], None, None, None, total_row_label, note)
    hide = np.zeros((counts.shape[0] + 1, counts.shape[1] + 1), dtype=bool)
    if hide_total:
        hide[-1, -1] = True
        if col_dim is None:  # one column: its total is the grand total
            hide[-1, :] = True
    if col_dim is not None and col_values is not None:
        hide[-1, :-1] |= np.array([c in hide_cols for c in col_values], dtype=bool)
    try:
        values, primary, secondary = suppress_array(counts, k=k, hide=hide)
    except ValidationError:  # too small to protect at all: hide everything
        values = np.zeros((counts.shape[0] + 1, counts.shape[1] + 1), dtype=np.int64)
        primary = np.ones(values.shape, dtype=bool)
        secondary = ~primary
    grid = _cells(values, primary, secondary)
    rows = [(r, label(row_dim, r)) for r in row_values]
    if col_dim is None or col_values is None:
        cols = [("records", Text("Records"))]
        cells = [[row[0]] for row in grid[:-1]]
        row_totals = None
        col_totals = [grid[-1][0]]
        total = grid[-1][0]
    else:
        cols = [(c, label(col_dim, c)) for c in col_values]
        cells = [row[:-1] for row in grid[:-1]]
        row_totals = [row[-1] for row in grid[:-1]]
        col_totals = grid[-1][:-1]
        total = grid[-1][-1]
    if not additive_rows:
        total = None
    return Table(key, title, row_title, rows, cols, cells, row_totals, col_totals, total, total_row_label, note)


def _top(totals: np.ndarray, values: list[str], n: int = TOP_COUNTRIES) -> tuple[np.ndarray, list[str]]:
    """Counts by a country dimension: the n largest, then 'Other', then withheld and 'Unknown'.

    ``values`` are in display order (withheld and Unknown last); ties among the largest go
    to the value that sorts first as text. A released ``Other`` (countries the region tables
    lack) joins the 'Other' row rather than making a second row of that name.
    """
    special = [i for i, v in enumerate(values) if v in (UNKNOWN, STAR)]
    ranked = (i for i, v in enumerate(values) if v not in (UNKNOWN, STAR, OTHER))
    rest = sorted(ranked, key=lambda i: (-totals[i], values[i]))
    out = [int(totals[i]) for i in rest[:n]]
    names = [values[i] for i in rest[:n]]
    other = sum(int(totals[i]) for i in rest[n:]) + sum(int(totals[i]) for i, v in enumerate(values) if v == OTHER)
    if other:
        out.append(other)
        names.append(OTHER)
    out += [int(totals[i]) for i in special]
    names += [values[i] for i in special]
    return np.array(out, dtype=np.int64).reshape(-1, 1), names


@dataclass
class Indicators:
    """Everything one dashboard view shows, already suppressed."""

    release: PublicRelease
    k: int
    filters: Filters
    ignored: list[str]
    total: Cell
    tables: list[Table]
    generalised: list[str]
    #: (dimension, value) -> the view's margin cell for records with that value: the total of the view
    #: that adds this filter (see `_total`); includes the tables computed but not shown
    margins: dict[tuple[str, str], Cell] = field(default_factory=dict, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "release": {
                "id": self.release.release_id,
                "kind": self.release.kind,
                "title": self.release.title,
                "version": self.release.version,
            },
            "unit": f"{units.CASE_RECORDS} (one person may appear more than once)",
            "k": self.k,
            "suppression": (
                f"Cells with fewer than {self.k} records are suppressed (value null, suppressed 'below_k'); "
                "where a table has totals, further cells are suppressed ('complementary') so that no hidden "
                "cell can be worked out from the others, and a total withheld in a wider view is withheld in "
                "every view that shows it (so that totals of views cannot be subtracted)."
            ),
            "filters": self.filters.active(),
            "ignored_filters": self.ignored,
            "total": self.total.as_json(),
            "tables": {t.key: t.as_json() for t in self.tables},
            "generalised": self.generalised,
        }


def _generalised(c: Counts) -> list[str]:
    """Plain-words notes on how the shown values were generalised (only those that occur)."""
    notes = []
    years = c.values("year_sex", 0)
    if any("-" in y for y in years):
        notes.append(Text("Some years are shown as periods (for example 2015-2019): the exact year was withheld."))
    countries_ = c.values("pairs", 0) | c.values("pairs", 1)
    if any(len(v) > 2 and v not in (UNKNOWN, STAR) for v in countries_):
        notes.append(
            Text(
                "Some countries are shown as the region they belong to (for example 'Western Africa'): "
                "the country was withheld because too few records shared it."
            )
        )
    bands = c.values("age_sex", 0)
    if bands & {"minor", "adult", "0-17", "18-23", "24-29", "30-47"}:
        notes.append(Text("Some ages are shown in wider bands or only as child/adult."))
    if STAR in years | c.values("year_sex", 1) | bands | countries_:
        notes.append(
            Text("'Any (withheld)' means the value was removed entirely from those records to protect people.")
        )
    return notes


class _Memo:
    """Computed figures per (release digest, cleaned filters): the dashboard, the API and the home page share them."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._data: OrderedDict[tuple[str, str, Filters], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, Filters], make: Any) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = make()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value


_memo = _Memo()


def indicators(data: ReleaseData, raw: dict[str, str | None]) -> Indicators:
    f, ignored = data.clean(raw)
    return replace(_indicators_of(data, f), ignored=ignored)


def _by_sex(g: Grid, k: int, **kw: Any) -> Table:
    return _table(g.counts, g.rows, g.cols, k, col_dim="sex", **kw)


#: The tables whose rows are records of one value of a filter: filter -> (table key, row dimension).
#: Their row totals are the totals of the views one filter narrower. The sex filter's margins are
#: the column totals, the same in every table by sex whose rows add up (`_SEX_TABLES`).
_FILTER_MARGINS = {
    "year": ("year_sex", "year"),
    "region": ("region_sex", "region"),
    "child": ("child_sex", "child"),
    "band": ("age_sex", "age_band"),
    "type": ("type_sex", "types"),
}
_SEX_TABLES = ("year_sex", "child_sex", "age_sex", "region_sex")


def _margin_key(name: str, value: str) -> tuple[str, str]:
    """The margin of the wider view that counts the records a filter keeps."""
    if name == "sex":
        return ("sex", value)
    if name == "age":
        return ("age_band", value[5:]) if value.startswith("band:") else ("child", value)
    return (_FILTER_MARGINS[name][1], value)


def _margins(tables: dict[str, Table]) -> dict[tuple[str, str], Cell]:
    out: dict[tuple[str, str], Cell] = {}
    for key, dim in _FILTER_MARGINS.values():
        t = tables.get(key)
        if t is not None and t.row_totals is not None:
            out |= {(dim, code): cell for (code, _), cell in zip(t.rows, t.row_totals, strict=True)}
    t = tables.get("year_sex")
    if t is not None and t.col_totals is not None:
        out |= {("sex", code): cell for (code, _), cell in zip(t.cols, t.col_totals, strict=True)}
    return out


def _total(data: ReleaseData, f: Filters, n: int) -> Cell:
    """The number of records a view counts, withheld wherever a wider view withholds the same figure.

    A view with filters is one margin cell of each view with one filter fewer (records of 2019
    are the 2019 row total of the unfiltered table by year). Where that wider view withholds
    the margin to protect a small cell, the narrower view's total is withheld too: otherwise
    subtracting the totals of views (all records, then each year's) recovers what suppression
    hid. A total below k is withheld as usual.
    """
    if n == 0:
        return Cell(0)
    if n < data.k:
        return _BELOW_K
    for name, value in f.active().items():
        wider = _indicators_of(data, replace(f, **{name: ""}))
        cell = wider.margins.get(_margin_key(name, value))
        if cell is None or cell.suppressed:
            return _COMPLEMENTARY
    return Cell(n)


def _indicators_of(data: ReleaseData, f: Filters) -> Indicators:
    result: Indicators = _memo.get((data.release.digest, "indicators", f), lambda: _indicators(data, f))
    return result


def _indicators(data: ReleaseData, f: Filters) -> Indicators:
    """Every table of a view, suppressed so that the view agrees with the wider views on the figures they share.

    The view's total (`_total`) is withheld in every table whose grand total it is; a sex withheld
    in one table by sex is withheld in all of them (the tables are recomputed until they agree:
    each round only adds hidden cells, so it ends).
    """
    ignored: list[str] = []
    c = data.counts(f)
    k = data.k
    total = _total(data, f, c.total)
    hide_total = bool(total.suppressed)
    tables: dict[str, Table] = {}
    shown: list[str] = []
    if c.total:
        sex_tables = {
            "year_sex": dict(key="year_sex", title=Text("Records by year of registration and sex"),
                             row_title=Text("Year"), row_dim="year"),
            "child_sex": dict(key="child_sex", title=Text("Records of children and adults, by sex"),
                              row_title=Text("Age group"), row_dim="child"),
            "age_sex": dict(key="age_sex", title=Text("Records by age band and sex"), row_title=Text("Age band"),
                            row_dim="age_band"),
            "region_sex": dict(key="region_sex", title=Text("Records by region of exploitation (UN M49) and sex"),
                               row_title=Text("Region of exploitation"), row_dim="region"),
        }  # fmt: skip
        hidden_sexes: frozenset[str] = frozenset()
        while True:
            for key, kw in sex_tables.items():
                tables[key] = _by_sex(c[key], k, hide_total=hide_total, hide_cols=hidden_sexes, **kw)
            now = frozenset(
                code
                for key in _SEX_TABLES
                for (code, _), cell in zip(tables[key].cols, tables[key].col_totals or [], strict=True)
                if cell.suppressed
            )
            if now <= hidden_sexes:
                break
            hidden_sexes |= now
        tables["type_sex"] = _by_sex(
            c["type_sex"],
            k,
            key="type_sex",
            title=Text("Records by type of exploitation and sex"),
            row_title=Text("Type of exploitation"),
            row_dim="types",
            additive_rows=False,
            total_row_label=Text("All mentions"),
            note=Text(
                "A record can have several types of exploitation, so the rows add up to more than the "
                "number of records."
            ),
        )
        shown = ["year_sex", "child_sex"]
        if c.values("age_sex", 0) - {UNKNOWN, STAR}:
            shown.append("age_sex")
        shown += ["type_sex", "region_sex"]
        pairs = c["pairs"]
        for dim, key, title, row_title, totals, values in (
            (
                "citizenship",
                "citizenship",
                Text("Records by citizenship (the {n} most frequent)", n=Plain(TOP_COUNTRIES)),
                Text("Citizenship"),
                pairs.row_totals,
                pairs.rows,
            ),
            (
                "coe",
                "country_of_exploitation",
                Text("Records by country of exploitation (the {n} most frequent)", n=Plain(TOP_COUNTRIES)),
                Text("Country of exploitation"),
                pairs.col_totals,
                pairs.cols,
            ),
        ):
            counts, names = _top(totals, values)
            tables[key] = _table(
                counts,
                names,
                None,
                k,
                key=key,
                title=title,
                row_title=row_title,
                row_dim=dim,
                col_dim=None,
                hide_total=hide_total,
            )
            shown.append(key)
    return Indicators(
        data.release,
        k,
        f,
        ignored,
        total,
        [tables[key] for key in shown],
        _generalised(c) if c.total else [],
        _margins(tables),
    )


# ------------------------------------------------------------------------------------------ corridors


@dataclass(frozen=True)
class Flow:
    origin: str
    origin_name: str
    destination: str
    destination_name: str
    records: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def origin_in_sentence(self) -> Country:
        """The origin as running text names it ('citizens of the Philippines')."""
        return countries.in_sentence(self.origin)

    @property
    def destination_in_sentence(self) -> Country:
        """The destination as running text names it ('exploited in the United States')."""
        return countries.in_sentence(self.destination)


#: Where a map's corridors come from.
FROM_TABLE = "corridor_table"
FROM_RECORDS = "records"


@dataclass
class Corridors:
    release: PublicRelease
    k: int
    filters: Filters
    ignored: list[str]
    flows: list[Flow]
    #: FROM_TABLE (the release's corridor table, no filters) or FROM_RECORDS (its k-anonymised records)
    source: str = FROM_RECORDS
    #: whether the release has a corridor table (the unfiltered map uses it)
    has_table: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "release": {"id": self.release.release_id, "kind": self.release.kind, "title": self.release.title},
            "k": self.k,
            "unit": units.CASE_RECORDS,
            "filters": self.filters.active(),
            "ignored_filters": self.ignored,
            "source": self.source,
            "flows": [f.as_json() for f in self.flows],
        }


def corridors(data: ReleaseData, raw: dict[str, str | None]) -> Corridors:
    """Cross-border flows citizenship -> country of exploitation, both country-level, with at least k records."""
    f, ignored = data.clean(raw)
    cor: Corridors = _memo.get((data.release.digest, "corridors", f), lambda: _corridors(data, f))
    return replace(cor, ignored=ignored)


def _corridors(data: ReleaseData, f: Filters) -> Corridors:
    """Flows of the release's corridor table when no filter is set; else of its records (country-level pairs only)."""
    ignored: list[str] = []
    k = data.k
    has_table = data.corridor_table is not None
    if data.corridor_table is not None and not f.active():
        return Corridors(data.release, k, f, ignored, list(data.corridor_table), FROM_TABLE, has_table)
    pairs = data.counts(f)["pairs"]
    flows: list[Flow] = []
    for i, j in zip(*np.nonzero(pairs.counts >= k), strict=True):
        o, d = pairs.rows[i], pairs.cols[j]
        if len(o) == 2 and len(d) == 2 and o != d:  # country-level and cross-border
            flows.append(
                Flow(o, Country(o, countries.name(o)), d, Country(d, countries.name(d)), int(pairs.counts[i, j]))
            )
    flows.sort(key=lambda fl: (-fl.records, fl.origin, fl.destination))
    return Corridors(data.release, k, f, ignored, flows, FROM_RECORDS, has_table)


def _corridor_table(release: PublicRelease) -> list[Flow] | None:
    """The flows of a release's ``corridors.csv`` (checked against its manifest), None when it has none.

    The table was suppressed when the release was made; the portal checks again that every
    pair it draws is two countries, cross-border and at least k.
    """
    if CORRIDORS_FILE not in release.manifest["files"]:
        return None
    path = _checked_path(release, CORRIDORS_FILE)
    table = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    flows = []
    for o, d, n in table[["citizenship", "country_of_exploitation", "records"]].itertuples(index=False):
        records = int(n) if str(n).isdigit() else 0
        if len(o) == 2 and len(d) == 2 and o.isalpha() and d.isalpha() and o != d and records >= release.k:
            flows.append(Flow(o, Country(o, countries.name(o)), d, Country(d, countries.name(d)), records))
    flows.sort(key=lambda fl: (-fl.records, fl.origin, fl.destination))
    return flows

"""The portal's figures: counts from one approved release, filtered, every cell suppressed below k.

A release's ``records.parquet`` is loaded once per release digest into an
in-memory DuckDB table, with the dimensions the dashboards use normalised to
display codes (missing -> ``Unknown``; generalised labels such as ``2015-2019``,
``Western Africa`` or ``*`` kept as released). A request filters it and
counts every table in one grouping-sets query (plus one for exploitation types),
and every table is passed through ``ctdata.publish.suppression``:
cells with 0 < count < k are hidden (primary), and where a table shows totals,
further cells are hidden so that none can be worked out from the rest
(complementary). Counts are of records, i.e. instances of assistance.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ctdata.errors import ValidationError
from ctdata.publish.suppression import TOTAL, suppress
from ctdata.standard import countries, regions, vocab
from ctdata.web.portal.published import PublicRelease, _checked_path

UNKNOWN = "Unknown"
STAR = "*"
TOP_COUNTRIES = 10
FILTER_NAMES = ("year", "region", "sex", "age", "type")
_CHILD_BANDS = {"0-8", "9-17", "0-17", "minor"}


# ------------------------------------------------------------------------------------------- labels


def _region_lookup() -> dict[str, str]:
    """M49 region of every M49 region, sub-region and intermediate-region name (for generalised labels)."""
    out: dict[str, str] = {}
    for row in regions.m49_table().values():
        for name in (row.region, row.sub_region, row.intermediate_region):
            if name:
                out.setdefault(name, row.region)
    # labels from the regional-office table, used for codes M49 lacks (e.g. "European Economic Area")
    for office in regions.regional_office_table().values():
        region = regions.m49_region(office.iso2)
        if office.region and region:
            out.setdefault(office.region, region)
    return out


_REGION_OF_LABEL = _region_lookup()


def region_of(value: str) -> str:
    """UN M49 region of a released country value (a code, or a generalised region label)."""
    if value in (UNKNOWN, STAR):
        return value
    if len(value) == 2:
        return regions.m49_region(value) or UNKNOWN
    return _REGION_OF_LABEL.get(value, UNKNOWN)


def label(dim: str, value: str) -> str:
    """How a released value reads on the page."""
    if value == STAR:
        return "Any (withheld)"
    if value == UNKNOWN:
        return "Unknown"
    if dim == "sex":
        return "Transgender / non-conforming" if value == "transgender_nonconforming" else vocab.SEX.label(value)
    if dim in ("citizenship", "coe"):
        return countries.name(value) if len(value) == 2 else f"{value} (region)"
    if dim == "child":
        return {"child": "Child (under 18)", "adult": "Adult"}.get(value, value)
    if dim == "age_band":
        if value == "minor":
            return "Under 18 (band withheld)"
        if value == "adult":
            return "18 or over (band withheld)"
        return vocab.AGE_BAND.label(value) if value in vocab.AGE_BAND else value.replace("-", " to ")
    if dim == "types":
        return vocab.EXPLOITATION_TYPES.label(value) if value in vocab.EXPLOITATION_TYPES else value
    return value


def _sort_key(dim: str, value: str) -> tuple[int, Any]:
    last = 2 if value == UNKNOWN else 1 if value == STAR else 0
    if dim == "sex":
        codes = vocab.SEX.codes
        return (last, codes.index(value) if value in codes else len(codes))
    if dim == "age_band":
        order = [*vocab.AGE_BAND.codes, "0-17", "18-23", "24-29", "30-47", "minor", "adult"]
        return (last, order.index(value) if value in order else len(order))
    if dim == "child":
        return (last, ["child", "adult"].index(value) if value in ("child", "adult") else 2)
    if dim == "year":
        return (last, value)
    if dim == "types":
        codes = vocab.EXPLOITATION_TYPES.codes
        return (last, codes.index(value) if value in codes else len(codes), value)
    return (last, label(dim, value))


# ------------------------------------------------------------------------------------------ loading


def _text(series: pd.Series) -> pd.Series:
    s = series.astype("string").str.strip()
    return s.mask(s == "", pd.NA).fillna(UNKNOWN).astype(object)


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """The dashboard dimensions of a released table, as plain strings (missing -> Unknown)."""
    n = len(df)

    def col(name: str) -> pd.Series:
        return _text(df[name]) if name in df.columns else pd.Series([UNKNOWN] * n, index=df.index, dtype=object)

    out = pd.DataFrame(index=df.index)
    year = df["registration_year"] if "registration_year" in df.columns else pd.Series([pd.NA] * n)
    if pd.api.types.is_float_dtype(year):
        year = year.astype("Int64")
    out["year"] = _text(year)
    out["sex"] = col("sex")
    out["age_band"] = col("age_band")
    if "child" in df.columns:
        child = df["child"].astype("boolean")
        out["child"] = np.where(child.isna(), UNKNOWN, np.where(child.fillna(False), "child", "adult"))
    else:
        out["child"] = [
            UNKNOWN if a in (UNKNOWN, STAR) else "child" if a in _CHILD_BANDS else "adult" for a in out["age_band"]
        ]
    out["citizenship"] = col("citizenship")
    out["coe"] = col("country_of_exploitation")
    out["region"] = out["coe"].map({v: region_of(v) for v in set(out["coe"])})
    types = col("exploitation_types")
    out["types"] = types.map(lambda v: ";".join(sorted({t.strip() for t in str(v).split(";") if t.strip()})) or UNKNOWN)
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Filters:
    """The visitor's filters, each a released value ('' = all)."""

    year: str = ""
    region: str = ""
    sex: str = ""
    age: str = ""  # "child", "adult" or "band:<released age band>"
    type: str = ""

    def active(self) -> dict[str, str]:
        return {k: v for k, v in self.as_dict().items() if v}

    def as_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in FILTER_NAMES}


@dataclass
class ReleaseData:
    """One approved release loaded for querying."""

    release: PublicRelease
    con: duckdb.DuckDBPyConnection
    n: int
    options: dict[str, list[tuple[str, str]]]
    lock: threading.Lock = field(default_factory=threading.Lock)

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
            if value in {v for v, _ in self.options[name]}:
                kept[name] = value
            else:
                ignored.append(name)
        return Filters(**kept), ignored

    def cube(self, f: Filters) -> dict[str, pd.DataFrame]:
        """The counts behind every table for these filters (memoised: indicators and corridors share them)."""
        result: dict[str, pd.DataFrame] = _memo.get((self.release.digest, "cube", f), lambda: self._cube(f))
        return result

    def _cube(self, f: Filters) -> dict[str, pd.DataFrame]:
        """Counts of the filtered records for every table, in one grouping-sets query (plus one for types).

        Returns one small frame per entry of ``GROUPING_SETS`` (its columns and ``n``) and
        ``types`` (exploitation type x sex, a record counted once per type it has).
        """
        where, params = [], []
        for column, value in (("year", f.year), ("region", f.region), ("sex", f.sex)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if f.age in ("child", "adult"):
            where.append("child = ?")
            params.append(f.age)
        elif f.age.startswith("band:"):
            where.append("age_band = ?")
            params.append(f.age[5:])
        if f.type:
            where.append("list_contains(string_split(types, ';'), ?)")
            params.append(f.type)
        cond = (" WHERE " + " AND ".join(where)) if where else ""
        dims = sorted({d for cols in GROUPING_SETS.values() for d in cols})
        sets = ", ".join("(" + ", ".join(cols) + ")" for cols in GROUPING_SETS.values())
        grouped = (
            f"SELECT {', '.join(dims)}, GROUPING({', '.join(dims)}) AS g, sum(n)::BIGINT AS n "
            f"FROM records{cond} GROUP BY GROUPING SETS ({sets})"
        )
        types = (
            f"SELECT t AS types, sex, sum(n)::BIGINT AS n FROM (SELECT unnest(string_split(types, ';')) AS t, sex, n "
            f"FROM records{cond}) GROUP BY t, sex"
        )
        cur = self.con.cursor()
        try:
            res = cur.execute(grouped, params).df()
            out = {"types": cur.execute(types, params).df()}
        finally:
            cur.close()
        for name, cols in GROUPING_SETS.items():
            # GROUPING(...) has a 1 bit for every column *not* grouped on, first column highest
            mask = sum(1 << (len(dims) - 1 - i) for i, d in enumerate(dims) if d not in cols)
            out[name] = res.loc[res["g"] == mask, [*cols, "n"]].reset_index(drop=True)
        return out


#: The groupings every dashboard view needs (one DuckDB query computes them all).
GROUPING_SETS: dict[str, tuple[str, ...]] = {
    "year_sex": ("year", "sex"),
    "child_sex": ("child", "sex"),
    "age_sex": ("age_band", "sex"),
    "region_sex": ("region", "sex"),
    "pairs": ("citizenship", "coe"),
}


def _options(norm: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    def values(dim: str) -> list[str]:
        return sorted(set(norm[dim]), key=lambda v: _sort_key(dim, v))

    found = {t for v in set(norm["types"]) for t in v.split(";") if t != UNKNOWN}
    types = sorted(found, key=lambda v: _sort_key("types", v))
    age = [(c, label("child", c)) for c in ("child", "adult") if c in set(norm["child"])]
    age += [(f"band:{b}", f"Age band {label('age_band', b)}") for b in values("age_band") if b not in (UNKNOWN, STAR)]
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


def load(release: PublicRelease) -> ReleaseData:
    """The release's records in DuckDB, cached per release digest (a few releases at most)."""
    with _load_lock:
        hit = _loaded.get(release.digest)
        if hit is not None:
            _loaded.move_to_end(release.digest)
            return hit
        path = _checked_path(release, "records.parquet")
        norm = normalise(pd.read_parquet(path))
        con = duckdb.connect()
        con.execute("SET threads TO 1")
        con.register("norm_df", norm)
        # one row per distinct combination with its count: a k-anonymised release has few of them
        dims = ", ".join(norm.columns)
        con.execute(f"CREATE TABLE records AS SELECT {dims}, count(*)::BIGINT AS n FROM norm_df GROUP BY {dims}")
        con.unregister("norm_df")
        data = ReleaseData(release, con, len(norm), _options(norm))
        _loaded[release.digest] = data
        while len(_loaded) > MAX_LOADED:
            _loaded.popitem(last=False)[1].con.close()
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
    total_row_label: str = "Total"
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


def _nothing_small(counts: pd.DataFrame, k: int) -> bool:
    v = counts.to_numpy()
    cells = np.concatenate([v.ravel(), v.sum(axis=0), v.sum(axis=1), [v.sum()]])
    return not bool(((cells > 0) & (cells < k)).any())


def _margins(counts: pd.DataFrame) -> pd.DataFrame:
    v = counts.to_numpy(dtype=np.int64)
    full = np.zeros((v.shape[0] + 1, v.shape[1] + 1), dtype=np.int64)
    full[:-1, :-1] = v
    full[:-1, -1] = v.sum(axis=1)
    full[-1, :-1] = v.sum(axis=0)
    full[-1, -1] = v.sum()
    return pd.DataFrame(full, index=[*counts.index, TOTAL], columns=[*counts.columns, TOTAL])


def _cells(values: pd.DataFrame, primary: pd.DataFrame, secondary: pd.DataFrame) -> list[list[Cell]]:
    v = values.to_numpy(dtype=object, na_value=None)
    p, s = primary.to_numpy(), secondary.to_numpy()
    return [
        [
            Cell(None, "below_k") if p[i, j] else Cell(None, "complementary") if s[i, j] else Cell(int(v[i, j]))
            for j in range(v.shape[1])
        ]
        for i in range(v.shape[0])
    ]


def suppressed_table(
    counts: pd.DataFrame,
    k: int,
    *,
    key: str,
    title: str,
    row_title: str,
    row_dim: str,
    col_dim: str | None,
    additive_rows: bool = True,
    total_row_label: str = "Total",
    note: str = "",
) -> Table:
    """Suppress a rows x columns table of counts (with margins) and label it for display.

    With one data column (``col_dim`` None) the row totals repeat the column and are not shown.
    When rows are not additive (a record in several rows), the column totals are labelled as
    such by the caller; suppression still treats the table with all its margins.
    """
    if counts.size == 0 or counts.to_numpy().sum() == 0:
        return Table(key, title, row_title, [], [], [], None, None, None, total_row_label, note)
    try:
        if _nothing_small(counts, k):  # what suppress() returns when no cell or margin is below k
            values = _margins(counts)
            primary = pd.DataFrame(False, index=values.index, columns=values.columns)
            secondary = primary
        else:
            st = suppress(counts, k=k)
            values, primary, secondary = st.values, st.primary, st.secondary
    except ValidationError:  # too small to protect at all: hide everything
        full = counts.copy()
        full[TOTAL] = 0
        full.loc[TOTAL] = 0
        values = full.astype("Int64")
        primary = pd.DataFrame(True, index=full.index, columns=full.columns)
        secondary = ~primary
    grid = _cells(values, primary, secondary)
    rows = [(str(r), label(row_dim, str(r))) for r in counts.index]
    if col_dim is None:
        cols = [("records", "Records")]
        cells = [[row[0]] for row in grid[:-1]]
        row_totals = None
        col_totals = [grid[-1][0]]
        total = grid[-1][0]
    else:
        cols = [(str(c), label(col_dim, str(c))) for c in counts.columns]
        cells = [row[:-1] for row in grid[:-1]]
        row_totals = [row[-1] for row in grid[:-1]]
        col_totals = grid[-1][:-1]
        total = grid[-1][-1]
    if not additive_rows:
        total = None
    return Table(key, title, row_title, rows, cols, cells, row_totals, col_totals, total, total_row_label, note)


def _pivot(cube: pd.DataFrame, row: str, col: str | None) -> pd.DataFrame:
    """Counts by row (x col), rows and columns in display order; plain numpy on the small cube."""
    r_codes, r_values = pd.factorize(cube[row], sort=False)
    if col is None:
        c_codes, c_values = np.zeros(len(cube), dtype=np.int64), np.array(["records"], dtype=object)
    else:
        c_codes, c_values = pd.factorize(cube[col], sort=False)
    grid = np.zeros((len(r_values), len(c_values)), dtype=np.int64)
    np.add.at(grid, (r_codes, c_codes), cube["n"].to_numpy(dtype=np.int64))
    r_order = sorted(range(len(r_values)), key=lambda i: _sort_key(row, str(r_values[i])))
    c_order = (
        list(range(len(c_values)))
        if col is None
        else sorted(range(len(c_values)), key=lambda j: _sort_key(col, str(c_values[j])))
    )
    return pd.DataFrame(
        grid[np.ix_(r_order, c_order)],
        index=[str(r_values[i]) for i in r_order],
        columns=[str(c_values[j]) for j in c_order],
    )


def _top(cube: pd.DataFrame, dim: str, n: int = TOP_COUNTRIES) -> pd.DataFrame:
    """Counts by a country dimension: the n largest, then 'Other', then 'Unknown' and withheld."""
    counts = cube.groupby(dim)["n"].sum()
    special = counts[counts.index.isin([UNKNOWN, STAR])]
    rest = counts[~counts.index.isin([UNKNOWN, STAR])].sort_values(ascending=False, kind="stable")
    top = rest.iloc[:n]
    parts = [top]
    if len(rest) > n:
        parts.append(pd.Series({"Other": int(rest.iloc[n:].sum())}))
    parts.append(special.sort_index(key=lambda s: s.map(lambda v: _sort_key(dim, v))))
    out = pd.concat(parts)
    return out.to_frame("records").astype(np.int64)


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

    def as_json(self) -> dict[str, Any]:
        return {
            "release": {
                "id": self.release.release_id,
                "kind": self.release.kind,
                "title": self.release.title,
                "version": self.release.version,
            },
            "unit": "records (instances of assistance; one person may appear more than once)",
            "k": self.k,
            "suppression": (
                f"Cells with fewer than {self.k} records are suppressed (value null, suppressed 'below_k'); "
                "where a table has totals, further cells are suppressed ('complementary') so that no hidden "
                "cell can be worked out from the others."
            ),
            "filters": self.filters.active(),
            "ignored_filters": self.ignored,
            "total": self.total.as_json(),
            "tables": {t.key: t.as_json() for t in self.tables},
            "generalised": self.generalised,
        }


def _cell(n: int, k: int) -> Cell:
    return Cell(None, "below_k") if 0 < n < k else Cell(n)


def _generalised(c: dict[str, pd.DataFrame]) -> list[str]:
    """Plain-words notes on how the shown values were generalised (only those that occur)."""
    notes = []
    years = set(c["year_sex"]["year"])
    if any("-" in y for y in years):
        notes.append("Some years are shown as periods (for example 2015-2019): the exact year was withheld.")
    countries_ = set(c["pairs"]["citizenship"]) | set(c["pairs"]["coe"])
    if any(len(v) > 2 and v not in (UNKNOWN, STAR) for v in countries_):
        notes.append(
            "Some countries are shown as the region they belong to (for example 'Western Africa'): "
            "the country was withheld because too few records shared it."
        )
    bands = set(c["age_sex"]["age_band"])
    if bands & {"minor", "adult", "0-17", "18-23", "24-29", "30-47"}:
        notes.append("Some ages are shown in wider bands or only as child/adult.")
    if STAR in years | set(c["year_sex"]["sex"]) | bands | countries_:
        notes.append("'Any (withheld)' means the value was removed entirely from those records to protect people.")
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
    ind: Indicators = _memo.get((data.release.digest, "indicators", f), lambda: _indicators(data, f))
    return replace(ind, ignored=ignored)


def _indicators(data: ReleaseData, f: Filters) -> Indicators:
    ignored: list[str] = []
    c = data.cube(f)
    k = data.k
    total = _cell(int(c["year_sex"]["n"].sum()), k)
    tables: list[Table] = []
    if len(c["year_sex"]):
        tables.append(
            suppressed_table(
                _pivot(c["year_sex"], "year", "sex"),
                k,
                key="year_sex",
                title="Records by year of registration and sex",
                row_title="Year",
                row_dim="year",
                col_dim="sex",
            )
        )
        tables.append(
            suppressed_table(
                _pivot(c["child_sex"], "child", "sex"),
                k,
                key="child_sex",
                title="Records of children and adults, by sex",
                row_title="Age group",
                row_dim="child",
                col_dim="sex",
            )
        )
        if set(c["age_sex"]["age_band"]) - {UNKNOWN, STAR}:
            tables.append(
                suppressed_table(
                    _pivot(c["age_sex"], "age_band", "sex"),
                    k,
                    key="age_sex",
                    title="Records by age band and sex",
                    row_title="Age band",
                    row_dim="age_band",
                    col_dim="sex",
                )
            )
        tables.append(
            suppressed_table(
                _pivot(c["types"], "types", "sex"),
                k,
                key="type_sex",
                title="Records by type of exploitation and sex",
                row_title="Type of exploitation",
                row_dim="types",
                col_dim="sex",
                additive_rows=False,
                total_row_label="All mentions",
                note="A record can have several types of exploitation, so the rows add up to more than the "
                "number of records.",
            )
        )
        tables.append(
            suppressed_table(
                _pivot(c["region_sex"], "region", "sex"),
                k,
                key="region_sex",
                title="Records by region of exploitation (UN M49) and sex",
                row_title="Region of exploitation",
                row_dim="region",
                col_dim="sex",
            )
        )
        tables.append(
            suppressed_table(
                _top(c["pairs"], "citizenship"),
                k,
                key="citizenship",
                title=f"Records by citizenship (the {TOP_COUNTRIES} most frequent)",
                row_title="Citizenship",
                row_dim="citizenship",
                col_dim=None,
            )
        )
        tables.append(
            suppressed_table(
                _top(c["pairs"], "coe"),
                k,
                key="country_of_exploitation",
                title=f"Records by country of exploitation (the {TOP_COUNTRIES} most frequent)",
                row_title="Country of exploitation",
                row_dim="coe",
                col_dim=None,
            )
        )
    return Indicators(data.release, k, f, ignored, total, tables, _generalised(c) if len(c["year_sex"]) else [])


# ------------------------------------------------------------------------------------------ corridors


@dataclass(frozen=True)
class Flow:
    origin: str
    origin_name: str
    destination: str
    destination_name: str
    records: int

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "origin_name": self.origin_name,
            "destination": self.destination,
            "destination_name": self.destination_name,
            "records": self.records,
        }


@dataclass
class Corridors:
    release: PublicRelease
    k: int
    filters: Filters
    ignored: list[str]
    flows: list[Flow]

    def as_json(self) -> dict[str, Any]:
        return {
            "release": {"id": self.release.release_id, "kind": self.release.kind, "title": self.release.title},
            "k": self.k,
            "unit": "records (instances of assistance)",
            "filters": self.filters.active(),
            "ignored_filters": self.ignored,
            "flows": [f.as_json() for f in self.flows],
        }


def corridors(data: ReleaseData, raw: dict[str, str | None]) -> Corridors:
    """Cross-border flows citizenship -> country of exploitation, both country-level, with at least k records."""
    f, ignored = data.clean(raw)
    cor: Corridors = _memo.get((data.release.digest, "corridors", f), lambda: _corridors(data, f))
    return replace(cor, ignored=ignored)


def _corridors(data: ReleaseData, f: Filters) -> Corridors:
    ignored: list[str] = []
    pairs = data.cube(f)["pairs"]
    k = data.k
    if len(pairs) == 0:
        return Corridors(data.release, k, f, ignored, [])
    country = (pairs["citizenship"].str.len() == 2) & (pairs["coe"].str.len() == 2)
    cross = country & (pairs["citizenship"] != pairs["coe"])
    shown = pairs[cross & (pairs["n"] >= k)].sort_values(["n", "citizenship", "coe"], ascending=[False, True, True])
    flows = [
        Flow(o, countries.name(o), d, countries.name(d), int(n))
        for o, d, n in shown[["citizenship", "coe", "n"]].itertuples(index=False)
    ]
    return Corridors(data.release, k, f, ignored, flows)

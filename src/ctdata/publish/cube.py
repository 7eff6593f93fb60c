"""A release's counts in memory: any filter combination answered by aggregating integer codes.

A k-anonymised release has few distinct combinations of the dimensions the
dashboards use (a 100,000-record release has about 8,500). `Cube` holds them once
per release: one integer array per dimension, codes numbered in display order, and
the number of records of each combination. A visitor's filters become a boolean
mask over the combinations and every table one ``np.bincount``: no query engine
and no pandas on the request path, a fraction of a millisecond per new filter
combination however many there are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctdata.publish.labels import CHILD_BANDS, STAR, UNKNOWN, region_of, sort_key

FILTER_NAMES = ("year", "region", "sex", "age", "type")
#: The dimensions of a combination (``types`` is a ';'-joined set, counted once per type it holds).
DIMS = ("year", "sex", "age_band", "child", "citizenship", "coe", "region", "types")
#: The two-way tables every view needs: name -> (row dimension, column dimension).
GRIDS: dict[str, tuple[str, str]] = {
    "year_sex": ("year", "sex"),
    "child_sex": ("child", "sex"),
    "age_sex": ("age_band", "sex"),
    "region_sex": ("region", "sex"),
    "pairs": ("citizenship", "coe"),
}


# ------------------------------------------------------------------------------------- normalising


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
            UNKNOWN if a in (UNKNOWN, STAR) else "child" if a in CHILD_BANDS else "adult" for a in out["age_band"]
        ]
    out["citizenship"] = col("citizenship")
    out["coe"] = col("country_of_exploitation")
    out["region"] = out["coe"].map({v: region_of(v) for v in set(out["coe"])})
    types = col("exploitation_types")
    out["types"] = types.map(lambda v: ";".join(sorted({t.strip() for t in str(v).split(";") if t.strip()})) or UNKNOWN)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------- filters


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


# ------------------------------------------------------------------------------------------- cube


@dataclass(frozen=True)
class Grid:
    """Counts by two dimensions, only the values with records, rows and columns in display order."""

    counts: np.ndarray  # int64, rows x columns
    rows: list[str]
    cols: list[str]

    @property
    def row_totals(self) -> np.ndarray:
        return self.counts.sum(axis=1)

    @property
    def col_totals(self) -> np.ndarray:
        return self.counts.sum(axis=0)


@dataclass(frozen=True)
class Counts:
    """The filtered records counted for every table of a view."""

    total: int
    grids: dict[str, Grid]  # GRIDS, and "type_sex" (a record counted once per type it has)

    def __getitem__(self, name: str) -> Grid:
        return self.grids[name]

    def values(self, name: str, axis: int) -> set[str]:
        """The values (with records) of a grid's rows (axis 0) or columns (axis 1)."""
        g = self.grids[name]
        return set(g.rows if axis == 0 else g.cols)


class Cube:
    """The distinct combinations of a release's dashboard dimensions, integer-coded, with their counts."""

    def __init__(self, norm: pd.DataFrame) -> None:
        #: code -> released value, per dimension, in display order (``types``: the single types)
        self.values: dict[str, list[str]] = {}
        self.index: dict[str, dict[str, int]] = {}
        coded = []
        for dim in DIMS:
            found = sorted(set(norm[dim]), key=lambda v, d=dim: sort_key(d if d != "types" else "", v))
            codes = pd.Categorical(norm[dim], categories=found).codes.astype(np.int64)
            coded.append(codes)
            if dim != "types":
                self.values[dim] = found
                self.index[dim] = {v: i for i, v in enumerate(found)}
        combos, counts = (
            np.unique(np.stack(coded, axis=1), axis=0, return_counts=True)
            if len(norm)
            else (
                np.zeros((0, len(DIMS)), dtype=np.int64),
                np.zeros(0, dtype=np.int64),
            )
        )
        self.n = counts.astype(np.int64)
        self.codes = {dim: combos[:, i].copy() for i, dim in enumerate(DIMS)}
        # the single exploitation types of each combination: one (combination, type) pair per type
        sets = sorted(set(norm["types"]), key=lambda v: sort_key("", v)) if len(norm) else []
        tokens = sorted({t for s in sets for t in s.split(";")}, key=lambda v: sort_key("types", v))
        self.values["types"] = tokens
        self.index["types"] = {t: i for i, t in enumerate(tokens)}
        per_set = [[self.index["types"][t] for t in s.split(";")] for s in sets]
        set_codes = self.codes.pop("types")
        lengths = np.array([len(per_set[c]) for c in set_codes], dtype=np.int64)
        self.type_row = np.repeat(np.arange(len(set_codes), dtype=np.int64), lengths)
        self.type_code = np.array([t for c in set_codes for t in per_set[c]], dtype=np.int64)
        self.has_type = np.zeros((len(set_codes), len(tokens)), dtype=bool)
        self.has_type[self.type_row, self.type_code] = True
        #: flat cell index of every combination in each grid (row code * columns + column code)
        self._flat = {name: self.codes[r] * len(self.values[c]) + self.codes[c] for name, (r, c) in GRIDS.items()}
        self._flat_types = self.type_code * len(self.values["sex"]) + self.codes["sex"][self.type_row]

    def __len__(self) -> int:
        return len(self.n)

    def select(self, f: Filters) -> np.ndarray:
        """Indices of the combinations the filters keep (values the release lacks keep nothing)."""
        keep = np.ones(len(self.n), dtype=bool)
        checks = [("year", f.year), ("region", f.region), ("sex", f.sex)]
        if f.age in ("child", "adult"):
            checks.append(("child", f.age))
        elif f.age.startswith("band:"):
            checks.append(("age_band", f.age[5:]))
        elif f.age:
            keep[:] = False
        for dim, value in checks:
            if value:
                code = self.index[dim].get(value)
                keep &= False if code is None else self.codes[dim] == code
        if f.type:
            code = self.index["types"].get(f.type)
            keep &= False if code is None else self.has_type[:, code]
        return np.flatnonzero(keep)

    def counts(self, f: Filters) -> Counts:
        """Every table's counts for these filters."""
        rows = self.select(f)
        weights = self.n[rows]
        grids = {name: self._grid(self._flat[name][rows], weights, r, c) for name, (r, c) in GRIDS.items()}
        in_rows = np.zeros(len(self.n), dtype=bool)
        in_rows[rows] = True
        pick = in_rows[self.type_row]
        grids["type_sex"] = self._grid(self._flat_types[pick], self.n[self.type_row[pick]], "types", "sex")
        return Counts(int(weights.sum()), grids)

    def _grid(self, flat: np.ndarray, weights: np.ndarray, row: str, col: str) -> Grid:
        rv, cv = self.values[row], self.values[col]
        full = np.bincount(flat, weights=weights, minlength=len(rv) * len(cv))
        full = full.astype(np.int64).reshape(len(rv), len(cv))
        r = np.flatnonzero(full.any(axis=1))
        c = np.flatnonzero(full.any(axis=0))
        return Grid(full[np.ix_(r, c)], [rv[i] for i in r], [cv[j] for j in c])

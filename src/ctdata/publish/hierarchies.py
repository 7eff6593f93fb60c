"""Generalisation hierarchies for the quasi-identifiers of a release.

A hierarchy maps a value to coarser labels (country -> M49 intermediate
region where one exists, else sub-region -> sub-region -> region), level by level, ending in ``*``
(fully suppressed). Publication engines work on the distinct values of a
column only (a few hundred at most), so the hierarchies are plain Python
functions; the engines turn them into integer lookup tables and stay
vectorised over records.

Missing values stay missing (shown as empty) at every level below ``*``: a
missing value carries no information to lose, and treating it as one more
category is how public CTDC releases handle it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctdata.standard import regions

STAR = "*"
OTHER = "Other"

#: Age bands of the CTDC release, finest first; wider bands then adult/minor.
AGE_WIDE = {
    "0-8": "0-17",
    "9-17": "0-17",
    "18-20": "18-23",
    "21-23": "18-23",
    "24-26": "24-29",
    "27-29": "24-29",
    "30-38": "30-47",
    "39-47": "30-47",
    "48+": "48+",
}
AGE_MAJORITY = {"0-17": "minor", "18-23": "adult", "24-29": "adult", "30-47": "adult", "48+": "adult"}


def m49_of(alpha2: str) -> tuple[str, str] | None:
    """(UN M49 sub-region, region) of a country, or None when unknown.

    A hook: tests and the lead may monkeypatch it. It reads the standard's M49
    table and falls back to the regional-office table (office region, then a
    continent-like group) for codes M49 lacks, such as Kosovo.
    """
    sub = regions.m49_sub_region(alpha2)
    reg = regions.m49_region(alpha2)
    if sub and reg:
        return sub, reg
    office = regions.regional_office(alpha2)
    if office is None:
        return None
    return regions.regional_office_region(office), _OFFICE_GROUP.get(office, OTHER)


_OFFICE_GROUP = {
    "Dakar": "Africa",
    "Pretoria": "Africa",
    "Cairo": "Africa",
    "Bangkok": "Asia",
    "Brussels": "Europe",
    "Vienna": "Europe",
    "Buenos Aires": "Americas",
    "San Jose": "Americas",
}


@dataclass(frozen=True)
class Hierarchy:
    """Levels of one attribute: ``generalise(value, level)`` gives the label at that level."""

    name: str
    level_names: tuple[str, ...]
    generalise: Callable[[object, int], object]

    @property
    def height(self) -> int:
        """Index of the top level (always ``*``)."""
        return len(self.level_names) - 1

    def label(self, value: object, level: int) -> object:
        if level >= self.height:
            return STAR
        if _missing(value):
            return None
        return self.generalise(value, level)

    def labels(self, values: Sequence[object]) -> list[list[object]]:
        """Labels of each value at every level: ``result[level][i]``."""
        return [[self.label(v, h) for v in values] for h in range(self.height + 1)]


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _age(value: object, level: int) -> object:
    v = str(value)
    if level == 0:
        return v
    wide = AGE_WIDE.get(v, v)
    if level == 1:
        return wide
    return AGE_MAJORITY.get(wide, OTHER)


def _year(value: object, level: int) -> object:
    try:
        y = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)
    if level == 0:
        return str(y)
    width = 2 if level == 1 else 5
    start = y - y % width
    return f"{start}-{start + width - 1}"


def intermediate_of(alpha2: str) -> str | None:
    """M49 intermediate region (e.g. Western Africa), else None; a hook like ``m49_of``."""
    row = regions.m49_table().get(alpha2)
    return row.intermediate_region or None if row else None


def _country(value: object, level: int) -> object:
    v = str(value)
    if level == 0:
        return v
    m = m49_of(v)
    if m is None:
        return OTHER
    if level == 1:
        return intermediate_of(v) or m[0]
    return m[level - 2]


def _identity(value: object, level: int) -> object:
    return str(value) if not isinstance(value, str) else value


AGE = Hierarchy("age_band", ("band", "wide band", "adult/minor", STAR), _age)
YEAR = Hierarchy("registration_year", ("year", "2-year period", "5-year period", STAR), _year)


def country_hierarchy(name: str) -> Hierarchy:
    return Hierarchy(
        name, ("country", "M49 intermediate region", "M49 sub-region", "M49 region", STAR), _country
    )


def flat_hierarchy(name: str) -> Hierarchy:
    """Value or ``*``: for codes with no natural grouping (sex, data source)."""
    return Hierarchy(name, ("value", STAR), _identity)


HIERARCHIES: dict[str, Hierarchy] = {
    "age_band": AGE,
    "registration_year": YEAR,
    "citizenship": country_hierarchy("citizenship"),
    "country_of_exploitation": country_hierarchy("country_of_exploitation"),
    "office_country": country_hierarchy("office_country"),
}


def hierarchy_for(column: str) -> Hierarchy:
    """The standard hierarchy of a column; any other column is value-or-``*``."""
    return HIERARCHIES.get(column) or flat_hierarchy(column)


@dataclass
class EncodedAttribute:
    """One attribute as integer codes, with per-level label codes and precision loss.

    ``codes`` index ``values`` (the distinct input values, missing included);
    ``label_code[h, c]`` is the label code of value ``c`` at level ``h`` into
    ``label_names``; ``loss[h, c]`` is the generalisation precision loss:
    (leaves under the label - 1) / (distinct leaves - 1), 0 for missing values.
    """

    name: str
    hierarchy: Hierarchy
    codes: np.ndarray
    values: list[object]
    label_names: list[object]
    label_code: np.ndarray
    loss: np.ndarray


def encode(column: pd.Series, hierarchy: Hierarchy) -> EncodedAttribute:
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    values = list(uniques)
    per_level = hierarchy.labels(values)
    label_names: list[object] = []
    index: dict[object, int] = {}
    label_code = np.zeros((hierarchy.height + 1, len(values)), dtype=np.int64)
    for h, labs in enumerate(per_level):
        for i, lab in enumerate(labs):
            key = ("__missing__",) if lab is None else lab
            if key not in index:
                index[key] = len(label_names)
                label_names.append(lab)
            label_code[h, i] = index[key]
    present = [i for i, v in enumerate(values) if not _missing(v)]
    n_leaves = max(len(present), 1)
    loss = np.zeros(label_code.shape, dtype=np.float64)
    for h in range(hierarchy.height + 1):
        lc = label_code[h, present]
        if n_leaves > 1 and len(present):
            leaves = np.bincount(lc, minlength=len(label_names))[lc]
            loss[h, present] = (leaves - 1) / (n_leaves - 1)
        elif h == hierarchy.height and len(present):
            loss[h, present] = 1.0
    return EncodedAttribute(
        column.name, hierarchy, codes.astype(np.int64), values, label_names, label_code, loss
    )

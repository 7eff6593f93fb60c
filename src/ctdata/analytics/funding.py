"""Project funding by regional office, from the projects table (project, countries, donor, amount, year).

A project run in several countries has its amount split equally between
them, then summed per regional office of each country. Only the year range of
the filters applies (projects have no agency, office or data source).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ctdata.analytics.cases import ro_label
from ctdata.analytics.filters import Filters
from ctdata.analytics.registry import indicator
from ctdata.analytics.table import IndicatorTable
from ctdata.analytics.tabulate import empty_table, has_table
from ctdata.standard.regions import REGIONAL_OFFICES, regional_office

USD = "USD"
NOTE = (
    "Amounts of multi-country projects are split equally between their countries; only the year "
    "filter applies to projects."
)


def _projects(con: duckdb.DuckDBPyConnection, filters: Filters | None) -> tuple[pd.DataFrame, str, list[int]]:
    f = filters or Filters()
    parts, params = [], []
    if f.year_from is not None:
        parts.append("year >= ?")
        params.append(f.year_from)
    if f.year_to is not None:
        parts.append("year <= ?")
        params.append(f.year_to)
    sql = f"SELECT project, countries, donor, amount, year FROM projects WHERE {' AND '.join(parts) or 'TRUE'}"
    return con.execute(sql, params).df(), sql, params


@indicator("funding_by_regional_office", "funding", USD)
def funding_by_regional_office(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """External project funding (USD) per regional office, with the number of projects touching each."""
    name, title = "funding_by_regional_office", "Project funding by regional office"
    if not has_table(con, "projects"):
        return empty_table(name, title, USD, note="No projects table has been imported.", extra_cols=["projects"])
    df, sql, params = _projects(con, filters)
    if df.empty:
        return empty_table(name, title, USD, note="No projects in the selected years.", extra_cols=["projects"])
    amounts: dict[str | None, float] = {}
    projects: dict[str | None, set[str]] = {}
    for p, cs, amount in zip(df["project"], df["countries"], df["amount"], strict=True):
        cs = list(cs) if cs is not None else []
        if amount is None or pd.isna(amount):
            continue
        if not cs:
            amounts[None] = amounts.get(None, 0.0) + float(amount)
            continue
        for c in cs:
            ro = regional_office(c)
            amounts[ro] = amounts.get(ro, 0.0) + float(amount) / len(cs)
            projects.setdefault(ro, set()).add(p)
    unknown = amounts.pop(None, 0.0)
    projects.pop(None, None)
    known = sum(amounts.values())
    rows = [
        {
            "value": ro,
            "label": ro_label(ro),
            "count": round(amounts[ro], 2),
            "share": amounts[ro] / known if known else float("nan"),
            "projects": len(projects.get(ro, ())),
        }
        for ro in REGIONAL_OFFICES
        if ro in amounts
    ]
    data = pd.DataFrame(rows, columns=["value", "label", "count", "share", "projects"])
    data = data.sort_values("count", ascending=False).reset_index(drop=True)
    return IndicatorTable(
        name=name,
        title=title,
        data=data,
        unit=USD,
        known=round(known, 2),
        unknown=int(round(unknown)),
        individuals=None,
        note=NOTE,
        sql=sql,
        params=params,
        filters=(filters or Filters()).to_dict(),
        source="Source: ctdata projects table (imported project list).",
    )


def funding_summary(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> dict[str, float | int]:
    """Number of projects, countries with projects, and total funding under the year filter."""
    if not has_table(con, "projects"):
        return {"projects": 0, "countries": 0, "amount": 0.0}
    df, _, _ = _projects(con, filters)
    countries = {c for cs in df["countries"] if cs is not None for c in cs}
    return {
        "projects": int(df["project"].nunique()),
        "countries": len(countries),
        "amount": float(df["amount"].fillna(0).sum()),
    }


@indicator("funding_by_donor", "funding", USD)
def funding_by_donor(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """External project funding (USD) per donor; projects without a donor are unknown."""
    name, title = "funding_by_donor", "Project funding by donor"
    if not has_table(con, "projects"):
        return empty_table(name, title, USD, note="No projects table has been imported.")
    df, sql, params = _projects(con, filters)
    if df.empty:
        return empty_table(name, title, USD, note="No projects in the selected years.")
    sums: dict[str, float] = {}
    unknown = 0.0
    for donor, amount in zip(df["donor"], df["amount"].fillna(0.0), strict=True):
        if donor is None or pd.isna(donor) or not str(donor).strip():
            unknown += float(amount)
        else:
            sums[str(donor)] = sums.get(str(donor), 0.0) + float(amount)
    g = pd.Series(sums, dtype="float64").sort_values(ascending=False)
    known = float(g.sum())
    data = pd.DataFrame(
        {
            "value": g.index,
            "label": g.index,
            "count": g.values.round(2),
            "share": g.values / known if known else float("nan"),
        }
    )
    return IndicatorTable(
        name=name,
        title=title,
        data=data.reset_index(drop=True),
        unit=USD,
        known=known,
        unknown=int(round(unknown)),
        individuals=None,
        sql=sql,
        params=params,
        filters=(filters or Filters()).to_dict(),
        source="Source: ctdata projects table (imported project list).",
    )

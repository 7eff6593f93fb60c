"""Project funding: by regional office, by donor, per region, and the list of projects (the funding annex).

The projects table has one row per project and year: project, countries,
donor (one or several, with amounts: ``standard.funding.split_donors``),
amount (USD), year. Attribution, in one place (:func:`_shares`):

- a project run in several countries has its amount split equally between
  them, then summed per regional office of each country;
- a project funded by several donors has its amount split between them as
  its donor field says;
- a region's donors are the donors of the projects in its countries, each
  with the region's part of the project.

Cases assisted through a fund (:func:`assisted_through_funds`) come from the
assistance items instead, which may say what paid for them (``funding_source``:
a project, a named fund or the office's own budget).

Only the year range and the regional office of the assisting office
(``office_regional_office``: the region the projects run in) of the filters
apply; projects have no agency, data source or country of exploitation.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from ctdata.analytics.cases import ro_label
from ctdata.analytics.filters import Filters
from ctdata.analytics.registry import indicator
from ctdata.analytics.table import IndicatorTable
from ctdata.analytics.tabulate import empty_table, has_table, one_way
from ctdata.analytics.units import INSTANCES
from ctdata.standard import countries as country_names
from ctdata.standard.funding import DonorShare, split_donors
from ctdata.standard.regions import REGIONAL_OFFICES, regional_office

USD = "USD"
NOTE = (
    "Amounts of multi-country projects are split equally between their countries, and between a project's "
    "donors as its donor list says; only the year and region filters apply to projects."
)
SOURCE = "Source: ctdata projects table (imported project list)."


@dataclass(frozen=True)
class ProjectShare:
    """The part of one project that falls in one regional office (None: countries no office covers)."""

    project: str
    year: int
    office: str | None
    countries: tuple[str, ...]
    amount: float
    donors: tuple[DonorShare, ...]


def _projects(con: duckdb.DuckDBPyConnection, filters: Filters | None) -> tuple[pd.DataFrame, str, list[int]]:
    f = filters or Filters()
    parts, params = [], []
    if f.year_from is not None:
        parts.append("year >= ?")
        params.append(f.year_from)
    if f.year_to is not None:
        parts.append("year <= ?")
        params.append(f.year_to)
    sql = (
        f"SELECT project, countries, donor, amount, year FROM projects WHERE {' AND '.join(parts) or 'TRUE'} "
        "ORDER BY year, project"
    )
    return con.execute(sql, params).df(), sql, params


def _shares(df: pd.DataFrame) -> list[ProjectShare]:
    """Every project split by regional office of its countries, each part with its donors' parts."""
    out: list[ProjectShare] = []
    for p, cs, donor, amount, year in zip(
        df["project"], df["countries"], df["donor"], df["amount"], df["year"], strict=True
    ):
        if amount is None or pd.isna(amount):
            continue
        cs = list(cs) if cs is not None else []
        donor = None if donor is None or (isinstance(donor, float) and pd.isna(donor)) else str(donor)
        try:
            donors = split_donors(donor, float(amount))
        except ValueError:  # refused at import; a hand-made warehouse row is counted without donors
            donors = []
        groups: dict[str | None, list[str]] = {}
        for c in cs or [None]:
            groups.setdefault(regional_office(c) if c else None, []).append(c)
        for office, members in groups.items():
            part = len(members) / max(len(cs), 1)
            out.append(
                ProjectShare(
                    project=str(p),
                    year=int(year),
                    office=office,
                    countries=tuple(c for c in members if c),
                    amount=float(amount) * part,
                    donors=tuple(DonorShare(d.donor, d.amount * part) for d in donors),
                )
            )
    return out


def project_shares(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> list[ProjectShare]:
    """The projects' parts under the filters (year range; the office region when set)."""
    if not has_table(con, "projects"):
        return []
    df, _, _ = _projects(con, filters)
    shares = _shares(df)
    office = (filters or Filters()).office_regional_office
    return [s for s in shares if s.office == office] if office else shares


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
    for s in _shares(df):
        amounts[s.office] = amounts.get(s.office, 0.0) + s.amount
        projects.setdefault(s.office, set()).add(s.project)
    unknown = amounts.pop(None, 0.0)
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
        source=SOURCE,
    )


def funding_summary(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> dict[str, float | int]:
    """Number of projects, countries with projects, and funding under the filters (year, office region)."""
    shares = project_shares(con, filters)
    return {
        "projects": len({(s.project, s.year) for s in shares}),
        "countries": len({c for s in shares for c in s.countries}),
        "amount": float(sum(s.amount for s in shares)),
    }


@indicator("funding_by_donor", "funding", USD)
def funding_by_donor(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """External project funding (USD) per donor, several donors of one project each with their part.

    Under a regional-office filter: the donors of the projects in that region, with the region's
    part of each project. Projects without a donor are unknown.
    """
    name, title = "funding_by_donor", "Project funding by donor"
    if not has_table(con, "projects"):
        return empty_table(name, title, USD, note="No projects table has been imported.", extra_cols=["projects"])
    df, sql, params = _projects(con, filters)
    shares = project_shares(con, filters)
    if not shares:
        return empty_table(name, title, USD, note="No projects in the selected years.", extra_cols=["projects"])
    sums: dict[str, float] = {}
    projects: dict[str, set[tuple[str, int]]] = {}
    unknown = 0.0
    for s in shares:
        if not s.donors:
            unknown += s.amount
        for d in s.donors:
            sums[d.donor] = sums.get(d.donor, 0.0) + d.amount
            projects.setdefault(d.donor, set()).add((s.project, s.year))
    g = pd.Series(sums, dtype="float64").sort_values(ascending=False)
    known = float(g.sum())
    data = pd.DataFrame(
        {
            "value": g.index,
            "label": g.index,
            "count": g.values.round(2),
            "share": g.values / known if known else float("nan"),
            "projects": [len(projects[d]) for d in g.index],
        }
    )
    return IndicatorTable(
        name=name,
        title=title,
        data=data.reset_index(drop=True),
        unit=USD,
        known=round(known, 2),
        unknown=int(round(unknown)),
        individuals=None,
        note=NOTE,
        sql=sql,
        params=params,
        filters=(filters or Filters()).to_dict(),
        source=SOURCE,
    )


def projects_annex(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> pd.DataFrame:
    """The funding annex: one row per project of the year, with its countries, donors and amount."""
    cols = ["project", "year", "regional_offices", "countries", "donors", "amount"]
    if not has_table(con, "projects"):
        return pd.DataFrame(columns=cols)
    df, _, _ = _projects(con, filters)
    rows = []
    for p, cs, donor, amount, year in zip(
        df["project"], df["countries"], df["donor"], df["amount"], df["year"], strict=True
    ):
        cs = list(cs) if cs is not None else []
        amount = 0.0 if amount is None or pd.isna(amount) else float(amount)
        donor = None if donor is None or (isinstance(donor, float) and pd.isna(donor)) else str(donor)
        try:
            donors = split_donors(donor, amount)
        except ValueError:
            donors = []
        offices = sorted({o for o in (regional_office(c) for c in cs) if o})
        rows.append(
            {
                "project": str(p),
                "year": int(year),
                "regional_offices": "; ".join(offices),
                "countries": "; ".join(country_names.name(c) for c in cs),
                "donors": "; ".join(f"{d.donor} (${d.amount:,.0f})" for d in donors) or "not recorded",
                "amount": round(amount, 2),
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    office = (filters or Filters()).office_regional_office
    if office:
        out = out[out["regional_offices"].str.split("; ").map(lambda xs: office in xs)]
    return out.reset_index(drop=True)


NOT_THROUGH_FUND = "not_through_fund"
FUND_NOTE = (
    "A record counts once under each fund that paid for any of its assistance; records whose assistance "
    "was paid only by projects or the office's budget are 'not through a fund'; records with assistance "
    "that does not say what paid for it are unknown."
)


def _fund_label(v: str) -> str:
    return "Not through a fund (projects or own budget)" if v == NOT_THROUGH_FUND else v


@indicator("assisted_through_funds", "funding", INSTANCES)
def assisted_through_funds(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Records assisted through a named fund (an emergency or assistance fund), by fund.

    Among the records with any assistance item: each fund that paid for one of its items, or
    "not through a fund" when every item that says what paid for it names a project or the office's
    budget; unknown when no item says. Counted in the unit of the records (``units.record_unit``),
    with individuals beside once linkage has run, as every record table is.
    """
    frm = (
        "cases c JOIN (SELECT record_key, "
        "list(funding_name) FILTER (WHERE funding_source = 'fund' AND funding_name IS NOT NULL) AS funds, "
        "count(funding_source) AS said FROM assistance GROUP BY record_key) a USING (record_key)"
    )
    value = (
        f"CASE WHEN len(coalesce(a.funds, [])) > 0 THEN a.funds "
        f"WHEN a.said > 0 THEN ['{NOT_THROUGH_FUND}'] ELSE CAST([] AS VARCHAR[]) END"
    )
    return one_way(
        con,
        name="assisted_through_funds",
        title="Assisted through a fund",
        filters=filters,
        value_expr=value,
        from_sql=frm,
        multi=True,
        label=_fund_label,
        note=FUND_NOTE,
        needs=("cases", "assistance"),
    )


def fund_total(t: IndicatorTable) -> int:
    """Records behind a table of `assisted_through_funds` assisted through at least one fund."""
    if t.empty:
        return 0
    return int(t.known) - int(t.data.loc[t.data["value"] == NOT_THROUGH_FUND, "count"].sum())

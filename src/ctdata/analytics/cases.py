"""Indicators over case records: who was assisted, where, and for which exploitation.

All counts are instances of assistance (case records) with the distinct
linked individuals beside them once linkage has run. Each function is
registered by name; its docstring is the indicator's documentation.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from ctdata.analytics.filters import Filters
from ctdata.analytics.registry import indicator
from ctdata.analytics.table import INSTANCES, NOT_LINKED, IndicatorTable
from ctdata.analytics.tabulate import country_label, empty_table, has_table, linked, one_way, record_counts
from ctdata.standard.regions import REGIONAL_OFFICES, regional_office_region
from ctdata.standard.vocab import AGE_BAND, DATA_SOURCE, EXPLOITATION_TYPES, LABOUR_SECTORS, SEX
from ctdata.warehouse.query import INDIVIDUALS_JOIN, individual_of

#: Report groups of exploitation type (DESIGN: labour, sexual, combined, other).
EXPLOITATION_GROUPS = {
    "labour": "Labour",
    "sexual": "Sexual",
    "combined": "Combined (sexual and labour)",
    "other": "Other",
}
EXPLOITATION_GROUP_SQL = """CASE
    WHEN c.exploitation_types IS NULL OR len(c.exploitation_types) = 0 THEN NULL
    WHEN list_contains(c.exploitation_types, 'sex_and_labour')
      OR (list_contains(c.exploitation_types, 'forced_labour')
          AND list_contains(c.exploitation_types, 'sexual_exploitation')) THEN 'combined'
    WHEN list_contains(c.exploitation_types, 'forced_labour') THEN 'labour'
    WHEN list_contains(c.exploitation_types, 'sexual_exploitation') THEN 'sexual'
    ELSE 'other' END"""
KNOWN_SEX_SQL = "CASE WHEN c.sex IN ('female', 'male', 'transgender_nonconforming') THEN c.sex END"
AGE_GROUPS = {"child": "Children (under 18)", "adult": "Adults (18 and over)"}
AGE_GROUP_SQL = "CASE WHEN c.child THEN 'child' WHEN NOT c.child THEN 'adult' END"
AGE_SEX = {
    "girl": "Girls",
    "boy": "Boys",
    "woman": "Women",
    "man": "Men",
    "transgender_child": "Transgender or non-conforming, under 18",
    "transgender_adult": "Transgender or non-conforming, adult",
}
AGE_SEX_SQL = """CASE
    WHEN c.child IS NULL OR c.sex IS NULL OR c.sex NOT IN ('female', 'male', 'transgender_nonconforming')
        THEN NULL
    WHEN c.sex = 'female' THEN (CASE WHEN c.child THEN 'girl' ELSE 'woman' END)
    WHEN c.sex = 'male' THEN (CASE WHEN c.child THEN 'boy' ELSE 'man' END)
    ELSE (CASE WHEN c.child THEN 'transgender_child' ELSE 'transgender_adult' END) END"""
AGE_BAND_SQL = "coalesce(c.age_at_exploitation_band, c.age_band)"
CROSS_BORDER = {"cross_border": "Cross-border", "internal": "Internal"}


def ro_label(office: Any) -> str:
    try:
        return f"{office} ({regional_office_region(office)})"
    except KeyError:
        return str(office)


@indicator("by_year", "trends", INSTANCES)
def by_year(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Instances of assistance per registration year.

    Shares are of records with a known registration year; individuals per year
    are distinct linked persons registered that year (a person can appear in
    several years).
    """
    t = one_way(
        con,
        name="by_year",
        title="Instances of assistance by year of registration",
        filters=filters,
        value_expr="c.registration_year",
        label=lambda v: str(int(v)),
    )
    if not t.data.empty:
        t.data = t.data.sort_values("value").reset_index(drop=True)
        t.data["value"] = t.data["value"].astype("int64")
    return t


@indicator("assistance_by_country", "assistance", INSTANCES)
def assistance_by_country(
    con: duckdb.DuckDBPyConnection, filters: Filters | None = None, top: int | None = None
) -> IndicatorTable:
    """Instances of assistance by the country of the office that gave it (office_country)."""
    return one_way(
        con,
        name="assistance_by_country",
        title="Assistance by country of the assisting office",
        filters=filters,
        value_expr="c.office_country",
        label=country_label,
        top=top,
    )


@indicator("top_nationalities", "who", INSTANCES)
def top_nationalities(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, top: int = 10) -> IndicatorTable:
    """The 10 most frequent nationalities (first citizenship), shares of known nationality."""
    return one_way(
        con,
        name="top_nationalities",
        title=f"Top {top} nationalities",
        filters=filters,
        value_expr="c.citizenship",
        label=country_label,
        top=top,
    )


@indicator("top_destinations", "where", INSTANCES)
def top_destinations(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, top: int = 10) -> IndicatorTable:
    """The 10 most frequent countries of destination/exploitation, shares of known country."""
    return one_way(
        con,
        name="top_destinations",
        title=f"Top {top} countries of destination/exploitation",
        filters=filters,
        value_expr="c.country_of_exploitation",
        label=country_label,
        top=top,
    )


@indicator("exploitation_type", "exploitation", INSTANCES)
def exploitation_type(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Type of exploitation in the report's four groups: labour, sexual, combined, other.

    labour = forced_labour; sexual = sexual_exploitation; combined = sex_and_labour,
    or both forced_labour and sexual_exploitation; other = any other type only.
    Records with no type recorded are unknown.
    """
    return one_way(
        con,
        name="exploitation_type",
        title="Type of exploitation",
        filters=filters,
        value_expr=EXPLOITATION_GROUP_SQL,
        label=lambda v: EXPLOITATION_GROUPS.get(v, v),
        order=list(EXPLOITATION_GROUPS),
    )


@indicator("exploitation_type_detail", "exploitation", INSTANCES)
def exploitation_type_detail(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Every recorded exploitation type (a record may have several, so shares can sum above 100%)."""
    return one_way(
        con,
        name="exploitation_type_detail",
        title="Types of exploitation recorded",
        filters=filters,
        value_expr="c.exploitation_types",
        multi=True,
        label=EXPLOITATION_TYPES.label,
        order=EXPLOITATION_TYPES.codes,
    )


@indicator("labour_sector", "exploitation", INSTANCES)
def labour_sector(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Sector of forced labour, among records of labour or combined exploitation.

    A record may list several sectors; shares are of records with a sector recorded.
    """
    where = (
        "list_contains(c.exploitation_types, 'forced_labour') OR "
        "list_contains(c.exploitation_types, 'sex_and_labour') OR len(c.labour_sectors) > 0"
    )
    return one_way(
        con,
        name="labour_sector",
        title="Sector of forced labour",
        filters=filters,
        value_expr="list_filter(c.labour_sectors, lambda x: x <> 'not_specified')",
        multi=True,
        extra_where=where,
        label=LABOUR_SECTORS.label,
        note="'Not specified' counts as unknown.",
    )


@indicator("sex", "who", INSTANCES)
def sex(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Sex of the persons assisted (female, male, transgender or non-conforming)."""
    return one_way(
        con,
        name="sex",
        title="Sex",
        filters=filters,
        value_expr=KNOWN_SEX_SQL,
        label=SEX.label,
        order=SEX.codes,
    )


@indicator("age_group", "who", INSTANCES)
def age_group(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Children vs adults: under 18 at exploitation when known, else at registration (column `child`)."""
    return one_way(
        con,
        name="age_group",
        title="Children and adults",
        filters=filters,
        value_expr=AGE_GROUP_SQL,
        label=lambda v: AGE_GROUPS.get(v, v),
        order=list(AGE_GROUPS),
    )


@indicator("age_sex", "who", INSTANCES)
def age_sex(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Age group and sex together: girls, boys, women, men (unknown when either is unknown)."""
    return one_way(
        con,
        name="age_sex",
        title="Age group and sex",
        filters=filters,
        value_expr=AGE_SEX_SQL,
        label=lambda v: AGE_SEX.get(v, v),
        order=list(AGE_SEX),
    )


@indicator("age_band_sex", "who", INSTANCES)
def age_band_sex(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Age band (at exploitation when known, else at registration) by sex; shares of records with both known.

    Columns: value (age band), label, sex, sex_label, count, share.
    """
    name, title = "age_band_sex", "Age band and sex"
    filters = filters or Filters()
    if not has_table(con, "cases"):
        return empty_table(name, title, extra_cols=["sex", "sex_label"])
    fw, params = filters.where("c")
    sql = (
        f"SELECT {AGE_BAND_SQL} AS value, {KNOWN_SEX_SQL} AS sex, count(*) AS count "
        f"FROM cases c WHERE {fw} GROUP BY ALL"
    )
    df = con.execute(sql, params).df()
    known_mask = df["value"].notna() & df["sex"].notna()
    known = int(df.loc[known_mask, "count"].sum())
    unknown = int(df.loc[~known_mask, "count"].sum())
    d = df[known_mask].copy()
    d["count"] = d["count"].astype("int64")
    d["share"] = d["count"] / known if known else float("nan")
    d["label"] = [AGE_BAND.label(v) for v in d["value"]]
    d["sex_label"] = [SEX.label(v) for v in d["sex"]]
    rank = {v: i for i, v in enumerate(AGE_BAND.codes)}
    d["_o"] = [rank.get(v, 99) for v in d["value"]]
    d = d.sort_values(["_o", "sex"]).drop(columns=["_o"])
    return IndicatorTable(
        name=name,
        title=title,
        data=d[["value", "label", "sex", "sex_label", "count", "share"]].reset_index(drop=True),
        unit=record_counts(con, filters)[2],
        known=known,
        unknown=unknown,
        individuals=_individuals(con, filters),
        sql=sql,
        params=params,
        filters=filters.to_dict(),
    )


@indicator("cross_border", "journey", INSTANCES)
def cross_border(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Cross-border vs internal trafficking (country of exploitation outside vs inside the citizenship)."""
    expr = "CASE WHEN c.cross_border THEN 'cross_border' WHEN NOT c.cross_border THEN 'internal' END"
    return one_way(
        con,
        name="cross_border",
        title="Cross-border and internal trafficking",
        filters=filters,
        value_expr=expr,
        label=lambda v: CROSS_BORDER.get(v, v),
        order=list(CROSS_BORDER),
    )


@indicator("assistance_by_regional_office", "assistance", INSTANCES)
def assistance_by_regional_office(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Assistance by the regional office covering the country of the office that gave it.

    The published report's frame: a regional chapter counts the assistance given in its
    region. Records whose office country no regional office covers are unknown.
    """
    return one_way(
        con,
        name="assistance_by_regional_office",
        title="Assistance by regional office (where the assistance was given)",
        filters=filters,
        value_expr="c.office_regional_office",
        label=ro_label,
        order=list(REGIONAL_OFFICES),
    )


@indicator("regional_office_share", "where", INSTANCES)
def regional_office_share(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Share by regional office (the 8 of the 2011 annex) of the country of exploitation: the destination view.

    Records whose country of exploitation is unknown or covered by no office are unknown.
    """
    return one_way(
        con,
        name="regional_office_share",
        title="Share by regional office of the country of exploitation",
        filters=filters,
        value_expr="c.regional_office",
        label=ro_label,
        order=list(REGIONAL_OFFICES),
    )


@indicator("data_sources", "sources", INSTANCES)
def data_sources(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Records per data source (case management, hotline, partner...), for the annex."""
    return one_way(
        con,
        name="data_sources",
        title="Records by data source",
        filters=filters,
        value_expr="c.data_source",
        label=DATA_SOURCE.label,
        order=DATA_SOURCE.codes,
    )


@indicator("agencies", "sources", INSTANCES)
def agencies(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Records per registering agency and its import source, for the annex."""
    expr = "c.agency || coalesce(' (' || c.source_kind || ')', '')"
    return one_way(con, name="agencies", title="Records by agency and source", filters=filters, value_expr=expr)


def _individuals(con: duckdb.DuckDBPyConnection, filters: Filters) -> int | str:
    if not linked(con):
        return NOT_LINKED
    fw, params = filters.where("c")
    return int(
        con.execute(
            f"SELECT count(DISTINCT {individual_of()}) FROM cases c {INDIVIDUALS_JOIN} WHERE {fw}",
            params,
        ).fetchone()[0]
    )


def key_figures(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> dict[str, Any]:
    """Case records (``instances``, in ``instances_unit``), hotline reports among them, and individuals.

    ``instances`` counts every case record under the filters; ``hotline_reports`` of them came from a
    hotline and ``assistance`` did not, so a headline can name each unit (units.record_unit).
    """
    filters = filters or Filters()
    if not has_table(con, "cases"):
        return {
            "instances": 0,
            "assistance": 0,
            "hotline_reports": 0,
            "individuals": NOT_LINKED if not linked(con) else 0,
            "instances_unit": INSTANCES,
            "individuals_unit": "individuals (distinct linked persons)",
        }
    n, hot, unit = record_counts(con, filters)
    return {
        "instances": n,
        "assistance": n - hot,
        "hotline_reports": hot,
        "individuals": _individuals(con, filters),
        "instances_unit": unit,
        "individuals_unit": "individuals (distinct linked persons)",
    }


def trend_frame(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> pd.DataFrame:
    """Per registration year: instances, individuals, children, labour, sexual, cross-border, internal."""
    filters = filters or Filters()
    cols = [
        "year",
        "instances",
        "individuals",
        "children",
        "adults",
        "labour",
        "sexual",
        "combined",
        "cross_border",
        "internal",
        "female",
        "male",
    ]
    if not has_table(con, "cases"):
        return pd.DataFrame(columns=cols)
    fw, params = filters.where("c")
    ind = f"count(DISTINCT {individual_of()})" if linked(con) else "NULL::BIGINT"
    join = INDIVIDUALS_JOIN if linked(con) else ""
    sql = f"""SELECT c.registration_year AS year, count(*) AS instances, {ind} AS individuals,
        count(*) FILTER (WHERE c.child) AS children, count(*) FILTER (WHERE NOT c.child) AS adults,
        count(*) FILTER (WHERE g = 'labour') AS labour, count(*) FILTER (WHERE g = 'sexual') AS sexual,
        count(*) FILTER (WHERE g = 'combined') AS combined,
        count(*) FILTER (WHERE c.cross_border) AS cross_border,
        count(*) FILTER (WHERE NOT c.cross_border) AS internal,
        count(*) FILTER (WHERE c.sex = 'female') AS female, count(*) FILTER (WHERE c.sex = 'male') AS male
        FROM (SELECT *, {EXPLOITATION_GROUP_SQL} AS g FROM cases c) c {join}
        WHERE c.registration_year IS NOT NULL AND {fw} GROUP BY 1 ORDER BY 1"""
    return con.execute(sql, params).df()[cols]

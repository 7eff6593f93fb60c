"""Return and reintegration: who was assisted to return, and what reintegration assistance they received.

"Assisted to return" = a case record with a return whose status is travelled.
The return tables count people assisted to return (units.RETURNEES), as the
published report does: one per travelled return, and their distinct linked
individuals beside them once linkage has run (:func:`returnees`).
Reintegration shares are of the case records that received any assistance
marked as part of reintegration; a record counts once under each type, so the
shares sum above 100% (as in the published report).
"""

from __future__ import annotations

import duckdb

from ctdata.analytics.cases import AGE_GROUP_SQL, AGE_GROUPS, AGE_SEX, AGE_SEX_SQL, KNOWN_SEX_SQL
from ctdata.analytics.filters import Filters
from ctdata.analytics.registry import indicator
from ctdata.analytics.table import INSTANCES, IndicatorTable
from ctdata.analytics.tabulate import country_label, empty_table, has_table, linked, one_way
from ctdata.analytics.units import RETURNEES
from ctdata.standard.vocab import ASSISTANCE_TYPES, RETURN_STATUS, SEX
from ctdata.warehouse.query import INDIVIDUALS_JOIN, individual_of

RETURNED = "c.record_key IN (SELECT record_key FROM returns WHERE status = 'travelled')"
NEEDS = ("cases", "returns")
#: The six types the 2011 report shows, in its order.
REINTEGRATION_TYPES = ("legal", "medical", "financial", "housing", "community_based", "education")


@indicator("returns_status", "return", INSTANCES)
def returns_status(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Assisted voluntary returns by status (requested, approved, travelled, cancelled), one per return."""
    return one_way(
        con,
        name="returns_status",
        title="Returns by status",
        filters=filters,
        value_expr="r.status",
        from_sql="returns r JOIN cases c USING (record_key)",
        key="r.record_key",
        label=RETURN_STATUS.label,
        order=RETURN_STATUS.codes,
        unit="returns",
        needs=NEEDS,
    )


@indicator("returns_nationality", "return", RETURNEES)
def returns_nationality(
    con: duckdb.DuckDBPyConnection, filters: Filters | None = None, top: int = 10
) -> IndicatorTable:
    """Nationality of the people assisted to return (records with a travelled return)."""
    return one_way(
        con,
        name="returns_nationality",
        title="Nationality of people assisted to return",
        filters=filters,
        value_expr="c.citizenship",
        extra_where=RETURNED,
        label=country_label,
        top=top,
        unit=RETURNEES,
        needs=NEEDS,
    )


@indicator("returns_sex", "return", RETURNEES)
def returns_sex(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Sex of the people assisted to return."""
    return one_way(
        con,
        name="returns_sex",
        title="Sex of people assisted to return",
        filters=filters,
        value_expr=KNOWN_SEX_SQL,
        extra_where=RETURNED,
        label=SEX.label,
        order=SEX.codes,
        unit=RETURNEES,
        needs=NEEDS,
    )


@indicator("returns_age", "return", RETURNEES)
def returns_age(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Children vs adults among the people assisted to return."""
    return one_way(
        con,
        name="returns_age",
        title="Children and adults assisted to return",
        filters=filters,
        value_expr=AGE_GROUP_SQL,
        extra_where=RETURNED,
        label=lambda v: AGE_GROUPS.get(v, v),
        order=list(AGE_GROUPS),
        unit=RETURNEES,
        needs=NEEDS,
    )


@indicator("returns_age_sex", "return", RETURNEES)
def returns_age_sex(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Girls, boys, women and men among the people assisted to return."""
    return one_way(
        con,
        name="returns_age_sex",
        title="Age and sex of people assisted to return",
        filters=filters,
        value_expr=AGE_SEX_SQL,
        extra_where=RETURNED,
        label=lambda v: AGE_SEX.get(v, v),
        order=list(AGE_SEX),
        unit=RETURNEES,
        needs=NEEDS,
    )


@indicator("reintegration_types", "return", INSTANCES)
def reintegration_types(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Types of reintegration assistance as shares of the records that received any reintegration assistance.

    Legal, medical, financial, housing, community-based and education come first (the report's six);
    other types follow. A record counts once under each type it received.
    """
    frm = (
        "cases c JOIN (SELECT record_key, list(assistance_type) AS types FROM assistance "
        "WHERE reintegration GROUP BY record_key) a USING (record_key)"
    )
    return one_way(
        con,
        name="reintegration_types",
        title="Types of reintegration assistance",
        filters=filters,
        value_expr="list_filter(a.types, lambda x: x IS NOT NULL)",
        from_sql=frm,
        multi=True,
        label=ASSISTANCE_TYPES.label,
        order=[*REINTEGRATION_TYPES, *ASSISTANCE_TYPES.codes],
        needs=("cases", "assistance"),
    )


def returnees(t: IndicatorTable) -> int:
    """People assisted to return behind a return table: linked individuals when known, else its records.

    Before linkage every travelled return is one person (a return is recorded once, on the record
    of the office that organised it); after linkage a person returned twice counts once.
    """
    return int(t.individuals) if isinstance(t.individuals, int) else int(t.total)


RETRAFFICKED = {"again": "Assisted again after the return", "not_again": "Not assisted again (so far)"}
#: Months between a return and a later record for the later record to be a new episode: offices and
#: partners register the same episode for some months after a return (in the simulated data, which has
#: no re-trafficking, later records of other offices stop within five months).
RETRAFFICKING_GAP_MONTHS = 6


@indicator("retrafficking", "return", "individuals")
def retrafficking(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Re-trafficking: people assisted to return who were assisted again afterwards (linked individuals).

    Among the individuals with a return that took place (travelled, with its month known) on a record
    under the filters: ``again`` when the same individual has a record registered more than
    RETRAFFICKING_GAP_MONTHS after the return's month, by an office other than the return's receiving
    office (the receiving office registering the returnee, or a partner soon after, is the same
    episode). Needs record linkage: without it no person can be followed
    from one record to the next, and the table says so. A person assisted again outside the data is
    not seen, so the share is a lower bound.
    """
    name, title = "retrafficking", "Assisted again after a return (re-trafficking)"
    needs = ("cases", "returns")
    if not all(has_table(con, t) for t in needs):
        return empty_table(name, title, "individuals", note="No data: the warehouse has no returns.")
    if not linked(con):
        return empty_table(
            name, title, "individuals", note="Needs record linkage (`ctdata link`): individuals are not yet linked."
        )
    fw, params = (filters or Filters()).where("c")
    sql = f"""
        WITH ret AS (
            SELECT {individual_of()} AS individual_id, r.receiving_office_country AS recv,
                   min(CAST(substr(r.travel_date, 1, 4) AS INTEGER) * 12
                       + CAST(substr(r.travel_date, 6, 2) AS INTEGER)) AS t
            FROM returns r JOIN cases c USING (record_key) {INDIVIDUALS_JOIN}
            WHERE r.status = 'travelled' AND length(r.travel_date) >= 7 AND ({fw})
            GROUP BY 1, 2),
        again AS (
            SELECT DISTINCT ret.individual_id FROM ret
            JOIN individuals i ON i.individual_id = ret.individual_id JOIN cases c USING (record_key)
            WHERE c.registration_year * 12 + c.registration_month > ret.t + {RETRAFFICKING_GAP_MONTHS}
              AND coalesce(c.office_country, '') <> coalesce(ret.recv, ''))
        SELECT CASE WHEN a.individual_id IS NULL THEN 'not_again' ELSE 'again' END AS value,
               count(DISTINCT ret.individual_id) AS count
        FROM ret LEFT JOIN again a USING (individual_id) GROUP BY 1"""
    df = con.execute(sql, params).df()
    known = int(df["count"].sum())
    order = {v: i for i, v in enumerate(RETRAFFICKED)}
    df["label"] = [RETRAFFICKED[v] for v in df["value"]]
    df["share"] = df["count"] / known if known else float("nan")
    df["_o"] = [order[v] for v in df["value"]]
    df = df.sort_values("_o")[["value", "label", "count", "share"]].reset_index(drop=True)
    return IndicatorTable(
        name=name, title=title, data=df, unit="individuals", known=known, unknown=0, individuals=known,
        sql=sql, params=params, filters=(filters or Filters()).to_dict(),
        note=f"Lower bound: assistance outside the data is not seen. A new episode is a record of another "
        f"office than the receiving one, more than {RETRAFFICKING_GAP_MONTHS} months after the return.",
    )

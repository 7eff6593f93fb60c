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
from ctdata.analytics.tabulate import country_label, one_way
from ctdata.analytics.units import RETURNEES
from ctdata.standard.vocab import ASSISTANCE_TYPES, RETURN_STATUS, SEX

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

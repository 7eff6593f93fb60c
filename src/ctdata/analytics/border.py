"""Journeys: border points, travel documents, exploitation on the way, and trafficking corridors.

Border-point figures count journey legs that crossed a border (crossing is
an official border point or unofficial; internal legs are left out); the
documents figure counts the legs through official border points. Exploitation
on the journey counts case records with legs. Corridors count case records by
(nationality -> country of exploitation) for cross-border cases.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ctdata.analytics.cases import AGE_GROUP_SQL, AGE_GROUPS, KNOWN_SEX_SQL
from ctdata.analytics.filters import Filters
from ctdata.analytics.registry import indicator
from ctdata.analytics.table import INSTANCES, IndicatorTable
from ctdata.analytics.tabulate import country_label, empty_table, has_table, linked, one_way
from ctdata.standard.vocab import SEX, TRAVEL_DOCUMENT

LEGS = "journey legs"
LEGS_FROM = "journey_legs j JOIN cases c USING (record_key)"
CROSSED = "(j.crossing IS NULL OR j.crossing <> 'none')"
OFFICIAL = {"official": "Official border point", "unofficial": "Unofficial crossing"}
OFFICIAL_SQL = (
    "CASE WHEN j.crossing LIKE 'official%' THEN 'official' WHEN j.crossing = 'unofficial' THEN 'unofficial' END"
)
DOC_GROUPS = {
    "own_genuine": TRAVEL_DOCUMENT.label("own_genuine"),
    "forged": TRAVEL_DOCUMENT.label("forged"),
    "none": TRAVEL_DOCUMENT.label("none"),
    "held_by_another": TRAVEL_DOCUMENT.label("held_by_another"),
}
EXPLOITED = {"yes": "Exploited before or during the journey", "no": "Not exploited on the journey"}


@indicator("border_official", "journey", LEGS)
def border_official(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Share of border-crossing journey legs that went through an official border point (air, land, sea).

    Denominator: legs that crossed a border with the crossing recorded; internal legs are excluded and
    legs with no crossing recorded are unknown.
    """
    return one_way(
        con,
        name="border_official",
        title="Journey legs through official border points",
        filters=filters,
        value_expr=OFFICIAL_SQL,
        from_sql=LEGS_FROM,
        extra_where=CROSSED,
        key="j.record_key",
        label=lambda v: OFFICIAL.get(v, v),
        order=list(OFFICIAL),
        unit=LEGS,
        needs=("cases", "journey_legs"),
    )


def _official_by(
    con: duckdb.DuckDBPyConnection,
    filters: Filters | None,
    name: str,
    title: str,
    group_sql: str,
    labels: dict[str, str],
) -> IndicatorTable:
    filters = filters or Filters()
    if not (has_table(con, "cases") and has_table(con, "journey_legs")):
        return empty_table(name, title, LEGS, note="No data: the warehouse has no journey legs.", extra_cols=["known"])
    fw, params = filters.where("c")
    sql = (
        f"SELECT {group_sql} AS value, count(*) FILTER (WHERE j.crossing LIKE 'official%') AS count, "
        f"count(*) FILTER (WHERE j.crossing IS NOT NULL) AS known, count(*) AS legs "
        f"FROM {LEGS_FROM} WHERE {CROSSED} AND ({fw}) GROUP BY 1"
    )
    df = con.execute(sql, params).df()
    good = df["value"].notna()
    unknown = int(df["legs"].sum() - df.loc[good, "known"].sum())
    d = df[good].copy()
    d["count"] = d["count"].astype("int64")
    d["known"] = d["known"].astype("int64")
    d["share"] = [c / k if k else float("nan") for c, k in zip(d["count"], d["known"], strict=True)]
    d["label"] = [labels.get(v, v) for v in d["value"]]
    order = {v: i for i, v in enumerate(labels)}
    d["_o"] = [order.get(v, 99) for v in d["value"]]
    d = d.sort_values("_o")[["value", "label", "count", "share", "known"]].reset_index(drop=True)
    return IndicatorTable(
        name=name,
        title=title,
        data=d,
        unit=LEGS,
        known=int(d["known"].sum()),
        unknown=unknown,
        individuals=None,
        sql=sql,
        params=params,
        filters=filters.to_dict(),
        note="count = legs through official border points; share = count / known, "
        "known = border-crossing legs with the crossing and the group recorded.",
    )


@indicator("border_official_by_sex", "journey", LEGS)
def border_official_by_sex(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Share of border-crossing legs through official border points, by sex of the person."""
    labels = {k: SEX.label(k) for k in ("female", "male", "transgender_nonconforming")}
    return _official_by(con, filters, "border_official_by_sex", "Official border points by sex", KNOWN_SEX_SQL, labels)


@indicator("border_official_by_age", "journey", LEGS)
def border_official_by_age(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Share of border-crossing legs through official border points, children vs adults."""
    return _official_by(
        con,
        filters,
        "border_official_by_age",
        "Official border points, children and adults",
        AGE_GROUP_SQL,
        AGE_GROUPS,
    )


@indicator("border_documents", "journey", LEGS)
def border_documents(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Travel document on legs through official border points (own genuine, forged, none, held by another).

    "Without own documents" (the press release's 23%) is counted apart from forged ones (its 9%):
    none or held by another (:func:`without_own_documents`).
    """
    return one_way(
        con,
        name="border_documents",
        title="Travel documents at official border points",
        filters=filters,
        value_expr="j.travel_document",
        from_sql=LEGS_FROM,
        extra_where="j.crossing LIKE 'official%'",
        key="j.record_key",
        label=lambda v: DOC_GROUPS.get(v, v),
        order=list(DOC_GROUPS),
        unit=LEGS,
        needs=("cases", "journey_legs"),
    )


#: The travel documents counted as "without own documents" (forged documents are counted apart).
WITHOUT_OWN = ("none", "held_by_another")


def without_own_documents(docs: IndicatorTable) -> float | None:
    """Share of legs with a known document that had none or had it held by another (not forged, not own)."""
    if not docs.known:
        return None
    return sum(docs.count_of(v) for v in WITHOUT_OWN) / docs.known


@indicator("exploited_on_journey", "journey", INSTANCES)
def exploited_on_journey(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Case records with journey legs whose person was exploited before or during the journey.

    yes = some leg is marked exploited before or during; no = every marked leg says no;
    unknown = no leg marks it.
    """
    frm = (
        "cases c JOIN (SELECT record_key, bool_or(exploited IN ('before', 'during')) AS yes, "
        "bool_or(exploited = 'no') AS no FROM journey_legs GROUP BY record_key) e USING (record_key)"
    )
    expr = "CASE WHEN e.yes THEN 'yes' WHEN e.no THEN 'no' END"
    return one_way(
        con,
        name="exploited_on_journey",
        title="Exploited before or during the journey",
        filters=filters,
        value_expr=expr,
        from_sql=frm,
        label=lambda v: EXPLOITED.get(v, v),
        order=list(EXPLOITED),
        needs=("cases", "journey_legs"),
    )


TRAFFICKING_TYPES = {"cross_border": "Cross-border", "internal": "Internal", "both": "Both (internal and cross-border)"}
#: A leg is internal when it records no border crossing or stays in one country; cross-border when it
#: records a crossing or changes country; else (nothing recorded) it says nothing.
LEG_KIND_SQL = (
    "CASE WHEN j.crossing = 'none' OR j.from_country = j.to_country THEN 'internal' "
    "WHEN j.crossing IS NOT NULL OR j.from_country <> j.to_country THEN 'cross' END"
)


@indicator("trafficking_type", "journey", INSTANCES)
def trafficking_type(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Type of trafficking as the published report gives it: cross-border, internal, or both.

    From the journey legs: both = some leg crossed a border and some leg stayed inside one
    country; cross-border or internal = only that kind of leg. A record without legs that
    say either falls back to its cross_border column (country of exploitation vs citizenship);
    unknown when that is unknown too.
    """
    if not has_table(con, "journey_legs"):
        return one_way(
            con,
            name="trafficking_type",
            title="Type of trafficking",
            filters=filters,
            value_expr="CASE WHEN c.cross_border THEN 'cross_border' WHEN NOT c.cross_border THEN 'internal' END",
            label=lambda v: TRAFFICKING_TYPES.get(v, v),
            order=list(TRAFFICKING_TYPES),
        )
    frm = (
        "cases c LEFT JOIN (SELECT j.record_key, bool_or(k = 'cross') AS x, bool_or(k = 'internal') AS i "
        f"FROM (SELECT j.record_key, {LEG_KIND_SQL} AS k FROM journey_legs j) j GROUP BY j.record_key) l "
        "USING (record_key)"
    )
    expr = (
        "CASE WHEN l.x AND l.i THEN 'both' WHEN l.x THEN 'cross_border' WHEN l.i THEN 'internal' "
        "WHEN c.cross_border THEN 'cross_border' WHEN NOT c.cross_border THEN 'internal' END"
    )
    return one_way(
        con,
        name="trafficking_type",
        title="Type of trafficking",
        filters=filters,
        value_expr=expr,
        from_sql=frm,
        label=lambda v: TRAFFICKING_TYPES.get(v, v),
        order=list(TRAFFICKING_TYPES),
    )


@indicator("corridors", "where", INSTANCES)
def corridors(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, top: int | None = 30) -> IndicatorTable:
    """Trafficking corridors: nationality -> country of exploitation flows of cross-border cases.

    Columns add origin and destination codes. Unknown = cross-border or undetermined records
    missing either country; internal cases are not corridors.
    """
    t = one_way(
        con,
        name="corridors",
        title="Trafficking corridors (nationality to country of exploitation)",
        filters=filters,
        value_expr="CASE WHEN c.citizenship IS NOT NULL AND c.country_of_exploitation "
        "IS NOT NULL THEN c.citizenship || '>' || c.country_of_exploitation END",
        extra_where="c.cross_border IS NULL OR c.cross_border",
        top=top,
        label=lambda v: " → ".join(country_label(x) for x in str(v).split(">")),
    )
    if not t.data.empty:
        parts = t.data["value"].str.split(">", expand=True)
        t.data.insert(2, "origin", parts[0])
        t.data.insert(3, "destination", parts[1])
    else:
        t.data = pd.DataFrame(columns=["value", "label", "origin", "destination", "count", "share"])
    _ = linked  # individuals per corridor come from one_way when linked
    return t

"""Victims and their perpetrators: the figures the CTDC victim-perpetrator release headlines.

The counting unit is the **victim** (a case record, an instance of assistance) with at least one
perpetrator recorded; a victim's perpetrators are taken together: their regions, sexes, age bands,
relations and roles are the union over the victim's perpetrator rows (a grouped row of a public
release already lists them). A victim counts once under each value their perpetrators have, so the
shares of one table may sum above 100%; they are of the victims with a known value, with the
unknown count beside them.

**Within region** (`WITHIN_REGION_DEFINITION`): a victim is trafficked from within their region
when their region of origin is among the regions of their perpetrators; the strict reading
(`exact`), every perpetrator region is the victim's, is given beside it. Regions are UN M49
regions with the Americas and Oceania taken as one, as the public release codes them
(``standard.regions.comparable_region``; the warehouse's ``origin_region`` and ``regions``).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ctdata.analytics.filters import Filters
from ctdata.analytics.registry import indicator
from ctdata.analytics.table import IndicatorTable
from ctdata.analytics.tabulate import one_way
from ctdata.errors import CtdataError
from ctdata.standard.vocab import (
    EXPLOITATION_TYPES,
    PERPETRATOR_AGE_BAND,
    PERPETRATOR_RELATION,
    PERPETRATOR_ROLE,
    SEX,
)
from ctdata.text import Text

VICTIMS = "victims (case records with a perpetrator recorded)"
NEEDS = ("cases", "perpetrators")
WITHIN_REGION_DEFINITION = Text(
    "Share of victims whose region of origin is among the regions of their perpetrators "
    "(citizenship regions; UN M49 regions with the Americas and Oceania as one, as the public release "
    "codes them), of the victims with a known region of origin and at least one perpetrator of known "
    "region. 'exact' is the stricter share whose perpetrators all come from the victim's region."
)
#: one row per victim: the case (alias c, so the standard filters apply) and its perpetrators taken together
VICTIM_SQL = (
    "(SELECT c.*, v.* EXCLUDE (record_key) FROM cases c JOIN ("
    "SELECT record_key, count(*) AS p_rows, "
    "list_sort(list_distinct(flatten(list(regions)))) AS p_regions, "
    "list_distinct(flatten(list(sex))) AS p_sex, list_distinct(flatten(list(age_band))) AS p_age, "
    "list_distinct(flatten(list(relation))) AS p_relation, list_distinct(flatten(list(roles))) AS p_roles "
    "FROM perpetrators GROUP BY record_key) v USING (record_key)) c"
)
_WITHIN = (
    "CASE WHEN c.origin_region IS NULL OR len(c.p_regions) = 0 THEN NULL "
    "WHEN list_contains(c.p_regions, c.origin_region) THEN 'within' ELSE 'outside' END"
)
_EXACT = (
    "CASE WHEN c.origin_region IS NULL OR len(c.p_regions) = 0 THEN NULL "
    "WHEN c.p_regions = [c.origin_region] THEN 'within' ELSE 'outside' END"
)
_REGION_LABEL = {"within": "From within the victim's region", "outside": "From outside the victim's region"}
#: victim groups of the breakdowns: name -> (SQL condition over c, label)
VICTIM_GROUPS: dict[str, dict[str, tuple[str, str]]] = {
    "sex": {"female": ("c.sex = 'female'", "Women and girls"), "male": ("c.sex = 'male'", "Men and boys")},
    "age": {"child": ("c.child", "Children"), "adult": ("NOT c.child", "Adults")},
    "exploitation": {
        code: (f"list_contains(c.exploitation_types, '{code}')", EXPLOITATION_TYPES.label(code))
        for code in ("sexual_exploitation", "forced_labour")
    },
}


def _table(con: duckdb.DuckDBPyConnection, filters: Filters | None, name: str, title: str, value: str,
           *, multi: bool, label: Any, order: list[str] | None, where: str = "TRUE", note: str = "") -> IndicatorTable:
    return one_way(con, name=name, title=title, filters=filters, value_expr=value, from_sql=VICTIM_SQL,
                   extra_where=where, multi=multi, label=label, order=order, unit=VICTIMS, note=note, needs=NEEDS)


@indicator("perpetrators_within_region", "perpetrators", VICTIMS)
def within_region(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *,
                  exact: bool = False, where: str = "TRUE") -> IndicatorTable:
    """Victims trafficked by perpetrators from within their own region (see WITHIN_REGION_DEFINITION)."""
    return _table(con, filters, "perpetrators_within_region_exact" if exact else "perpetrators_within_region",
                  "Victims whose perpetrators all come from their region" if exact
                  else "Victims trafficked by perpetrators from their own region",
                  _EXACT if exact else _WITHIN, multi=False, label=_REGION_LABEL.get,
                  order=["within", "outside"], where=where, note=WITHIN_REGION_DEFINITION)


@indicator("perpetrators_relation", "perpetrators", VICTIMS)
def relation(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *, where: str = "TRUE") -> IndicatorTable:
    """Relation of the perpetrators to the victim (family or partner, friend or acquaintance, stranger)."""
    return _table(con, filters, "perpetrators_relation", "Relation of the perpetrators to the victim", "c.p_relation",
                  multi=True, label=PERPETRATOR_RELATION.label, order=PERPETRATOR_RELATION.codes, where=where)


@indicator("perpetrators_sex", "perpetrators", VICTIMS)
def perpetrator_sex(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *,
                    where: str = "TRUE") -> IndicatorTable:
    """Sex of the perpetrators (a victim of perpetrators of both sexes counts under each)."""
    return _table(con, filters, "perpetrators_sex", "Sex of the perpetrators", "c.p_sex", multi=True,
                  label=SEX.label, order=SEX.codes, where=where)


@indicator("perpetrators_age", "perpetrators", VICTIMS)
def perpetrator_age(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *,
                    where: str = "TRUE") -> IndicatorTable:
    """Age band of the perpetrators."""
    return _table(con, filters, "perpetrators_age", "Age of the perpetrators", "c.p_age", multi=True,
                  label=PERPETRATOR_AGE_BAND.label, order=PERPETRATOR_AGE_BAND.codes, where=where)


@indicator("perpetrators_roles", "perpetrators", VICTIMS)
def perpetrator_roles(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, *,
                      where: str = "TRUE") -> IndicatorTable:
    """Roles the perpetrators played (recruiter, exploiter, broker, controller, transporter)."""
    return _table(con, filters, "perpetrators_roles", "Roles of the perpetrators", "c.p_roles", multi=True,
                  label=PERPETRATOR_ROLE.label, order=PERPETRATOR_ROLE.codes, where=where)


def _shares(t: IndicatorTable) -> dict[str, Any]:
    return {"known": int(t.known), "unknown": int(t.unknown),
            "shares": {str(r["value"]): float(r["share"]) for _, r in t.data.iterrows()},
            "counts": {str(r["value"]): int(r["count"]) for _, r in t.data.iterrows()}}


def victims(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> int:
    """Victims with at least one perpetrator recorded (within the filters)."""
    f = filters or Filters()
    fw, params = f.where("c")
    return int(con.execute(f"SELECT count(*) FROM {VICTIM_SQL} WHERE {fw}", params).fetchone()[0])


def require_perpetrators(con: Any) -> None:
    """Refuse, in words a user can act on, a warehouse without cases or perpetrators (the figures and
    the networks are read from both; without this a user saw a database catalog error)."""
    from ctdata.warehouse.query import has_view

    if not (has_view(con, "cases") and has_view(con, "perpetrators")):
        raise CtdataError(
            "the warehouse has no perpetrators: record or import them (`ctdata import ctdc FILE` takes the "
            "victim-perpetrator release), then run `ctdata warehouse build`"
        )


def summary(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> dict[str, Any]:
    """The section's figures as data (what `ctdata report perpetrators --json` prints)."""
    require_perpetrators(con)
    within = within_region(con, filters)
    exact = within_region(con, filters, exact=True)
    out: dict[str, Any] = {
        "unit": VICTIMS,
        "victims": victims(con, filters),
        "definition": WITHIN_REGION_DEFINITION,
        "within_region_share": within.share_of("within"),
        "within_region_known": int(within.known),
        "within_region_unknown": int(within.unknown),
        "within_region_exact_share": exact.share_of("within"),
        "perpetrator_sex": _shares(perpetrator_sex(con, filters)),
        "perpetrator_age": _shares(perpetrator_age(con, filters)),
        "perpetrator_roles": _shares(perpetrator_roles(con, filters)),
        "relation": _shares(relation(con, filters)),
    }
    for group, values in VICTIM_GROUPS.items():
        out[f"relation_by_victim_{group}"] = {v: _shares(relation(con, filters, where=cond))
                                              for v, (cond, _) in values.items()}
    for v, (cond, _) in VICTIM_GROUPS["exploitation"].items():
        out.setdefault("by_exploitation", {})[v] = {
            "within_region_share": within_region(con, filters, where=cond).share_of("within"),
            "perpetrator_sex": _shares(perpetrator_sex(con, filters, where=cond)),
            "perpetrator_age": _shares(perpetrator_age(con, filters, where=cond)),
        }
    return out


#: columns of the victim frame: one row per victim, the perpetrators' values ';'-joined (sorted)
VICTIM_COLUMNS = ("sex", "child", "origin_region", "exploitation_region", "exploitation_types",
                  "perpetrator_regions", "perpetrator_sex", "perpetrator_age", "perpetrator_relation")


def victim_frame(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> Any:
    """One row per victim with their perpetrators taken together (``;``-joined, empty as None), with
    ``consent_research`` and ``source_kind``: the input of a victim-perpetrator release, in which each
    victim, with all their perpetrators, is one row (the privacy unit)."""
    f = filters or Filters()
    fw, params = f.where("c")

    def joined(expr: str) -> str:
        return f"CASE WHEN len({expr}) > 0 THEN array_to_string(list_sort({expr}), ';') END"

    return con.execute(
        "SELECT c.record_key, c.consent_research, c.source_kind, c.erased, c.sex, c.child, c.origin_region, "
        f"c.exploitation_region, {joined('c.exploitation_types')} AS exploitation_types, "
        f"{joined('c.p_regions')} AS perpetrator_regions, {joined('c.p_sex')} AS perpetrator_sex, "
        f"{joined('c.p_age')} AS perpetrator_age, {joined('c.p_relation')} AS perpetrator_relation "
        f"FROM {VICTIM_SQL} WHERE {fw} ORDER BY c.record_key", params).df()


def within_region_of(frame: Any, *, exact: bool = False) -> dict[str, Any]:
    """The within-region share of a victim frame (`victim_frame`'s columns, or a synthetic release of
    them): the same rule as `within_region`, evaluated on the frame. A ``*`` (a lumped, unknown set)
    counts as unknown."""
    con = duckdb.connect()
    con.register("frame", frame[["origin_region", "perpetrator_regions"]])
    rule = _EXACT if exact else _WITHIN
    sql = (f"SELECT {rule} AS v, count(*) AS n FROM (SELECT origin_region, "
           "CASE WHEN perpetrator_regions IS NULL OR perpetrator_regions = '*' THEN [] "
           "ELSE string_split(perpetrator_regions, ';') END AS p_regions FROM frame "
           "WHERE origin_region IS DISTINCT FROM '*') c GROUP BY ALL")
    counts = {v: int(n) for v, n in con.execute(sql).fetchall()}
    known = counts.get("within", 0) + counts.get("outside", 0)
    return {"share": counts.get("within", 0) / known if known else None, "known": known,
            "unknown": counts.get(None, 0)}

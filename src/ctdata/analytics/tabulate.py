"""Shared SQL for indicators: one-way tables of a value per record, with unknowns and individuals.

Kept in one place so every indicator counts the same way (DESIGN section 5):
shares over known values, the unknown count beside them, and individuals as
distinct linked person ids when the ``individuals`` view exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import pandas as pd

from ctdata.analytics.filters import Filters
from ctdata.analytics.table import INSTANCES, NOT_LINKED, IndicatorTable
from ctdata.analytics.units import HOTLINE, is_record_unit, record_unit
from ctdata.standard import countries
from ctdata.warehouse.query import INDIVIDUALS_JOIN, has_view, individual_of

Label = Callable[[Any], str]


def country_label(code: Any) -> str:
    return countries.name(code) if code else "Unknown"


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a view or table exists (DuckDB's catalogue, or the Spark warehouse's views)."""
    return has_view(con, name)


def linked(con: duckdb.DuckDBPyConnection) -> bool:
    return has_table(con, "individuals")


def record_counts(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> tuple[int, int, str]:
    """Case records under ``filters``, how many are hotline reports, and the unit naming them."""
    fw, params = (filters or Filters()).where("c")
    n, hot = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE c.data_source = '{HOTLINE}') FROM cases c WHERE {fw}", params
    ).fetchone()
    return int(n), int(hot), record_unit(int(n), int(hot))


def empty_table(
    name: str, title: str, unit: str = INSTANCES, note: str = "", extra_cols: Sequence[str] = ()
) -> IndicatorTable:
    cols = ["value", "label", "count", "share", *extra_cols]
    return IndicatorTable(
        name=name,
        title=title,
        data=pd.DataFrame(columns=cols),
        unit=unit,
        known=0,
        unknown=0,
        individuals=None,
        note=note or "No records.",
    )


def one_way(
    con: duckdb.DuckDBPyConnection,
    *,
    name: str,
    title: str,
    filters: Filters | None,
    value_expr: str,
    from_sql: str = "cases c",
    extra_where: str = "TRUE",
    key: str = "c.record_key",
    multi: bool = False,
    label: Label | None = None,
    order: Sequence[Any] | None = None,
    top: int | None = None,
    unit: str = INSTANCES,
    note: str = "",
    needs: Sequence[str] = ("cases",),
    extra_params: Sequence[Any] = (),
) -> IndicatorTable:
    """Count records per value of ``value_expr`` (a list expression when ``multi``).

    With ``multi`` a record counts once under each distinct value of its list and
    shares are of records with a non-empty list, so they may sum to more than 1.
    ``from_sql``/``extra_where``/``value_expr`` are written by ctdata, never by users;
    user input reaches the query only through ``filters`` (parameters).
    A table of case records gets the unit of the records it counted (``units.record_unit``):
    hotline reports are not called instances of assistance.
    """
    filters = filters or Filters()
    if not all(has_table(con, t) for t in needs):
        return empty_table(name, title, unit, note="No data: the warehouse has no " + " / ".join(needs) + ".")
    fw, params = filters.where("c")
    params = [*extra_params, *params]
    is_linked = linked(con)
    hot = f"c.data_source = '{HOTLINE}'"
    if multi:
        base = (
            f"SELECT {key} AS record_key, list_distinct({value_expr}) AS vals, {hot} AS hot FROM {from_sql} "
            f"WHERE ({extra_where}) AND ({fw})"
        )
        exploded = (
            "SELECT record_key, unnest(vals) AS value, hot FROM base WHERE len(vals) > 0 "
            "UNION ALL SELECT record_key, NULL, hot FROM base WHERE vals IS NULL OR len(vals) = 0"
        )
        sql_base = f"WITH base AS ({base}), rows AS ({exploded})"
    else:
        sql_base = (
            f"WITH rows AS (SELECT {key} AS record_key, {value_expr} AS value, {hot} AS hot FROM {from_sql} "
            f"WHERE ({extra_where}) AND ({fw}))"
        )
    ind = f", count(DISTINCT {individual_of('r.record_key')}) AS individuals" if is_linked else ""
    join = f" {INDIVIDUALS_JOIN}" if is_linked else ""
    rec = ", count(DISTINCT r.record_key) AS records" if multi else ""
    hot_n = "count(DISTINCT r.record_key) FILTER (WHERE hot)" if multi else "count(*) FILTER (WHERE hot)"
    sql = (
        f"{sql_base} SELECT value, count(*) AS count{ind}, grouping(value) AS is_total{rec}, {hot_n} AS hot "
        f"FROM rows r{join} GROUP BY GROUPING SETS ((value), ())"
    )
    df = con.execute(sql, params).df()
    total_row = df[df["is_total"] == 1]
    df = df[df["is_total"] == 0].drop(columns=["is_total", "hot"])
    records_total = int(total_row["records"].iloc[0]) if multi and len(total_row) else 0
    if is_record_unit(unit) and len(total_row):
        n_rows = records_total if multi else int(total_row["count"].iloc[0])
        unit = record_unit(n_rows, int(total_row["hot"].iloc[0]))
    individuals: int | str | None = NOT_LINKED
    if is_linked:
        individuals = int(total_row["individuals"].iloc[0]) if len(total_row) else 0
    unknown = int(df.loc[df["value"].isna(), "count"].sum())
    known_df = df[df["value"].notna()].copy()
    known = records_total - unknown if multi else int(known_df["count"].sum())
    known_df["count"] = known_df["count"].astype("int64")
    known_df["share"] = known_df["count"] / known if known else float("nan")
    lab = label or (lambda v: str(v))
    known_df.insert(1, "label", [lab(v) for v in known_df["value"]])
    if order is not None:
        rank: dict[Any, int] = {}
        for i, v in enumerate(order):
            rank.setdefault(v, i)
        known_df["_o"] = [rank.get(v, len(rank)) for v in known_df["value"]]
        known_df = known_df.sort_values(["_o", "count"], ascending=[True, False]).drop(columns=["_o"])
    else:
        known_df = known_df.sort_values(["count", "value"], ascending=[False, True])
    n_values = len(known_df)
    if top is not None and n_values > top:
        known_df = known_df.head(top)
        note = (note + " " if note else "") + f"Top {top} of {n_values} values shown; shares are of all known."
    if is_linked:
        known_df["individuals"] = known_df["individuals"].astype("int64")
    cols = ["value", "label", "count", "share"] + (["individuals"] if is_linked else [])
    return IndicatorTable(
        name=name,
        title=title,
        data=known_df[cols].reset_index(drop=True),
        unit=unit,
        known=known,
        unknown=unknown,
        individuals=individuals,
        note=note.strip(),
        sql=sql,
        params=list(params),
        filters=filters.to_dict(),
    )

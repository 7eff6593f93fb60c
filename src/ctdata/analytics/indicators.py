"""Headline indicators (the first table every report opens with).

Counted as instances of assistance (case records). Shares elsewhere are of
records with a known value; the unknown counts are returned beside them.
Keys are the standard's codes (ISO alpha-2 for countries).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ctdata.warehouse.query import connect, has_view


def _map(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in con.execute(sql).fetchall() if k is not None}


def headline(root: Path | None = None, con: duckdb.DuckDBPyConnection | None = None,
             where: str = "TRUE") -> dict[str, Any]:
    """The indicators of `ctdata report indicators --json`."""
    con = con or connect(root)
    if not has_view(con, "cases"):
        return {"instances": 0, "individuals": None, "by_year": {}, "by_sex": {}, "by_citizenship": {},
                "citizenship_unknown": 0, "by_country_of_exploitation": {}, "country_of_exploitation_unknown": 0,
                "by_exploitation_type": {}, "exploitation_known": 0, "exploitation_unknown": 0, "children": 0,
                "adults": 0, "age_unknown": 0, "cross_border": 0, "internal": 0, "journey_unknown": 0,
                "by_regional_office": {}, "regional_office_unknown": 0, "count_unit": "instances of assistance"}
    w = f"WHERE {where}"
    one = con.execute(f"""
        SELECT count(*),
               count(*) FILTER (WHERE child),
               count(*) FILTER (WHERE NOT child),
               count(*) FILTER (WHERE cross_border),
               count(*) FILTER (WHERE NOT cross_border),
               count(*) FILTER (WHERE citizenship IS NULL),
               count(*) FILTER (WHERE country_of_exploitation IS NULL),
               count(*) FILTER (WHERE exploitation_types IS NOT NULL),
               count(*) FILTER (WHERE regional_office IS NULL)
        FROM cases {w}""").fetchone()
    n, children, adults, cross, internal, cit_unknown, coe_unknown, expl_known, ro_unknown = (int(x) for x in one)
    individuals = None
    if has_view(con, "individuals"):
        individuals = int(con.execute(
            f"SELECT count(DISTINCT i.individual_id) FROM cases c JOIN individuals i USING (record_key) {w}"
        ).fetchone()[0])
    return {
        "count_unit": "instances of assistance",
        "instances": n,
        "individuals": individuals,
        "by_year": _map(con, f"SELECT coalesce(CAST(registration_year AS VARCHAR), 'unknown'), count(*) "
                             f"FROM cases {w} GROUP BY 1"),
        "by_sex": _map(con, f"SELECT coalesce(sex, 'unknown'), count(*) FROM cases {w} GROUP BY 1"),
        "by_citizenship": _map(con, f"SELECT citizenship, count(*) FROM cases {w} GROUP BY 1"),
        "citizenship_unknown": cit_unknown,
        "by_country_of_exploitation": _map(
            con, f"SELECT country_of_exploitation, count(*) FROM cases {w} GROUP BY 1"),
        "country_of_exploitation_unknown": coe_unknown,
        "by_exploitation_type": _map(
            con, f"SELECT t, count(*) FROM (SELECT unnest(exploitation_types) AS t FROM cases {w}) GROUP BY 1"),
        "exploitation_known": expl_known,
        "exploitation_unknown": n - expl_known,
        "children": children,
        "adults": adults,
        "age_unknown": n - children - adults,
        "cross_border": cross,
        "internal": internal,
        "journey_unknown": n - cross - internal,
        "by_regional_office": _map(con, f"SELECT regional_office, count(*) FROM cases {w} GROUP BY 1"),
        "regional_office_unknown": ro_unknown,
    }

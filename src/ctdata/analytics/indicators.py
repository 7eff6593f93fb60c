"""Headline indicators (the first table every report opens with).

Counted as case records: instances of assistance, or hotline reports where
the records came from a hotline (``count_unit``, from units.record_unit; the
number of hotline reports is ``hotline_reports``). Every indicator returns
its unknown count beside its values, so a share can be printed of known
values or of all records (units.ShareBase).
Keys are the standard's codes (ISO alpha-2 for countries).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ctdata.analytics.units import HOTLINE, ShareBase, percent, record_unit, share
from ctdata.standard.regions import TERRITORIES
from ctdata.warehouse.query import INDIVIDUALS_JOIN, connect, has_view, individual_of


def _map(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in con.execute(sql).fetchall() if k is not None}


def headline(root: Path | None = None, con: duckdb.DuckDBPyConnection | None = None,
             where: str = "TRUE") -> dict[str, Any]:
    """The indicators of `ctdata report indicators --json`.

    A connection opened here is closed here (a caller's connection is the caller's to close)."""
    if con is None:
        own = connect(root)
        try:
            return headline(root, own, where)
        finally:
            own.close()
    if not has_view(con, "cases"):
        return {"instances": 0, "individuals": None, "by_year": {}, "by_sex": {}, "by_citizenship": {},
                "citizenship_unknown": 0, "by_country_of_exploitation": {}, "country_of_exploitation_unknown": 0,
                "by_exploitation_type": {}, "exploitation_known": 0, "exploitation_unknown": 0, "children": 0,
                "adults": 0, "age_unknown": 0, "cross_border": 0, "internal": 0, "journey_unknown": 0,
                "by_regional_office": {}, "by_regional_office_territories": {}, "regional_office_unknown": 0,
                "sex_unknown": 0, "hotline_reports": 0, "count_unit": record_unit(0, 0)}
    w = f"WHERE ({where})"
    one = con.execute(f"""
        SELECT count(*),
               count(*) FILTER (WHERE child),
               count(*) FILTER (WHERE NOT child),
               count(*) FILTER (WHERE cross_border),
               count(*) FILTER (WHERE NOT cross_border),
               count(*) FILTER (WHERE citizenship IS NULL),
               count(*) FILTER (WHERE country_of_exploitation IS NULL),
               count(*) FILTER (WHERE exploitation_types IS NOT NULL),
               count(*) FILTER (WHERE regional_office IS NULL),
               count(*) FILTER (WHERE data_source = '{HOTLINE}'),
               count(*) FILTER (WHERE sex IS NULL OR sex NOT IN ('female', 'male', 'transgender_nonconforming'))
        FROM cases {w}""").fetchone()
    n, children, adults, cross, internal, cit_unknown, coe_unknown, expl_known, ro_unknown, hot, sex_unknown = (
        int(x) for x in one)
    territories = ", ".join(f"'{c}'" for c in sorted(TERRITORIES))  # codes of standard.regions, not user input
    in_annex = f"country_of_exploitation NOT IN ({territories})"
    individuals = None
    if has_view(con, "individuals"):
        individuals = int(con.execute(
            f"SELECT count(DISTINCT {individual_of()}) FROM cases c {INDIVIDUALS_JOIN} {w}"
        ).fetchone()[0])
    return {
        "count_unit": record_unit(n, hot),
        "instances": n,
        "hotline_reports": hot,
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
        # the annex's countries (as published) and, apart, the territories placed with an office
        "by_regional_office": _map(
            con, f"SELECT regional_office, count(*) FROM cases {w} AND {in_annex} GROUP BY 1"),
        "by_regional_office_territories": _map(
            con, f"SELECT regional_office, count(*) FROM cases {w} AND NOT ({in_annex}) GROUP BY 1"),
        "regional_office_unknown": ro_unknown,
        "sex_unknown": sex_unknown,
    }


def indicator_rows(data: dict[str, Any], base: ShareBase = ShareBase.KNOWN, top: int = 10) -> list[dict[str, Any]]:
    """The rows of the headline table: every value with its share and its indicator's unknown count.

    Each row carries ``unknown`` and ``total`` (all records), so a reader sees beside every share
    how many records the indicator could not classify (e.g. cross-border on CTDC: 66,315 of 97,750).
    """
    from ctdata.standard import countries
    from ctdata.standard.vocab import EXPLOITATION_TYPES, SEX
    from ctdata.text import Region

    n = int(data["instances"])
    sex = {k: v for k, v in data["by_sex"].items() if k in ("female", "male", "transgender_nonconforming")}
    ro = dict(data["by_regional_office"])
    for k, v in data.get("by_regional_office_territories", {}).items():
        ro[k] = ro.get(k, 0) + v
    groups: list[tuple[str, dict[str, int], int, Any]] = [
        ("sex", sex, n - sum(sex.values()), SEX.label),
        ("age", {"children": data["children"], "adults": data["adults"]}, data["age_unknown"], str),
        ("journey", {"cross-border": data["cross_border"], "internal": data["internal"]},
         data["journey_unknown"], str),
        ("citizenship", data["by_citizenship"], data["citizenship_unknown"], countries.name),
        ("exploitation country", data["by_country_of_exploitation"], data["country_of_exploitation_unknown"],
         countries.name),
        ("exploitation type", data["by_exploitation_type"], data["exploitation_unknown"], EXPLOITATION_TYPES.label),
        ("regional office", ro, data["regional_office_unknown"], Region),
    ]
    out: list[dict[str, Any]] = []
    for name, values, unknown, label in groups:
        known = n - unknown
        items = sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0])))  # ties in one order, every run
        if name in ("age", "journey"):
            items = list(values.items())
        for i, (k, v) in enumerate(items[:top]):
            s = share(v, known, unknown, base)
            out.append({"indicator": name if i == 0 else "", "value": k, "label": label(k), "count": int(v),
                        "share": s, "share_text": "" if s is None else percent(s), "unknown": int(unknown),
                        "total": n})
        if base is ShareBase.ALL and unknown:
            s = share(unknown, known, unknown, base)
            out.append({"indicator": "", "value": None, "label": "unknown", "count": int(unknown), "share": s,
                        "share_text": percent(s), "unknown": int(unknown), "total": n})
    return out

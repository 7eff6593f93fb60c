"""Capture-pattern tables straight from linked data in the warehouse.

A "list" is a source of identification: an agency, a data source (case
management, hotline, ...) or an office type (destination or origin office).
Each individual (a linked cluster) counts once, in the pattern of every list
that recorded them within the chosen years. Without linkage there are no
individuals, and MSE would treat one person's two records as two people, so
this refuses to run until `ctdata link` has.
"""

from __future__ import annotations

import pandas as pd

from ctdata.errors import CtdataError
from ctdata.prevalence.patterns import PatternTable, patterns_from_links
from ctdata.text import Text
from ctdata.warehouse.query import INDIVIDUALS_JOIN, connect, has_view, individual_of

LIST_BY = {
    "agency": "agency",
    "data_source": "coalesce(data_source, 'unknown')",
    "office_type": ("CASE WHEN office_country IS NULL THEN 'unknown' "
                    "WHEN office_country = country_of_exploitation THEN 'destination_office' "
                    "WHEN list_contains(citizenships, office_country) THEN 'origin_office' ELSE 'other_office' END"),
}

#: The lists made by office type, as a page names them (`Text`); agencies and data sources keep their names.
LIST_NAMES: dict[str, Text] = {
    "destination_office": Text("destination office"),
    "origin_office": Text("origin office"),
    "other_office": Text("other office"),
    "unknown": Text("unknown"),
}


def list_name(name: str) -> str:
    """A list's name for a page: an office type in the reader's language, an agency or source as it is."""
    return LIST_NAMES.get(name, name)


def patterns_from_warehouse(list_by: str = "agency", years: tuple[int, int] | None = None,
                            min_list_size: int = 1) -> PatternTable:
    if list_by not in LIST_BY:
        raise CtdataError(f"--lists must be one of {', '.join(LIST_BY)}")
    con = connect()
    if not has_view(con, "individuals"):
        raise CtdataError("no linked individuals yet: run `ctdata link` first (MSE counts individuals, not records)")
    where, params = "TRUE", []
    if years:
        where, params = "registration_year BETWEEN ? AND ?", [int(years[0]), int(years[1])]
    df: pd.DataFrame = con.execute(
        f"SELECT DISTINCT {individual_of()} AS individual_id, {LIST_BY[list_by]} AS list FROM cases c "
        f"{INDIVIDUALS_JOIN} WHERE {where}", params).df()
    if df.empty:
        raise CtdataError("no linked records in the chosen years")
    sizes = df.groupby("list").size()
    keep = sizes[sizes >= min_list_size].index
    df = df[df["list"].isin(keep)]
    if df["list"].nunique() < 2:
        raise CtdataError(f"MSE needs at least two lists; the data has {df['list'].nunique()} by {list_by}")
    return patterns_from_links(df, individual_col="individual_id", list_col="list")

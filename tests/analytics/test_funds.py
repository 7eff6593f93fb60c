"""Cases assisted through a fund: from what paid for each assistance item, in the records' counting unit."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb

from ctdata.analytics import funding
from ctdata.analytics.filters import Filters
from ctdata.analytics.units import HOTLINE_REPORTS, INSTANCES, MIXED_RECORDS
from ctdata.report import sections


def _con(hotline: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    keys = ["r1", "r2", "r3", "r4", "r5"]
    rows = ", ".join(f"('{k}', 2011, '{'hotline' if k in hotline else 'case_management'}')" for k in keys)
    con.execute(f"CREATE TABLE cases AS SELECT * FROM (VALUES {rows}) t(record_key, registration_year, data_source)")
    con.execute(
        "CREATE TABLE assistance AS SELECT * FROM (VALUES "
        "('r1', 'medical', 'fund', 'Emergency fund'),"  # r1: two funds and a project
        "('r1', 'legal', 'fund', 'Global Assistance Fund'),"
        "('r1', 'housing', 'project', 'CT-UA-2011'),"
        "('r2', 'medical', 'fund', 'Emergency fund'),"  # r2: one fund
        "('r3', 'medical', 'project', 'CT-UA-2011'),"  # r3: a project only: not through a fund
        "('r4', 'medical', NULL, NULL)"  # r4: does not say; r5 has no assistance at all
        ") t(record_key, assistance_type, funding_source, funding_name)"
    )
    return con


def test_records_are_counted_once_under_each_fund():
    t = funding.assisted_through_funds(_con(), Filters(year_from=2011, year_to=2011))
    counts = dict(zip(t.data["value"], t.data["count"], strict=True))
    assert counts == {"Emergency fund": 2, "Global Assistance Fund": 1, funding.NOT_THROUGH_FUND: 1}
    assert (t.known, t.unknown) == (3, 1)  # r4 says nothing; r5 had no assistance and is not counted
    assert funding.fund_total(t) == 2 and t.unit == INSTANCES


def test_the_unit_follows_the_records_counted():
    assert funding.assisted_through_funds(_con(hotline=("r2",))).unit == MIXED_RECORDS
    assert funding.assisted_through_funds(_con(hotline=("r1", "r2", "r3", "r4", "r5"))).unit == HOTLINE_REPORTS


def test_the_funding_section_states_cases_assisted_through_a_fund():
    text, figs = sections._funds(SimpleNamespace(con=_con()), Filters())
    assert text.startswith("2 instances of assistance (67% of the 3 whose assistance says what paid for it; 1 do")
    assert "Emergency fund: 2" in text and "Global Assistance Fund: 1" in text
    assert len(figs) == 1 and "instances of assistance" in figs[0].title


def test_no_item_saying_what_paid_gives_no_sentence():
    con = _con()
    con.execute("UPDATE assistance SET funding_source = NULL, funding_name = NULL")
    assert sections._funds(SimpleNamespace(con=con), Filters()) == ("", [])

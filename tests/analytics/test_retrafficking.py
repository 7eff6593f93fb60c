"""Re-trafficking: a person assisted to return and assisted again afterwards, followed through linkage."""

from __future__ import annotations

import duckdb

from ctdata.analytics.returns import retrafficking


def _con(linked: bool = True) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE cases AS SELECT * FROM (VALUES "
        "('r1', 2011, 3, 'RU'),"  # A at destination, returned to UA in 2011-05
        "('r2', 2011, 6, 'UA'),"  # A registered by the receiving office after the return: same episode
        "('r3', 2012, 2, 'PL'),"  # A assisted again in Poland nine months later: re-trafficked
        "('r7', 2011, 8, 'VN'),"  # B by a partner in Viet Nam two months after: the same episode
        "('r4', 2011, 4, 'TH'),"  # B returned to LA in 2011-06
        "('r5', 2011, 1, 'TH'),"  # B's record before the return
        "('r6', 2011, 5, 'YE')"  # C returned, travel month unknown: not counted
        ") t(record_key, registration_year, registration_month, office_country)"
    )
    con.execute(
        "CREATE TABLE returns AS SELECT * FROM (VALUES "
        "('r1', 'travelled', '2011-05-02', 'UA'), ('r4', 'travelled', '2011-06', 'LA'), "
        "('r6', 'travelled', NULL, 'ET')) t(record_key, status, travel_date, receiving_office_country)"
    )
    if linked:
        con.execute(
            "CREATE TABLE individuals AS SELECT * FROM (VALUES ('r1', 'A'), ('r2', 'A'), ('r3', 'A'), "
            "('r4', 'B'), ('r5', 'B'), ('r6', 'C'), ('r7', 'B')) t(record_key, individual_id)"
        )
    return con


def test_assisted_again_after_a_return():
    t = retrafficking(_con())
    assert dict(zip(t.data["value"], t.data["count"], strict=True)) == {"again": 1, "not_again": 1}
    assert t.unit == "individuals" and t.known == 2
    assert t.share_of("again") == 0.5


def test_needs_linkage():
    t = retrafficking(_con(linked=False))
    assert t.empty and "linkage" in t.note

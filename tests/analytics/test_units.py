"""Counting units (instances of assistance, hotline reports, returnees) and the share convention."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctdata.analytics import cases, returns
from ctdata.analytics.filters import Filters
from ctdata.analytics.indicators import headline, indicator_rows
from ctdata.analytics.units import (
    HOTLINE_REPORTS,
    INSTANCES,
    MIXED_RECORDS,
    RETURNEES,
    ShareBase,
    record_unit,
    share,
    shares_phrase,
)
from ctdata.standard.regions import TERRITORIES, countries_of_office, regional_office

YEAR = 2011
F = Filters(year_from=YEAR, year_to=YEAR)


def test_record_unit_names_hotline_reports():
    assert record_unit(10, 0) == INSTANCES
    assert record_unit(10, 10) == HOTLINE_REPORTS
    assert record_unit(21312, 19365) == MIXED_RECORDS
    assert "instances of assistance" not in HOTLINE_REPORTS


def test_the_published_convention_puts_unknowns_in_the_denominator():
    # "70% adults, 5% minors, 25% unknown"
    assert shares_phrase([("adults", 70), ("minors", 5)], 75, 25, ShareBase.ALL) == (
        "70% adults, 5% minors, 25% unknown"
    )
    assert shares_phrase([("adults", 70), ("minors", 5)], 75, 25, ShareBase.KNOWN) == (
        "93% adults, 7% minors (25 unknown)"
    )
    assert share(5, 75, 25) == pytest.approx(5 / 75)
    assert share(5, 0, 0) is None


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=6), st.integers(0, 10_000))
def test_shares_of_all_sum_to_one_with_the_unknown(counts, unknown):
    known = sum(counts)
    if known + unknown == 0:
        return
    total = sum(share(c, known, unknown, ShareBase.ALL) for c in counts) + share(unknown, known, unknown, "all")
    assert total == pytest.approx(1.0)
    if known:
        assert sum(share(c, known, unknown) for c in counts) == pytest.approx(1.0)


def test_tables_name_the_unit_of_the_records_they_count(con, frames):
    c = frames["cases"]
    c = c[c["registration_year"] == YEAR]
    hot = int((c["data_source"] == "hotline").sum())
    assert 0 < hot < len(c)  # the demo has both kinds
    assert cases.sex(con, F).unit == MIXED_RECORDS
    assert cases.sex(con, F.but(data_source="hotline")).unit == HOTLINE_REPORTS
    assert cases.exploitation_type_detail(con, F.but(data_source="hotline")).unit == HOTLINE_REPORTS
    assert cases.sex(con, F.but(data_source="case_management")).unit == INSTANCES
    assert cases.age_band_sex(con, F.but(data_source="hotline")).unit == HOTLINE_REPORTS
    k = cases.key_figures(con, F)
    assert (k["instances"], k["hotline_reports"], k["assistance"]) == (len(c), hot, len(c) - hot)
    assert k["instances_unit"] == MIXED_RECORDS


def test_return_tables_count_people_returned(con):
    t = returns.returns_nationality(con, F)
    assert t.unit == RETURNEES
    assert returns.returnees(t) == t.total  # not linked: one per travelled return


def test_table_share_of_all_and_phrase(con, frames):
    t = cases.age_group(con, F)
    c = frames["cases"]
    c = c[c["registration_year"] == YEAR]
    children = int((c["child"] == True).sum())  # noqa: E712
    assert t.share_of("child", ShareBase.ALL) == pytest.approx(children / len(c))
    phrase = t.shares_phrase(ShareBase.ALL)
    assert phrase.endswith("unknown") == bool(t.unknown)


def test_headline_rows_carry_the_unknowns(warehouse, frames):
    from ctdata.warehouse.query import connect

    data = headline(con=connect(warehouse))
    c = frames["cases"]
    assert data["hotline_reports"] == int((c["data_source"] == "hotline").sum())
    assert data["count_unit"] == MIXED_RECORDS
    rows = indicator_rows(data)
    assert rows and all(r["total"] == len(c) for r in rows)
    journey = [r for r in rows if r["value"] in ("cross-border", "internal")]
    assert all(r["unknown"] == int(c["cross_border"].isna().sum()) for r in journey)
    sex_unknown = int((~c["sex"].isin(["female", "male", "transgender_nonconforming"])).sum())
    assert data["sex_unknown"] == sex_unknown
    with_unknown = indicator_rows(data, ShareBase.ALL)
    assert any(r["label"] == "unknown" and r["count"] == sex_unknown for r in with_unknown)
    # a share above 0 never reads '0%' (CTDC: 64 transgender of 89,612 read '0%')
    assert all(r["share_text"] != "0%" for r in rows + with_unknown if r["count"])


def test_a_small_share_reads_below_one_percent():
    tiny = {"instances": 100_000, "by_sex": {"female": 99_936, "transgender_nonconforming": 64}, "children": 0,
            "adults": 0, "age_unknown": 100_000, "cross_border": 0, "internal": 0, "journey_unknown": 100_000,
            "by_citizenship": {}, "citizenship_unknown": 100_000, "by_country_of_exploitation": {},
            "country_of_exploitation_unknown": 100_000, "by_exploitation_type": {}, "exploitation_unknown": 100_000,
            "by_regional_office": {}, "regional_office_unknown": 100_000}
    texts = {r["value"]: r["share_text"] for r in indicator_rows(tiny)}
    assert texts["transgender_nonconforming"] == "<1%" and texts["female"] == "100%"


def test_territories_map_to_an_office():
    assert regional_office("HK") == regional_office("MO") == "Bangkok"
    assert regional_office("PS") == "Cairo"
    assert regional_office("RE") == regional_office("YT") == "Pretoria"
    assert set(TERRITORIES) <= set(countries_of_office("Bangkok", True) + countries_of_office("Cairo", True)
                                   + countries_of_office("Pretoria", True))
    assert "HK" not in countries_of_office("Bangkok")  # the annex as published

"""Filters render safe, correct WHERE clauses; year comparison phrases; published figures on demo data."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdata.analytics import border, cases
from ctdata.analytics.compare import change, compare_tables, sentence
from ctdata.analytics.filters import Filters
from ctdata.errors import ValidationError
from ctdata.standard.regions import REGIONAL_OFFICES


def test_where_uses_parameters_only():
    f = Filters(
        year_from=2010,
        year_to=2011,
        regional_office="Vienna",
        office_country="ua",
        agency="x' OR 1=1 --",
        data_source="hotline",
        m49_region="Europe",
    )
    sql, params = f.where("c")
    assert "OR 1=1" not in sql and sql.count("?") == len(params) == 7
    assert params == [2010, 2011, "Vienna", "UA", "X' OR 1=1 --", "hotline", "Europe"]


def test_agency_filter_is_an_agency_code():
    """Stored agencies are codes (issue 13): a filter typed `iom` selects IOM's records."""
    assert Filters(agency=" iom ").agency == "IOM" == Filters.from_dict({"agency": "Iom"}).agency


def test_injection_text_matches_nothing(con):
    f = Filters(agency="IOM' OR '1'='1")
    assert cases.key_figures(con, f)["instances"] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"regional_office": "Geneva"},
        {"office_country": "Ukraine"},
        {"year_from": 2012, "year_to": 2010},
        {"year_from": "soon"},
        {"m49_region": "Atlantis"},
        {"agency": "x" * 300},
        {"colour": "red"},
    ],
)
def test_bad_filters_are_refused(bad):
    with pytest.raises(ValidationError):
        Filters.from_dict(bad)


def test_bad_alias_is_refused():
    with pytest.raises(ValueError):
        Filters().where("c; DROP TABLE x")


def test_describe():
    assert Filters(year_from=2011, year_to=2011, regional_office="Vienna").describe() == (
        "registered in 2011; regional office Vienna"
    )
    assert Filters().describe() == "all records"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    y0=st.integers(2008, 2012),
    span=st.integers(0, 3),
    ro=st.sampled_from([None, *REGIONAL_OFFICES]),
    source=st.sampled_from([None, "case_management", "hotline", "partner"]),
)
def test_filters_match_pandas(con, frames, y0, span, ro, source):
    f = Filters(year_from=y0, year_to=y0 + span, regional_office=ro, data_source=source)
    c = frames["cases"]
    m = c["registration_year"].between(y0, y0 + span)
    if ro:
        m &= c["regional_office"] == ro
    if source:
        m &= c["data_source"] == source
    t = cases.sex(con, f)
    assert t.known + t.unknown == int(m.sum())
    assert cases.key_figures(con, f)["instances"] == int(m.sum())


def test_change_and_sentence():
    assert change(127, 100) == (27, 0.27)
    assert sentence(127, 100, 2008) == "up 27% from 2008"
    assert sentence(2700 * 0.93, 2700, 2010) == "down 7% from 2010"
    assert sentence(100, 100, 2010) == "unchanged from 2010"
    assert sentence(5, 0, 2010) == "up from none in 2010"
    assert sentence(5, None, 2010).startswith("no comparison")
    assert change(5, 0) == (5, None)


@given(now=st.integers(0, 10**6), before=st.integers(1, 10**6))
def test_sentence_direction(now, before):
    s = sentence(now, before, 2008)
    pct = round(abs(now - before) / before * 100)
    if pct == 0:
        assert s == "unchanged from 2008"
    else:
        assert s == f"{'up' if now > before else 'down'} {pct}% from 2008"


def test_compare_tables(con):
    now, before = (
        cases.sex(con, Filters(year_from=2011, year_to=2011)),
        cases.sex(con, Filters(year_from=2010, year_to=2010)),
    )
    df = compare_tables(now, before, 2010)
    row = df.set_index("value").loc["female"]
    assert row["change"] == row["count"] - row["count_before"]
    assert math.isclose(row["pct_change"], row["change"] / row["count_before"])
    assert row["sentence"].endswith("from 2010")


PUBLISHED = yaml.safe_load(
    __import__("importlib.resources")
    .resources.files("ctdata.simulate")
    .joinpath("data/published_figures.yaml")
    .read_text("utf-8")
)


def _within(observed: float | None, target: float, n: float, slack: float = 0.02) -> bool:
    """Within 4 binomial standard errors of the target, plus slack for the generator's own design effects."""
    assert observed is not None
    return abs(observed - target) <= 4 * math.sqrt(target * (1 - target) / n) + slack


def test_demo_shares_match_published_figures(con):
    """The generator is calibrated to the 2011 report: the report's global shares land near it."""
    ar, bp = PUBLISHED["annual_report_2011"], PUBLISHED["border_points_release"]
    f = Filters(year_from=2011, year_to=2011)
    sex = cases.sex(con, f)
    assert _within(sex.share_of("female"), ar["female_share"], sex.known)
    cb = cases.cross_border(con, f)
    assert _within(cb.share_of("cross_border"), ar["cross_border_share"], cb.known)
    ex = cases.exploitation_type(con, f)
    assert _within(ex.share_of("labour"), ar["exploitation_type"]["labour"], ex.known)
    assert _within(ex.share_of("sexual"), ar["exploitation_type"]["sexual"], ex.known)
    ro = cases.regional_office_share(con, f)
    total = sum(ar["share_by_regional_office"].values())
    for office, share in ar["share_by_regional_office"].items():
        assert _within(ro.share_of(office) or 0.0, share / total, ro.known), office
    off = border.border_official(con, f)
    assert _within(off.share_of("official"), bp["legs_through_official_border_points"], off.known)
    nat = cases.top_nationalities(con, f)
    assert set(nat.data["value"][:3]) <= set(list(ar["top_nationalities"])[:5])

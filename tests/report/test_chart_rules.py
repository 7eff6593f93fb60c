"""Rules every report chart keeps: labels wrap and are never cut, shares stop at 100%, small shares read '<1%'."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from ctdata.analytics.table import IndicatorTable
from ctdata.analytics.units import MIXED_RECORDS, RETURNEES
from ctdata.report import charts
from ctdata.report.model import Figure
from ctdata.report.narrative import render_markdown


def _table(labels: list[str], counts: list[int], unit: str = "instances of assistance", unknown: int = 0):
    known = sum(counts)
    data = pd.DataFrame({"value": labels, "label": labels, "count": counts, "share": [c / known for c in counts]})
    return IndicatorTable(name="t", title="t", data=data, unit=unit, known=known, unknown=unknown)


def _texts(svg: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)]


@given(st.lists(st.text(alphabet="abcdefghij ,()&-", min_size=1, max_size=12), min_size=1, max_size=10))
def test_wrap_keeps_every_word_and_leaves_no_orphan(words: list[str]) -> None:
    label = " ".join(words)
    lines = charts._wrap(label).split("|")
    assert "".join("".join(lines).split()) == "".join(label.split())  # nothing cut (a line may end at a hyphen)
    if len(lines) > 1:
        assert len(lines[-1]) >= charts.ORPHAN or len(label) > charts.WRAP + charts.ORPHAN


def test_short_tail_stays_on_the_line() -> None:
    assert charts._wrap("Transgender or non-conforming, under 18") == "Transgender or non-conforming, under 18"
    assert charts._wrap("Vienna (South-Eastern Europe, Eastern Europe and Central Asia)").count("|") == 1


def test_long_labels_are_drawn_whole() -> None:
    long = "Vienna (South-Eastern Europe, Eastern Europe and Central Asia)"
    svg = charts.to_svg(charts.bar(_table([long, "Dakar (Central & West Africa)"], [2586, 3])))
    texts = _texts(svg)  # a wrapped label is one <text> with a <tspan> per line
    assert "Vienna (South-Eastern Europe,Eastern Europe and Central Asia)" in texts
    assert not [t for t in texts if "…" in t]


def test_small_shares_read_below_one_percent_not_zero() -> None:
    t = _table(["Female", "Male", "Transgender or gender non-conforming", "Other"], [4270, 2688, 15, 5])
    for chart in (charts.bar(t), charts.donut(t)):
        texts = " ".join(_texts(charts.to_svg(chart))).replace("&lt;", "<")
        assert "(0.2%)" in texts and "(<1%)" in texts or ": <1%" in texts
        assert "(0%)" not in texts and ": 0%" not in texts


def test_share_bar_axis_ends_at_100_percent() -> None:
    t = _table(["Female", "Male"], [1594, 996])
    t.data["share"] = [0.85, 0.73]
    t.data["known"] = [1883, 1368]
    spec = charts.share_bar(t, title="Share").to_dict()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 1]
    ticks = [int(x[:-1]) for x in _texts(charts.to_svg(charts.share_bar(t, title="Share"))) if re.fullmatch(r"\d+%", x)]
    assert ticks and max(ticks) == 100


def test_age_sex_axis_title_fits_the_chart() -> None:
    """The full unit (60 characters) ran past the 220-pixel axis; the caption names it in full."""
    d = pd.DataFrame(
        {
            "value": ["a", "a"],
            "label": ["0 to 8", "0 to 8"],
            "sex_label": ["Female", "Male"],
            "count": [3, 4],
            "share": [0.4, 0.6],
        }
    )
    t = IndicatorTable(name="b", title="b", data=d, unit=MIXED_RECORDS, known=7, unknown=0)
    spec = charts.stacked_age_sex(t).to_dict()
    assert spec["encoding"]["y"]["title"] == "Case records"


def test_map_size_legend_has_no_circle_for_zero() -> None:
    d = pd.DataFrame(
        {
            "value": ["UA>RU", "LA>TH"],
            "label": ["Ukraine → Russia", "Laos → Thailand"],
            "origin": ["UA", "LA"],
            "destination": ["RU", "TH"],
            "count": [647, 464],
            "share": [0.6, 0.4],
        }
    )
    t = IndicatorTable(name="m", title="m", data=d, unit=MIXED_RECORDS, known=1111, unknown=0)
    layers = charts._spec(charts.corridor_map(t))["layer"]
    size = next(x["encoding"]["size"] for x in layers if "size" in x.get("encoding", {}))
    assert size["legend"]["values"] == [200, 400, 600]  # the drawn flows end in 647 at most; no circle of 0
    assert size["legend"]["symbolFillColor"] == charts.DESTINATION  # red, as the map's circles
    assert charts.nice_steps(1000) == [250, 500, 750, 1000]
    assert charts.nice_steps(647) == [200, 400, 600]
    assert 0 not in charts.nice_steps(1) and charts.nice_steps(0) == []


def test_caption_with_no_unknown_reads_as_english() -> None:
    t = _table(["Cross-border", "Internal"], [66, 14]).with_unknown()
    assert "Shares are of all 80, none with an unknown value" in Figure("f", "f", t).caption
    t2 = _table(["Cross-border", "Internal"], [66, 14], unknown=1).with_unknown()
    assert "Shares are of all 81, the 1 with an unknown value included" in Figure("f", "f", t2).caption


def test_caption_source_never_calls_hotline_reports_assistance() -> None:
    cap = Figure("f", "f", _table(["UA"], [5], unit=MIXED_RECORDS)).caption
    assert "assisted cases only" not in cap and "hotline reports" in cap.split("Source:")[1]
    # a return chart counts returns: a person returned twice counts twice even after linkage (1,336 returns of
    # 1,335 people in the 2011 demo), and the caption says so instead of 'until linkage has run'
    ret = Figure("f", "f", _table(["UA"], [5], unit=RETURNEES)).caption
    assert "Counted: people assisted to return." in ret and "one per return that took place" in ret
    assert "until linkage" not in ret and "instances of assistance" not in ret


def test_narrative_headings_without_text_are_left_out() -> None:
    md = "## Overview\n\nShelters opened.\n\n## Activities\n\n<!-- Activities: write here. -->\n\n## Good practices\n"
    html = render_markdown(md)
    assert "Overview" in html and "Shelters opened." in html
    assert "Activities" not in html and "Good practices" not in html
    assert "<h4>A</h4>" in render_markdown("## A\n\n### B\n\ntext\n")  # a heading over a written subpart stays


def test_shares_said_to_add_past_100_only_when_they_do() -> None:
    """CTDC flags one tactic only: 'a record may name several, so the shares add up to more than 100%' was false."""
    from ctdata.report.sections import _adds_past_100

    one = _table(["Abduction"], [128])
    several = _table(["Offer of a job", "Marriage"], [90, 30])
    several.data["share"] = [0.9, 0.3]
    assert not _adds_past_100(one) and _adds_past_100(several)


def test_percentages_read_as_the_text_writes_them() -> None:
    from ctdata.report.model import fmt_pct

    assert [fmt_pct(v) for v in (0.0005, 0.002, 0.0099, 0.0095, 0.12)] == ["<1%", "0.2%", "1%", "1%", "12%"]

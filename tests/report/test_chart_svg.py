"""Charts carry accessible names, and the estimates chart's axis starts near its figures."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from ctdata.prevalence.chart import methods_chart
from ctdata.prevalence.estimate import estimate_across_methods
from ctdata.report.charts import to_svg
from tests.prevalence.test_estimator import KOREA


def test_inlined_svg_is_an_image_named_by_its_title() -> None:
    chart = alt.Chart(pd.DataFrame({"n": [3, 5]})).mark_bar().encode(x="n:Q").properties(title="Victims & sex")
    svg = to_svg(chart, ident="sec 1__fig")
    root = re.match(r"<svg\b[^>]*>", svg).group(0)
    assert 'role="img"' in root and 'aria-labelledby="sec-1__fig-title"' in root
    assert svg[len(root):].startswith('<title id="sec-1__fig-title">Victims &amp; sex</title>')
    assert ">Cases by sex</title>" in to_svg(chart, "Cases by sex")


def test_estimates_axis_does_not_start_at_zero() -> None:
    spec = methods_chart(estimate_across_methods(KOREA)).to_dict()
    scales = [layer["encoding"]["x"].get("scale", {}) for layer in spec["layer"]]
    assert len(scales) == 3 and all(s.get("zero") is False for s in scales)
    assert spec["description"]

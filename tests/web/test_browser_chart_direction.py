"""Charts read right to left on a right-to-left page (Arabic), in a real browser (issue 19).

Every chart of the portal and of the analysts' estimates page is drawn by one script
(static/portal/portal.js), which turns a chart for a page whose `dir` is rtl: the first category on the
right, bars growing leftwards, the category axis on the right; on a left-to-right page nothing changes.
Checked on the portal's dashboard served in English and Arabic, and on the estimates chart as
`prevalence.chart.methods_chart` makes it, drawn by the same script under the pages' CSS.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ctdata.prevalence.chart import methods_chart
from ctdata.prevalence.estimate import MSEResult
from tests.web.test_browser_portal import Portal, _charts_drawn, browser, portal  # noqa: F401

pytestmark = pytest.mark.browser
TIMEOUT = 15_000
STATIC = Path(__file__).resolve().parents[2] / "src" / "ctdata" / "web" / "static"

#: where each axis and the marks of every chart on the page are: the x of each axis's labels,
#: the left edge of each axis, and the span of the marks
GEOMETRY = """() => [...document.querySelectorAll('.vega svg')].map(svg => {
  const axes = {};
  for (const g of svg.querySelectorAll('.role-axis[aria-label]')) {
    const which = g.getAttribute('aria-label').slice(0, 1);  // 'X' or 'Y'
    const labels = [...g.querySelectorAll('.role-axis-label text')].map(t => {
      const r = t.getBoundingClientRect(); return {text: t.textContent, x: r.x + r.width / 2};
    });
    axes[which] = {left: g.getBoundingClientRect().x, right: g.getBoundingClientRect().right, labels};
  }
  const marks = [...svg.querySelectorAll('.role-mark path, .role-mark line')].map(m => m.getBoundingClientRect())
    .filter(r => r.width + r.height > 0);
  return {axes, left: Math.min(...marks.map(r => r.x)), right: Math.max(...marks.map(r => r.right))};
})"""


def _increasing(xs: list[float]) -> bool:
    return all(a < b for a, b in zip(xs, xs[1:], strict=False))


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace("\u066c", "").replace("\u00a0", ""))
    except ValueError:
        return None


def _in_order(labels: list[dict]) -> list[dict]:
    """An axis's labels in the scale's order: by value for numbers (Vega lists the labels it thins out last),
    as drawn for categories."""
    values = [_number(lab["text"]) for lab in labels]
    if all(v is not None for v in values):
        return [lab for _, lab in sorted(zip(values, labels, strict=True), key=lambda p: p[0])]
    return labels


def _check(charts: list[dict], rtl: bool) -> None:
    """The category axis (Y of a horizontal chart) on the reading side of the marks, and the categories of
    an X axis of categories (years) in reading order."""
    assert charts
    for c in charts:
        y = c["axes"]["Y"]
        if rtl:
            assert y["left"] >= c["right"] - 1, c  # the Y axis to the right of every mark
        else:
            assert y["right"] <= c["left"] + 1, c
        xs = [lab["x"] for lab in _in_order(c["axes"]["X"]["labels"])]
        assert len(xs) >= 2
        # on a right-to-left page the X axis's first label is its rightmost (numbers grow leftwards too)
        assert _increasing(xs[::-1] if rtl else xs), c["axes"]["X"]


@pytest.mark.parametrize(("lang", "rtl"), [("en", False), ("ar", True)])
def test_the_portals_charts_read_in_the_pages_direction(browser: Browser, portal: Portal, lang: str,  # noqa: F811
                                                         rtl: bool) -> None:
    ctx = browser.new_context(base_url=portal.url, locale=lang, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto("/portal/dashboard")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if rtl else "ltr")
    assert _charts_drawn(page) >= 2
    charts = page.evaluate(GEOMETRY)
    ctx.close()
    _check(charts, rtl)


def _result(method: str, estimate: float, low: float, high: float) -> MSEResult:
    return MSEResult(estimate, low, high, "profile", 0.95, method, "main effects", {}, {}, 900, estimate - 900,
                     ["A", "B", "C"], {}, {})


def _estimates_page(folder: Path, direction: str) -> Path:
    """The estimates chart as the analysts' page embeds it, with the pages' CSS and the one drawing script."""
    spec = methods_chart([_result("main", 1500, 1300, 1800), _result("aic", 2100, 1900, 2500)]).to_dict()
    html = f"""<!doctype html><html lang="ar" dir="{direction}"><head>
<link rel="stylesheet" href="{(STATIC / 'css' / 'pages.css').as_uri()}"></head><body>
<div class="vega-wrap"><div class="vega" id="mse-chart" data-spec="mse-chart-spec"></div></div>
<script type="application/json" id="mse-chart-spec">{json.dumps(spec)}</script>
{''.join(f'<script src="{(STATIC / p).as_uri()}"></script>' for p in (
        'vendor/vega.min.js', 'vendor/vega-lite.min.js', 'vendor/vega-embed.min.js', 'portal/portal.js'))}
</body></html>"""
    path = folder / f"estimates-{direction}.html"
    path.write_text(html, encoding="utf-8")
    return path


def _drawn(page: Page) -> list[dict]:
    expect(page.locator("#mse-chart[data-rendered='true'] svg")).to_have_count(1, timeout=TIMEOUT)
    return page.evaluate(GEOMETRY)


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_the_estimates_chart_reads_in_the_pages_direction(browser: Browser, tmp_path: Path,  # noqa: F811
                                                          direction: str) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 600})
    page.goto(_estimates_page(tmp_path, direction).as_uri())
    charts = _drawn(page)
    _check(charts, direction == "rtl")
    # the numbers on the axis read from the right: the smallest estimate's side is the right one
    numbers = [float(lab["text"].replace(",", "")) for lab in charts[0]["axes"]["X"]["labels"]]
    assert numbers == sorted(numbers), numbers  # in the axis's own order, smallest first
    if direction == "rtl":
        direction_of_text = page.evaluate("() => getComputedStyle(document.querySelector('.vega')).direction")
        assert direction_of_text == "ltr"  # the SVG's words keep their own direction (pages.css)
    page.close()

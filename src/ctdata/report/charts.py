"""Charts of the annual report: Altair specs built from IndicatorTables, rendered offline to SVG/PNG.

Every chart is drawn from the same table whose numbers the text quotes, so
the two cannot disagree. Axis titles always name the unit (instances of
assistance, journey legs, USD). vl-convert renders without a browser or
network; the world geometry is embedded as data values, never fetched.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from ctdata.analytics.table import IndicatorTable
from ctdata.report.model import fmt_pct
from ctdata.text import svg_title

PALETTE = ["#1f5a96", "#e07b39", "#6a9f3a", "#8e5ea2", "#c9a227", "#3aa3a3", "#b5495b", "#7f7f7f"]
FONT = "DejaVu Sans, Arial, sans-serif"
#: the colour of a country of exploitation on the corridor map (its circles and their legend)
DESTINATION = "#b5495b"
WIDTH = 520


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=11, titleFontSize=11, labelLimit=260, grid=False)
        .configure_legend(labelFontSize=11, titleFontSize=11, labelLimit=320)
    )


#: Stand-in for the world geometry while Altair builds the spec (copying 130 kB of
#: TopoJSON through Altair's schema objects is slow); swapped in by _spec().
_WORLD_MARK = {
    "type": "Topology",
    "objects": {"countries": {"type": "GeometryCollection", "geometries": []}},
    "arcs": [],
    "ctdata_world": True,
}


def _inject(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("ctdata_world") is True:
            return _world()
        return {k: _inject(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inject(v) for v in node]
    return node


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return _inject(chart.to_dict(validate=False))


def to_svg(chart: alt.TopLevelMixin, name: str | None = None, *, ident: str = "chart") -> str:
    """SVG text of a chart (no XML prolog, so it can be inlined in HTML), with an accessible name.

    `name` (by default the chart's own title) becomes the SVG's ``<title>``, and the root is
    ``role="img"`` labelled by it (``aria-labelledby``), so a screen reader announces the chart
    by what it shows instead of reading out its axis ticks; `ident` makes the title's id unique
    on a page that inlines several charts.
    """
    spec = _spec(chart)
    svg = vlc.vegalite_to_svg(spec)
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1]
    return accessible_svg(svg.strip(), name or _title_of(spec) or "Chart", ident)


def _title_of(spec: dict[str, Any]) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title or "")


def accessible_svg(svg: str, name: str, ident: str) -> str:
    """The SVG with ``role="img"``, ``aria-labelledby`` and a ``<title>`` naming it (`ctdata.text.svg_title`)."""
    return svg_title(svg, name, ident)


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    return vlc.vegalite_to_png(_spec(chart), scale=scale)


def _short_unit(unit: str) -> str:
    return "case records" if unit.startswith("case records") else unit


def _fmt_count(v: float, unit: str) -> str:
    if unit == "USD":
        return f"${v:,.0f}"
    return f"{v:,.0f}"


def _axis_format(unit: str) -> str:
    """The count axis's tick format: '$1.2M' for money (full amounts crowd the axis), '1,200' otherwise."""
    return "$.2~s" if unit == "USD" else ",.0f"


#: Category labels longer than this wrap onto several lines (never cut: a regional office's region
#: name runs to 60 characters).
WRAP = 36
#: A last line this short is not left alone ('under|18'): the label gets this much more room instead.
ORPHAN = 8
_LINES = "split(datum.label, '|')"


def _wrap(label: object) -> str:
    """The label with '|' where a line breaks (the axis splits on it), never leaving a word or two alone.

    A label up to ``WRAP + ORPHAN`` characters whose last line would hold fewer than ``ORPHAN``
    characters stays on one line ('Transgender or non-conforming, under 18' read as '... under' above
    a lone '18', beside the next bar's figure).
    """
    import textwrap

    text = str(label)
    lines = textwrap.wrap(text, WRAP, break_long_words=False)
    if len(lines) > 1 and len(lines[-1]) < ORPHAN:
        lines = textwrap.wrap(text, WRAP + ORPHAN, break_long_words=False)
    return "|".join(lines) or text


def _figure(count: float, share: float | None, unit: str) -> str:
    """'1,234 (12%)', the share written as the text writes it (a small share is '<1%', never '0%')."""
    if share is None or pd.isna(share):
        return _fmt_count(count, unit)
    return f"{_fmt_count(count, unit)}  ({fmt_pct(share)})"


def _bar_frame(t: IndicatorTable) -> pd.DataFrame:
    d = t.data[["label", "count", "share"]].copy()
    d["label"] = [_wrap(v) for v in d["label"]]
    d["text"] = [_figure(c, s, t.unit) for c, s in zip(d["count"], d["share"], strict=True)]
    d["order"] = range(len(d))
    return d


def bar(t: IndicatorTable, *, sort_by_count: bool = True, width: int = WIDTH) -> alt.TopLevelMixin:
    """Horizontal bars of counts, each labelled 'count (share of known)'."""
    d = _bar_frame(t)
    sort = "-x" if sort_by_count else alt.SortField("order")
    unit = t.unit[0].upper() + t.unit[1:]
    maxv = float(d["count"].max()) if len(d) else 1.0
    fmt = _axis_format(t.unit)
    lines = max((str(v).count("|") + 1 for v in d["label"]), default=1)
    base = alt.Chart(d).encode(
        y=alt.Y("label:N", sort=sort, title=None, axis=alt.Axis(labelExpr=_LINES, labelLimit=0)),
        x=alt.X(
            "count:Q",
            title=unit,
            axis=alt.Axis(format=fmt, tickCount=5),
            scale=alt.Scale(domain=[0, maxv * 1.35]),
        ),
        tooltip=["label", "count", alt.Tooltip("share:Q", format=".1%")],
    )
    bars = base.mark_bar(color=PALETTE[0])
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(text="text:N")
    chart = (bars + text).properties(width=width, height=max((10 + 12 * lines) * len(d), 40))
    return _config(chart)


def share_bar(t: IndicatorTable, *, title: str, width: int = 420) -> alt.TopLevelMixin:
    """Horizontal bars of shares on an axis that ends at 100%, for 'share through official border points' tables.

    The figures ('84% (123 of 146)') are written inside a long bar and after a short one, so the axis
    never has to run past 100% to make room for them.
    """
    d = t.data[["label", "count", "share"]].copy()
    d["label"] = [_wrap(v) for v in d["label"]]
    if "known" in t.data:
        d["known"] = t.data["known"]
        d["text"] = [
            f"{fmt_pct(s)}  ({c:,} of {k:,})" for s, c, k in zip(d["share"], d["count"], d["known"], strict=True)
        ]
    else:
        d["text"] = [f"{fmt_pct(s)}  ({c:,})" for s, c in zip(d["share"], d["count"], strict=True)]
    d["inside"] = d["share"] >= INSIDE
    base = alt.Chart(d).encode(
        y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelExpr=_LINES, labelLimit=0)),
        x=alt.X("share:Q", title=title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1], clamp=True)),
    )
    inside = base.transform_filter("datum.inside").mark_text(align="right", dx=-4, fontSize=11, color="white")
    outside = base.transform_filter("!datum.inside").mark_text(align="left", dx=4, fontSize=11)
    chart = base.mark_bar(color=PALETTE[0]) + inside.encode(text="text:N") + outside.encode(text="text:N")
    return _config(chart.properties(width=width, height=max(26 * len(d), 40)))


#: Shares from which share_bar writes its figure inside the bar.
INSIDE = 0.55


def donut(t: IndicatorTable, *, width: int = 200) -> alt.TopLevelMixin:
    """Donut of the shares of known values; the legend carries the label, share and count."""
    d = t.data[["label", "count", "share"]].copy()
    d["legend"] = [f"{lab}: {fmt_pct(s)} ({c:,})" for lab, s, c in zip(d["label"], d["share"], d["count"], strict=True)]
    d["order"] = range(len(d))
    colors = PALETTE[: max(len(d), 1)]
    chart = (
        alt.Chart(d)
        .mark_arc(innerRadius=width * 0.22, outerRadius=width * 0.45, stroke="white")
        .encode(
            theta=alt.Theta("count:Q", stack=True),
            color=alt.Color(
                "legend:N",
                title=None,
                sort=list(d["legend"]),
                scale=alt.Scale(domain=list(d["legend"]), range=colors),
                legend=alt.Legend(orient="right"),
            ),
            order=alt.Order("order:Q"),
            tooltip=["label", "count", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=width, height=width)
    )
    return _config(chart)


_SHORT_BAND = "replace(replace(datum.label, ' to ', '\u2013'), ' and over', '+')"


def stacked_age_sex(t: IndicatorTable, *, width: int = WIDTH) -> alt.TopLevelMixin:
    """Stacked bars of age band by sex (counts).

    The vertical axis is titled with the short unit ('Case records'): the full one (60 characters)
    ran past the chart's height; the caption under every chart names the unit in full. The legend
    sits above the bars so they get the page's width and the band labels do not touch.
    """
    d = t.data.copy()
    order = list(dict.fromkeys(d["label"]))
    chart = (
        alt.Chart(d)
        .mark_bar()
        .encode(
            x=alt.X(
                "label:N",
                sort=order,
                title="Age band (at exploitation when known, else at registration)",
                # '39–47', '48+': nine bands of '39 to 47', '48 and over' touched each other at the page's width
                axis=alt.Axis(labelAngle=0, labelExpr=_SHORT_BAND),
            ),
            y=alt.Y("count:Q", title=_short_unit(t.unit).capitalize(), axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "sex_label:N",
                title=None,
                scale=alt.Scale(range=PALETTE),
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            tooltip=["label", "sex_label", "count", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=width, height=220)
    )
    return _config(chart)


def trend(frame: pd.DataFrame, *, width: int = WIDTH, unit: str = "instances of assistance") -> alt.TopLevelMixin:
    """Records per year (bars) and the main groups per year (lines), both in ``unit`` (the records' unit)."""
    d = frame.copy()
    d["year"] = d["year"].astype(int).astype(str)
    bars = (
        alt.Chart(d)
        .mark_bar(color="#c8d7e8")
        .encode(
            x=alt.X("year:O", title="Year of registration", axis=alt.Axis(labelAngle=0 if len(d) <= 8 else -45)),
            y=alt.Y("instances:Q", title=_short_unit(unit).capitalize()),
            tooltip=["year", "instances"],
        )
    )
    labels = bars.mark_text(dy=-6, fontSize=10, color="#333").encode(text=alt.Text("instances:Q", format=","))
    groups = {
        "children": "Children",
        "labour": "Labour exploitation",
        "sexual": "Sexual exploitation",
        "cross_border": "Cross-border",
        "internal": "Internal",
    }
    long = d.melt(id_vars=["year"], value_vars=list(groups), var_name="group", value_name="count")
    long["group"] = long["group"].map(groups)
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O"),
            y=alt.Y("count:Q"),
            color=alt.Color("group:N", title=None, scale=alt.Scale(domain=list(groups.values()), range=PALETTE[1:6])),
            tooltip=["year", "group", "count"],
        )
    )
    layers = [bars, labels, lines] if len(d) <= 8 else [bars, lines]  # value labels collide beyond 8 years
    return _config(alt.layer(*layers).properties(width=width, height=240))


def nice_steps(top: float, n: int = 4) -> list[int]:
    """Up to ``n`` round values from one step to ``top`` (the size legend's circles: never a circle for 0).

    The area of a circle stays proportional to its count (the scale starts at 0); only the legend's
    examples are chosen, e.g. 1,000 -> [250, 500, 750, 1000].
    """
    if top <= 0:
        return []
    raw = top / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1.0, next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))
    return sorted({int(step * i) for i in range(1, n + 1) if step * i <= top}) or [math.ceil(top)]


@lru_cache(maxsize=1)
def _world() -> dict[str, Any]:
    base = resources.files("ctdata").joinpath("web", "static", "vendor")
    return json.loads(base.joinpath("countries-110m.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def centroids() -> dict[str, list[float]]:
    base = resources.files("ctdata").joinpath("web", "static", "vendor")
    return json.loads(base.joinpath("country_centroids.json").read_text(encoding="utf-8"))


def corridor_map(t: IndicatorTable, *, top: int = 20, width: int = 760) -> alt.TopLevelMixin:
    """World map with the top corridors drawn as lines from nationality to country of exploitation.

    Line width and colour follow the number of records of the corridor; destination circles sum the
    drawn flows. The legend says what each mark is: a line is a corridor (its width, the records), a
    small blue dot a country of nationality, a red circle a country of exploitation (its area, the records
    of the drawn corridors ending there).
    """
    unit = _short_unit(t.unit)
    kinds = {"origin": "Country of nationality", "destination": "Country of exploitation"}
    kind_scale = alt.Scale(domain=list(kinds.values()), range=[PALETTE[0], DESTINATION])
    cen = centroids()
    d = t.data.head(top).copy()
    d = d[d["origin"].isin(cen) & d["destination"].isin(cen)]
    d["lon"] = [cen[o][0] for o in d["origin"]]
    d["lat"] = [cen[o][1] for o in d["origin"]]
    d["lon2"] = [cen[x][0] for x in d["destination"]]
    d["lat2"] = [cen[x][1] for x in d["destination"]]
    proj = {"type": "equalEarth"}
    world = alt.Data(values=_WORLD_MARK, format=alt.DataFormat(type="topojson", feature="countries"))
    base = alt.Chart(world).mark_geoshape(fill="#eef1f4", stroke="#b9c2cc", strokeWidth=0.4).project(**proj)
    rules = (
        alt.Chart(d)
        .mark_rule(opacity=0.75, strokeCap="round")
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            longitude2="lon2:Q",
            latitude2="lat2:Q",
            strokeWidth=alt.StrokeWidth(
                "count:Q",
                title=["Lines: corridors from", "nationality to exploitation;", f"width: {unit}"],
                scale=alt.Scale(range=[0.8, 7]),
            ),
            color=alt.Color("count:Q", scale=alt.Scale(scheme="orangered"), legend=None),
            tooltip=["label", "count"],
        )
        .project(**proj)
    )
    d["kind"] = kinds["origin"]
    origins = (
        alt.Chart(d)
        .mark_circle(size=18, opacity=1)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            color=alt.Color("kind:N", title=["Circles: where", "corridors start and end"], scale=kind_scale),
        )
        .project(**proj)
    )
    dest = d.groupby(["destination", "lon2", "lat2"], as_index=False)["count"].sum()
    dest["kind"] = kinds["destination"]
    dests = (
        alt.Chart(dest)
        .mark_circle(opacity=0.8)
        .encode(
            longitude="lon2:Q",
            latitude="lat2:Q",
            color=alt.Color("kind:N", scale=kind_scale, legend=None),  # the origins' legend names both
            size=alt.Size(
                "count:Q",
                title=["Red circle area:", f"{unit} of the drawn", "corridors ending there"],
                scale=alt.Scale(range=[20, 400]),
                legend=alt.Legend(
                    values=nice_steps(float(dest["count"].max()) if len(dest) else 0.0),
                    symbolFillColor=DESTINATION,  # the legend's circles are the map's red ones, not grey
                    symbolStrokeColor=DESTINATION,
                    symbolOpacity=0.8,
                ),
            ),
            tooltip=["destination", "count"],
        )
        .project(**proj)
    )
    chart = alt.layer(base, rules, origins, dests).properties(width=width, height=int(width * 0.5))
    return _config(chart).configure_legend(orient="bottom", direction="vertical", titleLimit=0, labelLimit=0)

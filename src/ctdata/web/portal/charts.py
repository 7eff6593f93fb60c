"""Vega-Lite specifications of the portal's charts, drawn in the browser by the vendored Vega.

Charts only ever receive published cells (suppressed cells are left out and the
caption says so); every chart has a ``description`` (its ARIA label) and the
page shows the same numbers as an HTML table beside it.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import ctdata.web.i18n as i18n
from ctdata.publish.portal import Flow, Table
from ctdata.text import Text

WORLD = "/static/vendor/countries-110m.json"
CENTROIDS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "country_centroids.json"
#: Colours with at least 4.5:1 contrast on white, distinguishable with common colour-vision deficiencies.
PALETTE = ["#0b4f8a", "#b23a0e", "#6a3d9a", "#1f6e43", "#4a5561", "#8a5a00"]
#: The same colour for a sex in every chart.
SEX_COLOURS = {
    "female": "#0b4f8a",
    "male": "#b23a0e",
    "transgender_nonconforming": "#6a3d9a",
    "*": "#1f6e43",
    "unknown": "#4a5561",
    "Unknown": "#4a5561",
}
ORIGIN_COLOUR = "#0b4f8a"
DESTINATION_COLOUR = "#b23a0e"
CONFIG: dict[str, Any] = {
    "font": "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, sans-serif",
    "axis": {"labelFontSize": 12, "titleFontSize": 13, "labelColor": "#1b1f24", "titleColor": "#1b1f24"},
    "legend": {
        "labelFontSize": 12,
        "titleFontSize": 13,
        "labelColor": "#1b1f24",
        "titleColor": "#1b1f24",
        "orient": "top",
        "direction": "horizontal",
        "columns": 2,
        "labelLimit": 220,
    },
    "view": {"stroke": None},
    "background": "#ffffff",
}


def _words(lang: str) -> Any:
    """Words made in Python in the chart's language, as plain strings (a spec is JSON)."""
    return lambda value: str(i18n.localise(value, lang))


def bar_chart(table: Table, *, vertical: bool = False, lang: str = i18n.DEFAULT) -> dict[str, Any]:
    """Bars of a table's published cells (stacked by column when it has several), in the page's language."""
    w = _words(lang)
    values = [v | {"row": w(v["row"]), "col": w(v["col"])} for v in table.published()]
    order = [w(lab) for _, lab in table.rows]
    stacked = len(table.cols) > 1
    records, sex = w(Text("Records")), w(Text("Sex"))
    cat = {"field": "row", "type": "nominal", "sort": order, "title": w(table.row_title)}
    num = {"field": "n", "type": "quantitative", "title": records, "stack": "zero" if stacked else None}
    enc: dict[str, Any] = {"x": cat, "y": num} if vertical else {"y": cat, "x": num}
    if vertical:
        enc["x"] = {**cat, "axis": {"labelAngle": -90 if len(order) > 6 else -40}}
    enc["tooltip"] = [
        {"field": "row", "title": w(table.row_title)},
        *([{"field": "col", "title": sex}] if stacked else []),
        {"field": "n", "title": records, "format": ","},
    ]
    if stacked:
        spare = iter(PALETTE[::-1])
        colours = [SEX_COLOURS.get(code) or next(spare, "#4a5561") for code, _ in table.cols]
        enc["color"] = {
            "field": "col",
            "type": "nominal",
            "title": sex,
            "sort": [w(lab) for _, lab in table.cols],
            "scale": {"domain": [w(lab) for _, lab in table.cols], "range": colours},
        }
    hidden = table.suppressed_count()
    if hidden:
        desc = w(
            Text(
                "{title}. Bar chart of {n} published values; {hidden} suppressed cells are not drawn.",
                title=table.title,
                n=len(values),
                hidden=hidden,
            )
        )
    else:
        desc = w(Text("{title}. Bar chart of {n} published values.", title=table.title, n=len(values)))
    return {
        "description": desc,
        "width": "container",
        "height": 260 if vertical else max(120, 26 * len(order)),
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": enc,
        "config": CONFIG,
    }


@lru_cache(maxsize=1)
def centroids() -> dict[str, tuple[float, float]]:
    data = json.loads(CENTROIDS.read_text(encoding="utf-8"))
    return {k: (float(v[0]), float(v[1])) for k, v in data.items()}


def _arc(a: tuple[float, float], b: tuple[float, float], steps: int = 16) -> list[tuple[float, float]]:
    """A gentle curve from a to b (quadratic Bezier in lon/lat, bulging to the left of travel)."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    dist = math.hypot(dx, dy) or 1.0
    cx, cy = (x0 + x1) / 2 - dy / dist * dist * 0.18, (y0 + y1) / 2 + dx / dist * dist * 0.18
    pts = []
    for i in range(steps + 1):
        t = i / steps
        x = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1
        y = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1
        pts.append((round(x, 3), round(max(-89.0, min(89.0, y)), 3)))
    return pts


def corridor_name(flow: Flow, lang: str = i18n.DEFAULT) -> str:
    """'Laos to Thailand' in the page's language."""
    return str(
        i18n.localise(
            Text("{origin} to {destination}", origin=flow.origin_name, destination=flow.destination_name), lang
        )
    )


def corridor_map(flows: list[Flow], k: int, lang: str = i18n.DEFAULT) -> tuple[dict[str, Any], list[Flow]]:
    """The world map with one curve per flow, in the page's language; returns the spec and the flows that
    could not be placed."""
    w = _words(lang)
    origin_role, destination_role = w(Text("Citizenship (origin)")), w(Text("Country of exploitation"))
    cent = centroids()
    lines, points, unplaced = [], {}, []
    for i, f in enumerate(flows):
        a, b = cent.get(f.origin), cent.get(f.destination)
        if a is None or b is None:
            unplaced.append(f)
            continue
        name = corridor_name(f, lang)
        for j, (lon, lat) in enumerate(_arc(a, b)):
            lines.append({"flow": i, "i": j, "lon": lon, "lat": lat, "corridor": name, "records": f.records})
        for code, nm, role, (lon, lat) in (
            (f.origin, w(f.origin_name), origin_role, a),
            (f.destination, w(f.destination_name), destination_role, b),
        ):
            key = (code, role)
            p = points.setdefault(key, {"name": nm, "role": role, "lon": lon, "lat": lat, "records": 0})
            p["records"] += f.records
    desc = w(
        Text(
            "World map of {n} trafficking corridors from the country of citizenship to the country of "
            "exploitation, each with at least {k} records; the table below lists them.",
            n=len(flows) - len(unplaced),
            k=k,
        )
    )
    roles = [origin_role, destination_role]
    spec = {
        "description": desc,
        "width": "container",
        "height": "container",
        "autosize": {"type": "fit", "contains": "padding"},
        "projection": {"type": "equalEarth"},
        "layer": [
            {
                "data": {"url": WORLD, "format": {"type": "topojson", "feature": "countries"}},
                "mark": {"type": "geoshape", "fill": "#e3e7eb", "stroke": "#ffffff", "strokeWidth": 0.5},
            },
            {
                "data": {"values": lines},
                "mark": {"type": "line", "strokeCap": "round", "opacity": 0.75, "color": DESTINATION_COLOUR},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "detail": {"field": "flow", "type": "nominal"},
                    "order": {"field": "i", "type": "quantitative"},
                    "strokeWidth": {
                        "field": "records",
                        "type": "quantitative",
                        "title": w(Text("Records in the corridor")),
                        "scale": {"range": [1.5, 9]},
                        "legend": None,
                    },
                    "tooltip": [
                        {"field": "corridor", "title": w(Text("Corridor"))},
                        {"field": "records", "title": w(Text("Records")), "format": ","},
                    ],
                },
            },
            {
                "data": {"values": list(points.values())},
                "mark": {"type": "circle", "opacity": 0.95, "stroke": "#ffffff", "strokeWidth": 1},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "size": {"value": 60},
                    "color": {
                        "field": "role",
                        "type": "nominal",
                        "title": w(Text("Country")),
                        "scale": {"domain": roles, "range": [ORIGIN_COLOUR, DESTINATION_COLOUR]},
                        "legend": None,
                    },
                    "tooltip": [
                        {"field": "name", "title": w(Text("Country"))},
                        {"field": "role", "title": w(Text("As"))},
                        {"field": "records", "title": w(Text("Records in shown corridors")), "format": ","},
                    ],
                },
            },
        ],
        "config": CONFIG,
    }
    return spec, unplaced

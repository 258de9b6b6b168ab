"""The choropleth map of Japan: 47 real shapes inside the view, colours follow values, legend, links, no data."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hub.charts import scales
from hub.charts.japan_map import DATA_FILE, PREFECTURE_CODES, choropleth_svg, load_shapes
from hub.gazetteer import load_gazetteer
from tests.hub.test_charts import HOSTILE, assert_standalone, parse, texts

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]
NAMES_JA = load_gazetteer().prefecture_names("ja")
NAMES_EN = load_gazetteer().prefecture_names("en")
KANTO = ("08", "09", "10", "11", "12", "13", "14", "19")  # 関東総合通信局


def prefecture_paths(root: ET.Element) -> dict[str, ET.Element]:
    return {p.get("data-code"): p for p in root.iter(f"{SVG}path") if p.get("data-code")}


def path_points(d: str) -> list[tuple[float, float]]:
    """Absolute points of our path data: M x y, then relative l steps, then z."""
    m = re.fullmatch(r"M(-?\d+) (-?\d+)l([-\d ]*)z", d)
    assert m, d
    x, y = int(m.group(1)), int(m.group(2))
    points = [(x, y)]
    steps = [int(v) for v in m.group(3).split()]
    for dx, dy in zip(steps[0::2], steps[1::2]):
        x, y = x + dx, y + dy
        points.append((x, y))
    return points


def test_shipped_shapes_are_small_complete_and_attributed():
    assert DATA_FILE.stat().st_size < 150_000
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert "japanmap" in data["source"] and "Apache" in data["license"]
    shapes = load_shapes()
    assert sorted(shapes) == list(PREFECTURE_CODES)
    for code, shape in shapes.items():
        assert len(shape["ring"]) >= 2 * 20 and len(shape["ring"]) % 2 == 0, code  # a shape, not a box
        assert len(shape["label"]) == 3
    assert "Apache" in (ROOT / "NOTICE").read_text(encoding="utf-8")


def test_gazetteer_has_prefecture_names_in_both_languages():
    assert len(NAMES_JA) == len(NAMES_EN) == 47
    assert NAMES_JA["13"] == "東京都" and NAMES_EN["13"] == "Tokyo"
    assert NAMES_JA["01"] == "北海道" and NAMES_EN["47"] == "Okinawa" and NAMES_EN["28"] == "Hyogo"
    assert list(NAMES_EN) == list(PREFECTURE_CODES)
    assert load_gazetteer().prefecture_names("en-GB")["20"] == "Nagano"
    assert load_gazetteer().prefecture_names_en == NAMES_EN


def test_map_has_47_prefectures_inside_the_view_box():
    values = {code: i for i, code in enumerate(PREFECTURE_CODES)}
    svg = choropleth_svg(values, names=NAMES_JA, title="都道府県別の人材", legend_title="人材数")
    root = parse(svg)
    assert_standalone(svg, root)
    paths = prefecture_paths(root)
    assert sorted(paths) == list(PREFECTURE_CODES)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    for code, path in paths.items():
        points = path_points(path.get("d"))
        assert all(0 <= x <= width and 0 <= y <= height for x, y in points), code
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        # The smallest prefectures stay visible at 720 units: Kagawa, Osaka and Tokyo at least 20 units wide.
        assert max(xs) - min(xs) >= (20 if code in ("13", "27", "37") else 10), code
    assert paths["13"].find(f"{SVG}title").text == "東京都: 12"
    assert "沖縄県" in texts(root)  # the inset is named


def test_sequential_colours_follow_values():
    values = {"01": 0, "13": 50, "20": 25, "47": 10}
    root = parse(choropleth_svg(values, names=NAMES_EN, title="t", legend_title="Experts"))
    paths = prefecture_paths(root)
    classes = scales.sequential_classes([0, 50, 25, 10])  # step 10: 0-9, ..., 40-50
    assert paths["13"].get("fill") == classes.colors[-1] == scales.SEQUENTIAL[-1]  # highest: darkest
    assert paths["01"].get("fill") == classes.colors[0]
    assert paths["20"].get("class") == "pref c2" and paths["47"].get("class") == "pref c1"
    order = [classes.colors.index(paths[c].get("fill")) for c in ("01", "47", "20", "13")]
    assert order == sorted(order)
    labels = texts(root)
    assert {"0 – 9", "10 – 19", "40 – 50", "Experts", "No data"} <= set(labels)
    assert paths["02"].get("fill").startswith("url(#") and paths["02"].get("class") == "pref pref-none"
    assert paths["02"].find(f"{SVG}title").text == "Aomori: No data"


def test_diverging_is_centred_on_zero_shortage_warm_surplus_cool():
    values = {"20": -12, "13": 30, "27": 0, "01": 5, "47": -30}
    svg = choropleth_svg(values, names=NAMES_JA, title="需給", legend_title="人材−募集", diverging=True,
                         format_value=lambda v: f"{v:+.0f}".replace("-", "−"), low_text="不足", high_text="余剰",
                         no_data_text="データなし")
    root = parse(svg)
    paths = prefecture_paths(root)
    assert paths["27"].get("fill") == scales.DIVERGING_ZERO
    assert paths["20"].get("fill") in scales.DIVERGING_NEGATIVE and paths["47"].get("fill") == "#b2182b"
    assert paths["01"].get("fill") in scales.DIVERGING_POSITIVE and paths["13"].get("fill") == "#2166ac"
    assert paths["20"].find(f"{SVG}title").text == "長野県: −12"
    legend = texts(root.find(".//s:g[@class='legend']", {"s": SVG[1:-1]}))
    # reach 30 -> step 10, three classes a side, listed high (surplus) to low (shortage)
    assert legend == ["人材−募集", "余剰", "+21 – +30", "+11 – +20", "+1 – +10", "+0", "−10 – −1",
                      "−20 – −11", "−30 – −21", "不足", "データなし"]


def test_highlight_greys_out_other_prefectures_and_outlines_the_region():
    values = {code: 5 for code in PREFECTURE_CODES}
    root = parse(choropleth_svg(values | {"13": 40}, names=NAMES_JA, title="関東", legend_title="募集",
                                highlight=KANTO))
    paths = prefecture_paths(root)
    assert sorted(paths) == list(PREFECTURE_CODES)
    dimmed = {c for c, p in paths.items() if "dimmed" in p.get("class")}
    assert dimmed == set(PREFECTURE_CODES) - set(KANTO)
    assert len({paths[c].get("fill") for c in dimmed}) == 1  # one flat grey, no value colour
    assert all("dimmed" not in paths[c].get("class") for c in KANTO)
    outline = root.find(".//s:g[@class='highlight-outline']", {"s": SVG[1:-1]})
    assert len(outline.findall(f"{SVG}path")) == len(KANTO)
    value_labels = texts(root.find(".//s:g[@class='value-labels']", {"s": SVG[1:-1]}))
    assert sorted(value_labels) == sorted(["40"] + ["5"] * 7)  # only the region's numbers are printed


def test_zoom_frames_the_region_and_clips_the_neighbours():
    values = {code: 1 for code in KANTO}
    full = parse(choropleth_svg(values, names=NAMES_JA, title="t", legend_title="l", highlight=KANTO))
    zoomed = parse(choropleth_svg(values, names=NAMES_JA, title="t", legend_title="l", highlight=KANTO,
                                  zoom=True))

    def width_of(root, code):
        xs = [x for x, _ in path_points(prefecture_paths(root)[code].get("d"))]
        return max(xs) - min(xs)

    assert width_of(zoomed, "13") > 4 * width_of(full, "13")
    names = [t.text for t in zoomed.iter(f"{SVG}text") if t.get("class") == "pref-name"]
    assert {"東京都", "群馬県", "千葉県"} <= set(names) <= {NAMES_JA[c] for c in KANTO}  # named only when zoomed
    assert not [t for t in full.iter(f"{SVG}text") if t.get("class") == "pref-name"]
    clip = zoomed.find(".//s:clipPath", {"s": SVG[1:-1]})
    assert clip is not None and zoomed.find(f".//{SVG}g[@clip-path='url(#{clip.get('id')})']") is not None
    okinawa = parse(choropleth_svg({"47": 3}, names=NAMES_EN, title="t", legend_title="l", highlight=["47"],
                                   zoom=True))
    assert width_of(okinawa, "47") > 200  # Okinawa alone fills the frame, no inset


def test_links_escaping_and_accepted_codes():
    svg = choropleth_svg({"13": 1, 20: 2, "130001": 3}, names={"13": HOSTILE, "20": "長野県"}, title=HOSTILE,
                         legend_title=HOSTILE, href=lambda code: "javascript:x()" if code == "20" else f"/p/{code}?a=1&b=2")
    root = parse(svg)
    assert_standalone(svg, root)
    assert "<script>" not in svg
    links = {a.find(f"{SVG}path").get("data-code"): a.get("href") for a in root.iter(f"{SVG}a")}
    assert links["13"] == "/p/13?a=1&b=2" and "20" not in links and len(links) == 46
    paths = prefecture_paths(root)
    assert paths["13"].find(f"{SVG}title").text.startswith('<script>alert("x")</script>')
    assert paths["20"].get("class") != "pref pref-none"  # the int key 20 counted
    assert paths["13"].find(f"{SVG}title").text.endswith(": 3")  # "130001" is Tokyo's six-digit code


def test_no_data_at_all_draws_a_hatched_map_that_says_so():
    for values in ({}, {"13": None, "20": float("nan")}):
        svg = choropleth_svg(values, names=NAMES_JA, title="t", legend_title="l", empty_text="データがありません",
                             no_data_text="データなし")
        root = parse(svg)
        assert_standalone(svg, root)
        paths = prefecture_paths(root)
        assert len(paths) == 47 and all(p.get("fill").startswith("url(#") for p in paths.values())
        assert "データがありません" in texts(root) and root.find(f"{SVG}desc").text == "データがありません"
        assert root.find(f".//{SVG}g[@class='chart-empty']") is not None


@pytest.mark.parametrize("width", [360, 720, 1200])
def test_map_scales_with_width_and_stays_valid(width):
    root = parse(choropleth_svg({"01": 1}, names=NAMES_EN, title="t", legend_title="l", width=width))
    assert float(root.get("viewBox").split()[2]) == width
    legend = root.find(".//s:g[@class='legend']", {"s": SVG[1:-1]})
    x, y = (float(v) for v in re.findall(r"-?[\d.]+", legend.get("transform")))
    assert 0 <= x < width and 0 <= y < float(root.get("viewBox").split()[3])


def _build_script():
    import importlib.util
    spec = importlib.util.spec_from_file_location("build_japan_map", ROOT / "scripts" / "build_japan_map.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_script_simplifies_shared_borders_once_and_finds_an_inner_label_point(tmp_path):
    """Two squares side by side sharing a wiggly border: both rings get the same simplified border."""
    build = _build_script()
    assert build.douglas_peucker([(0, 0), (1, 0.001), (2, 0)], 0.01) == [(0, 0), (2, 0)]
    assert build.douglas_peucker([(0, 0), (1, 0.5), (2, 0)], 0.01) == [(0, 0), (1, 0.5), (2, 0)]
    # points: a shared border 0-1-2-3 (x = 1, small wiggle at 1), outer corners of each square
    points = [[[1, 0], 2], [[1.004, 0.3], 2], [[1, 0.6], 2], [[1, 1], 2],
              [[0, 1], 1], [[0, 0], 1], [[2, 1], 1], [[2, 0], 1]]
    left = [[2, [0, 1, 2, 3]], [0, [3, 4, 5, 0]]]
    right = [[1, [3, 2, 1, 0]], [0, [0, 7, 6, 3]]]
    source = tmp_path / "japan.json"
    source.write_text(json.dumps([points, [left, right] + [[[0, [5, 0, 3, 4, 5]]]] * 45]), encoding="utf-8")
    data = build.build(source)
    a, b = data["prefectures"]["01"]["ring"], data["prefectures"]["02"]["ring"]
    pairs = lambda ring: {(ring[i], ring[i + 1]) for i in range(0, len(ring), 2)}  # noqa: E731
    shared = pairs(a) & pairs(b)
    assert len(shared) == 2  # the wiggle is gone from both: only the border's two ends are shared
    lx, ly, room = data["prefectures"]["01"]["label"]
    x_range = sorted(x for x, _ in pairs(a))
    assert x_range[0] < lx < x_range[-1] and room > 0
    out = tmp_path / "out.json"
    build.write(data, out)
    assert json.loads(out.read_text(encoding="utf-8")) == data

"""Bar, stacked bar and heat-map SVG charts: valid, accessible, escaped, numbers printed, no data handled."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from hub.charts import scales
from hub.charts.bars import bar_chart_svg, heatmap_svg, stacked_bar_chart_svg
from hub.charts.svg import FONT_STACK, default_format, fit_text, safe_href, text_width, wrap_text

NS = {"s": "http://www.w3.org/2000/svg"}
HOSTILE = '<script>alert("x")</script> & \'quoted\' \x00\x1b'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def assert_standalone(svg: str, root: ET.Element) -> None:
    """The rules every chart keeps: accessible name, scales by viewBox, no script, nothing external."""
    assert root.get("role") == "img"
    assert root.find("s:title", NS) is not None and root.find("s:desc", NS) is not None
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find("s:title", NS).get("id") == title_id and root.find("s:desc", NS).get("id") == desc_id
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+(\.\d)? \d+(\.\d)?", root.get("viewBox"))
    assert "Noto Sans CJK JP" in root.get("font-family") and root.get("font-family") == FONT_STACK
    lowered = svg.lower()
    assert "<script" not in lowered and "javascript:" not in lowered and "xlink" not in lowered
    assert "style=" not in lowered and "<style" not in lowered  # the pages' CSP forbids inline styles
    assert all(u.startswith("url(#") for u in re.findall(r"url\([^)]*\)", svg))
    assert "<image" not in lowered and "@import" not in lowered


def rects_by_fill(root: ET.Element, fill: str) -> list[ET.Element]:
    return [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("fill") == fill]


# -- helpers -------------------------------------------------------------------------------------

def test_wrap_text_breaks_japanese_and_ellipsizes_the_last_line():
    label = "データ利活用・EBPMの推進（庁内データ連携基盤の構築を含む）"
    lines = wrap_text(label, 10 * 16, 16, max_lines=2)
    assert len(lines) == 2
    assert all(text_width(line, 16) <= 10 * 16 for line in lines)
    assert lines[1].endswith("…") and label.startswith(lines[0])
    assert wrap_text("短い", 100, 16) == ["短い"]
    assert wrap_text("Local industry promotion", 15 * 9, 16) == ["Local industry", "promotion"]


def test_fit_text_and_safe_href():
    assert fit_text("abc", 100, 10) == "abc"
    assert fit_text("あいうえおかきくけこ", 50, 10).endswith("…")
    assert safe_href("/dashboard/needs?stage=development") == "/dashboard/needs?stage=development"
    assert safe_href("https://example.jp/x") == "https://example.jp/x"
    assert safe_href("javascript:alert(1)") is None and safe_href(" JavaScript:alert(1)") is None
    assert safe_href("data:text/html,x") is None and safe_href("") is None and safe_href(None) is None


def test_default_format_uses_a_real_minus_and_thousands():
    assert default_format(-1234) == "−1,234" and default_format(2.5) == "2.5" and default_format(3.0) == "3"


def test_classes_sequential_and_diverging_by_hand():
    seq = scales.sequential_classes([0, 3, 10])  # range 10 over at most 7 classes: step 2
    assert seq.edges == (0, 2, 4, 6, 8, 10)
    assert [seq.index(v) for v in (0, 1.9, 2, 9.9, 10)] == [0, 0, 1, 4, 4]
    assert seq.labels(default_format, lambda a, b: f"{a}-{b}") == ["0-1", "2-3", "4-5", "6-7", "8-10"]
    div = scales.diverging_classes([-12, 3, 30])  # reach 30, step 10, three classes a side
    assert div.edges == (-30, -20, -10, 0, 0, 10, 20, 30)
    assert [div.index(v) for v in (-30, -12, -10, -1, 0, 1, 10, 11, 30)] == [0, 1, 2, 2, 3, 4, 4, 5, 6]
    assert div.colors[div.zero] == scales.DIVERGING_ZERO
    assert div.labels(default_format, lambda a, b: f"{a}..{b}") == [
        "−30..−21", "−20..−11", "−10..−1", "0", "1..10", "11..20", "21..30"]
    assert scales.text_color_on("#0c2c84") == "#ffffff" and scales.text_color_on("#ffffcc") == "#000000"


# -- bar_chart_svg -------------------------------------------------------------------------------

ITEMS = [("データ利活用・EBPMの推進（庁内データ連携基盤の構築を含む）", 12), ("情報セキュリティ", 6), ("UI/UXデザイン", -4)]


def test_bar_chart_bars_scale_with_values_and_print_them():
    svg = bar_chart_svg(ITEMS, title="不足しているスキル", value_label="不足数", format_value=lambda v: f"{v:.0f}人")
    root = parse(svg)
    assert_standalone(svg, root)
    blue = rects_by_fill(root, scales.POSITIVE)
    orange = rects_by_fill(root, scales.NEGATIVE)
    assert len(blue) == 2 and len(orange) == 1
    w12, w6 = (float(r.get("width")) for r in blue)
    assert w12 == pytest.approx(2 * w6, abs=0.2)
    assert float(orange[0].get("width")) == pytest.approx(w12 / 3, abs=0.2)
    zero = float(blue[0].get("x"))
    assert float(orange[0].get("x")) + float(orange[0].get("width")) == pytest.approx(zero, abs=0.1)  # left of zero
    drawn = texts(root)
    assert {"12人", "6人", "-4人", "不足しているスキル", "不足数"} <= set(drawn)
    assert any(t.endswith("…") for t in drawn)  # the long label is ellipsized ...
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert f"{ITEMS[0][0]}: 12人" in titles  # ... and given in full in its <title>
    assert "不足数: " in root.find("s:desc", NS).text


def test_bar_chart_links_rows_and_drops_unsafe_links():
    svg = bar_chart_svg(ITEMS, title="t", value_label="v",
                        href=lambda i: ["/needs?skill=a&stage=b", None, "javascript:alert(1)"][i])
    root = parse(svg)
    links = root.findall(".//s:a", NS)
    assert [a.get("href") for a in links] == ["/needs?skill=a&stage=b"]
    assert links[0].find("s:g/s:title", NS).text.startswith("データ利活用")
    underlined = [t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("text-decoration") == "underline"]
    assert len(underlined) == 2 and all(t.get("fill") == "#0b5394" for t in underlined)  # the linked label, 2 lines


def test_bar_chart_escapes_hostile_labels():
    svg = bar_chart_svg([(HOSTILE, 1)], title=HOSTILE, value_label=HOSTILE, format_value=lambda v: HOSTILE)
    root = parse(svg)
    assert_standalone(svg, root)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert root.find("s:title", NS).text == '<script>alert("x")</script> & \'quoted\' '  # control characters dropped


def test_bar_chart_all_zero_missing_and_empty():
    root = parse(bar_chart_svg([("a", 0), ("b", None), ("c", float("nan"))], title="t", value_label="v"))
    assert {"0", "–"} <= set(texts(root))
    empty = bar_chart_svg([], title="スキル", value_label="v", empty_text="データがありません")
    root = parse(empty)
    assert_standalone(empty, root)
    assert "データがありません" in texts(root) and root.find("s:desc", NS).text == "データがありません"


def test_charts_on_one_page_have_distinct_ids():
    a = parse(bar_chart_svg(ITEMS, title="A", value_label="v"))
    b = parse(bar_chart_svg(ITEMS, title="B", value_label="v"))
    assert a.get("aria-labelledby") != b.get("aria-labelledby")
    assert bar_chart_svg(ITEMS, title="A", value_label="v") == bar_chart_svg(ITEMS, title="A", value_label="v")


# -- stacked_bar_chart_svg -----------------------------------------------------------------------

def test_stacked_bar_chart_segments_totals_and_legend():
    series = [("セミナー・研修", [5, 2]), ("事業化支援", [3, None]), ("フォローアップ", [0, 6, 99])]
    svg = stacked_bar_chart_svg(["長野県", "新潟県"], series, title="目的別の派遣", value_label="件数")
    root = parse(svg)
    assert_standalone(svg, root)
    segments = root.findall(".//s:g[@class='segment']", NS)
    assert [s.get("data-series") for s in segments] == ["0", "1", "0", "2"]  # zeros and None draw nothing
    widths = [float(s.find("s:rect", NS).get("width")) for s in segments]
    assert widths[0] == pytest.approx(5 / 3 * widths[1], abs=0.2) and widths[3] == pytest.approx(3 * widths[2], abs=0.2)
    drawn = texts(root)
    assert {"8", "セミナー・研修", "事業化支援", "フォローアップ"} <= set(drawn)  # total 8 for 長野県, legend names
    assert "長野県 – 事業化支援: 3" in [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    legend_colors = [r.get("fill") for r in root.findall("s:rect", NS)][:3]
    assert legend_colors == list(scales.CATEGORICAL[:3])


def test_stacked_bar_chart_empty_and_hostile():
    assert "no" in texts(parse(stacked_bar_chart_svg([], [("a", [])], title="t", value_label="v",
                                                      empty_text="no")))
    svg = stacked_bar_chart_svg([HOSTILE], [(HOSTILE, [1])], title="t", value_label="v")
    parse(svg)
    assert "<script>" not in svg


# -- heatmap_svg ---------------------------------------------------------------------------------

def test_heatmap_cells_coloured_by_value_with_numbers_and_hatched_none():
    rows = ["課題特定", "開発"]
    columns = ["防災", "モビリティ", "観光"]
    values = [[0, 5, None], [10, 2]]  # a short row: the missing cell is None
    svg = heatmap_svg(rows, columns, values, title="段階×分野", format_value=lambda v: f"{v:.0f}件",
                      href=lambda i, j: f"/needs?row={i}&col={j}", legend_title="未充足の募集",
                      no_data_text="データなし")
    root = parse(svg)
    assert_standalone(svg, root)
    cells = {(c.get("data-row"), c.get("data-column")): c for c in root.iter("{http://www.w3.org/2000/svg}g")
             if c.get("data-row") is not None}
    assert len(cells) == 6
    classes = scales.sequential_classes([0, 5, 10, 2])  # step 2: 0-1, 2-3, 4-5, 6-7, 8-10
    assert cells[("1", "0")].find("s:rect", NS).get("fill") == classes.colors[-1]  # the highest value, darkest
    assert cells[("0", "0")].find("s:rect", NS).get("fill") == classes.colors[0]
    assert cells[("0", "2")].get("class") == "cell-none" and cells[("1", "2")].get("class") == "cell-none"
    assert cells[("0", "2")].find("s:rect", NS).get("fill").startswith("url(#")
    assert cells[("0", "2")].find("s:text", NS) is None  # no number in an empty cell
    assert "".join(cells[("0", "1")].find("s:text", NS).itertext()) == "5件"
    assert cells[("0", "2")].find("s:title", NS).text == "課題特定 – 観光: データなし"
    hrefs = [a.get("href") for a in root.iter("{http://www.w3.org/2000/svg}a")]
    assert len(hrefs) == 4 and "/needs?row=1&col=0" in hrefs  # None cells are not links
    drawn = texts(root)
    assert {"未充足の募集", "データなし", "0件 – 1件", "8件 – 10件"} <= set(drawn)


def test_heatmap_slanted_headers_stay_inside_the_view_box():
    columns = [f"とても長い分野の名前その{i}" for i in range(11)]
    svg = heatmap_svg(["a"] * 8, columns, [[i * j for j in range(11)] for i in range(8)], title="t")
    root = parse(svg)
    width = float(root.get("viewBox").split()[2])
    rects = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("x")]
    assert max(float(r.get("x")) + float(r.get("width")) for r in rects) <= width
    slanted = [t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("transform")]
    assert len(slanted) == 11


def test_heatmap_empty_and_all_none():
    for rows, columns, values in (([], [], []), (["a"], ["b"], [[None]])):
        root = parse(heatmap_svg(rows, columns, values, title="t", empty_text="データがありません"))
        assert "データがありません" in texts(root)


def test_show_title_false_keeps_the_accessible_name_only():
    for svg in (bar_chart_svg(ITEMS, title="見出し", value_label="v", show_title=False),
                bar_chart_svg([], title="見出し", value_label="v", show_title=False),
                stacked_bar_chart_svg(["a"], [("s", [1])], title="見出し", value_label="v", show_title=False),
                heatmap_svg(["a"], ["b"], [[1]], title="見出し", show_title=False)):
        root = parse(svg)
        assert root.find("s:title", NS).text == "見出し" and "見出し" not in texts(root)


@pytest.mark.parametrize("seed", range(6))
def test_random_input_always_gives_valid_svg_inside_its_view_box(seed):
    """Odd widths, long, empty and hostile labels, huge and tiny numbers: never an exception, always XML."""
    import random
    rnd = random.Random(seed)
    pieces = ["長い分野の名前", "Local industry promotion", HOSTILE, "", " ", "x" * 200, "データ" * 30, "&amp;"]

    def label():
        return "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 3)))

    def number():
        return rnd.choice([0, 1, -1, 0.5, 1e9, -1e9, 123456.789, None, float("nan"), float("inf")])

    width = rnd.choice([200, 390, 640, 1000])
    n, m = rnd.randint(0, 12), rnd.randint(0, 12)
    svgs = [bar_chart_svg([(label(), number()) for _ in range(n)], title=label(), value_label=label(), width=width),
            stacked_bar_chart_svg([label() for _ in range(n)], [(label(), [number() for _ in range(n)])
                                                                  for _ in range(rnd.randint(0, 4))],
                                  title=label(), value_label=label(), width=width),
            heatmap_svg([label() for _ in range(n)], [label() for _ in range(m)],
                        [[number() for _ in range(m)] for _ in range(n)], title=label(), width=width)]
    for svg in svgs:
        root = parse(svg)
        assert_standalone(svg, root)
        _, _, w, h = (float(v) for v in root.get("viewBox").split())
        assert w == width and h > 0
        for rect in root.iter("{http://www.w3.org/2000/svg}rect"):
            if rect.get("x") is not None:
                assert -0.5 <= float(rect.get("x")) and float(rect.get("x")) + float(rect.get("width")) <= w + 0.5
                assert float(rect.get("width")) >= 0

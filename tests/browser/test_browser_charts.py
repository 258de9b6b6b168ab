"""The SVG charts as Chromium lays them out on a phone (390 px) and a desktop (1280 px), in Japanese and English:
the charts fit the width, bar labels stay readable (at least 10 px) and clear of their bars, the map's legend
covers no highlighted land. No hub server is needed: the page is built from the chart functions.
Screenshots: tests/screenshots/charts_<width>_<lang>.png."""
from __future__ import annotations

import pytest

from hub.charts.bars import bar_chart_svg, heatmap_svg, stacked_bar_chart_svg
from hub.charts.japan_map import PREFECTURE_CODES, choropleth_svg
from hub.gazetteer import load_gazetteer
from skill_taxonomy import load

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{margin:0;padding:16px}} svg.chart{{display:block;max-width:100%;height:auto;margin-bottom:16px}}</style>
</head><body>{charts}</body></html>"""

MEASURE = """() => {
  const doc = document.documentElement;
  const out = {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, charts: [], labelPx: [], overlaps: [],
               labelsChecked: 0, legendsChecked: 0};
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    out.charts.push([box.left, box.right]);
  }
  for (const row of document.querySelectorAll('svg.chart-bar g.bar-row')) {
    const rect = row.querySelector('rect');
    for (const text of row.querySelectorAll('text')) {
      const t = text.getBoundingClientRect();
      out.labelPx.push(t.height);
      // the row's label (left of the bars, not a number written beside a bar) must not run into the bar
      if (rect && text.getAttribute('text-anchor') !== 'end'
          && parseFloat(text.getAttribute('x')) < parseFloat(rect.getAttribute('x'))) {
        out.labelsChecked += 1;
        const r = rect.getBoundingClientRect();
        if (t.right > r.left + 0.5 && t.left < r.right) out.overlaps.push(text.textContent);
      }
    }
  }
  for (const legend of document.querySelectorAll('svg.chart-map g.legend')) {
    const l = legend.getBoundingClientRect();
    out.legendsChecked += 1;
    for (const path of legend.ownerSVGElement.querySelectorAll('path.pref:not(.dimmed)')) {
      if (path.dataset.code === '47') continue;  // Okinawa sits in its inset
      const p = path.getBoundingClientRect();
      if (p.right > l.left && p.left < l.right && p.bottom > l.top && p.top < l.bottom) out.overlaps.push(path.dataset.code);
    }
  }
  return out;
}"""


def _page(lang: str) -> str:
    taxonomy = load()
    en = lang == "en"
    names = load_gazetteer().prefecture_names(lang)
    stages = [s.name_en if en else s.name_ja for s in taxonomy.stages.values()]
    fields = [f.name_en if en else f.name_ja for f in taxonomy.fields.values()]
    skills = [("データ利活用・EBPMの推進（庁内データ連携基盤の構築を含む）", 12), ("情報セキュリティ", 7),
              ("UI/UXデザイン", -4), ("プロジェクトマネジメント", 3), ("<script>alert(1)</script>", -11)]
    if en:
        skills = [("Data utilisation & EBPM (including the internal data platform)", 12),
                  ("Information security", 7), ("UI/UX design", -4), ("Project management", 3),
                  ("<script>alert(1)</script>", -11)]
    values = {code: (i * 7) % 41 - 20 for i, code in enumerate(PREFECTURE_CODES)}
    kanto = ("08", "09", "10", "11", "12", "13", "14", "19")
    charts = [
        bar_chart_svg(skills, title="Skills" if en else "スキル", value_label="Gap" if en else "不足数",
                      href=lambda i: f"/needs?skill={i}"),
        stacked_bar_chart_svg([names["20"], names["15"]], [("Seminar" if en else "セミナー・研修", [5, 2]),
                                                           ("Follow-up" if en else "フォローアップ", [1, 6])],
                              title="Dispatches" if en else "派遣", value_label="Count" if en else "件数"),
        heatmap_svg(stages, fields, [[(i + j) % 5 for j in range(len(fields))] for i in range(len(stages))],
                    title="Unmet needs" if en else "未充足の募集", href=lambda i, j: f"/needs?s={i}&f={j}"),
        choropleth_svg(values, names=names, title="Gap" if en else "需給ギャップ", legend_title="Hours" if en else "時間",
                       diverging=True, href=lambda c: f"/p/{c}"),
        choropleth_svg(values, names=names, title="Kanto" if en else "関東", legend_title="Hours" if en else "時間",
                       highlight=kanto, zoom=True),
    ]
    return PAGE.format(lang=lang, charts="".join(charts))


@pytest.mark.parametrize(("width", "lang"), [(390, "ja"), (390, "en"), (1280, "ja"), (1280, "en")])
def test_charts_fit_and_stay_readable(browser, screenshots, width, lang):
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.set_content(_page(lang))
        measured = page.evaluate(MEASURE)
        page.screenshot(path=str(screenshots / f"charts_{width}_{lang}.png"), full_page=True)
    finally:
        context.close()
    assert measured["scrollWidth"] <= measured["clientWidth"]  # nothing scrolls sideways
    assert len(measured["charts"]) == 5
    assert all(0 <= left and right <= width for left, right in measured["charts"])
    assert min(measured["labelPx"]) >= 10  # rendered text height of bar labels and numbers, in CSS px
    assert measured["overlaps"] == []
    assert measured["labelsChecked"] >= 5 and measured["legendsChecked"] == 2

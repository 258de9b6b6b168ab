"""A map of Japan's 47 prefectures coloured by a number (a choropleth), drawn as SVG text.

The shapes are `data/japan_prefectures.json`, simplified from japanmap 0.6.0 (Apache-2.0) by
`scripts/build_japan_map.py`: real prefecture outlines, read from the package, no tiles and no
network. Okinawa sits in an inset box at the top left, where the Sea of Japan leaves room. Each
prefecture is a `<path>` with a `<title>` ("長野県: −12"), optionally a link, and its number printed
on it, so the map reads without colour; the legend gives the class breaks.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from hub.charts import scales
from hub.charts.svg import (MUTED_COLOR, TEXT_COLOR, Fragment, Svg, attr, default_format, esc, finite, fit_text, num,
                            safe_href, shape, text_width, title_block, wrap_text)

__all__ = ["PREFECTURE_CODES", "choropleth_svg", "load_shapes"]

DATA_FILE = Path(__file__).resolve().parent / "data" / "japan_prefectures.json"
PREFECTURE_CODES = tuple(f"{i:02d}" for i in range(1, 48))
OKINAWA = "47"
INSET_ZOOM = 1.6  # Okinawa's main island is small: draw it larger than the main map
BORDER = "#8c8c8c"  # grey, so light classes (0, few) keep their outline on white
OUTLINE = "#1a1a1a"
DIMMED = "#e4e4e4"  # outside the highlighted region: flat grey, so no colour is read as a number


@functools.cache
def load_shapes() -> dict[str, dict[str, list[int]]]:
    """Return {prefecture code: {"ring": [x0, y0, x1, y1, ...], "label": [x, y]}} in data units."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data["prefectures"]


def _code(key: object) -> str:
    """Accept "01", 1 or a six-digit local-government code ("010006") for a prefecture."""
    text = str(key).strip()
    return text[:2] if len(text) == 6 else text.zfill(2)


def _default_range(low: str, high: str) -> str:
    return f"{low} – {high}"


class _Projection:
    """Place data units on the canvas: `frame` prefectures fill the map area, Okinawa may go to an inset."""

    def __init__(self, shapes: Mapping[str, Mapping[str, list[int]]], frame: Collection[str], *, left: float,
                 top: float, width: float, margin: float = 0.0, max_height: float | None = None) -> None:
        xs = [v for c in frame for v in shapes[c]["ring"][0::2]]
        ys = [v for c in frame for v in shapes[c]["ring"][1::2]]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
        x0, x1, y0, y1 = x0 - dx, x1 + dx, y0 - dy, y1 + dy
        self.scale = width / max(x1 - x0, 1)
        if max_height is not None and (y1 - y0) * self.scale > max_height:
            self.scale = max_height / max(y1 - y0, 1)
        self.x0, self.y0 = x0, y0
        self.left = left + (width - (x1 - x0) * self.scale) / 2
        self.top = top
        self.width, self.height = width, (y1 - y0) * self.scale
        self.inset: tuple[float, float, float, float] | None = None  # x, y, w, h of Okinawa's box
        self._shapes = shapes
        self._paths: dict[str, str] = {}
        self._bounds: dict[str, tuple[float, float, float, float]] = {}
        ring = shapes[OKINAWA]["ring"]
        self._ok = (min(ring[0::2]), min(ring[1::2]), max(ring[0::2]), max(ring[1::2]))

    def place_inset(self, x: float, y: float, pad: float) -> None:
        """Draw Okinawa in a box whose top left corner is (x, y), larger than the main map."""
        ox0, oy0, ox1, oy1 = self._ok
        k = self.scale * INSET_ZOOM
        self.inset = (x, y, (ox1 - ox0) * k + 2 * pad, (oy1 - oy0) * k + 2 * pad)
        self._inset_origin = (x + pad - ox0 * k, y + pad - oy0 * k, k)

    def point(self, code: str, x: float, y: float) -> tuple[float, float]:
        if code == OKINAWA and self.inset is not None:
            ox, oy, k = self._inset_origin
            return ox + x * k, oy + y * k
        return self.left + (x - self.x0) * self.scale, self.top + (y - self.y0) * self.scale

    def _points(self, code: str, ring: list[int]) -> list[tuple[int, int]]:
        return [(round(px), round(py)) for px, py in
                (self.point(code, ring[i], ring[i + 1]) for i in range(0, len(ring), 2))]

    def path(self, code: str) -> str:
        """Return the outline as path data: whole canvas units, relative moves (a third of the size of absolute)."""
        if code not in self._paths:
            pts = self._points(code, self._shapes[code]["ring"])
            steps = [f"{x - px} {y - py}" for (px, py), (x, y) in zip(pts, pts[1:]) if (x, y) != (px, py)]
            self._paths[code] = f"M{pts[0][0]} {pts[0][1]}l" + " ".join(steps) + "z"
        return self._paths[code]

    def bounds(self, code: str) -> tuple[float, float, float, float]:
        if code not in self._bounds:
            pts = self._points(code, self._shapes[code]["ring"])
            self._bounds[code] = (min(p[0] for p in pts), min(p[1] for p in pts),
                                  max(p[0] for p in pts), max(p[1] for p in pts))
        return self._bounds[code]


@functools.lru_cache(maxsize=32)
def _projection(frame: frozenset[str], *, left: float, top: float, width: float, margin: float,
                max_height: float | None, inset: tuple[float, float, float] | None) -> _Projection:
    """Return the projection of one layout, paths computed once: they do not depend on the numbers."""
    proj = _Projection(load_shapes(), frame, left=left, top=top, width=width, margin=margin, max_height=max_height)
    if inset is not None:
        proj.place_inset(inset[0], top + inset[1], inset[2])
    return proj


def choropleth_svg(values: Mapping[str, float | None], *, names: Mapping[str, str], title: str, legend_title: str,
                   format_value: Callable[[float], str] = default_format, diverging: bool = False,
                   highlight: Collection[str] = (), href: Callable[[str], str | None] | None = None,
                   width: int = 720, no_data_text: str = "No data", empty_text: str | None = None,
                   low_text: str | None = None, high_text: str | None = None,
                   format_range: Callable[[str, str], str] = _default_range, labels: bool = True,
                   zoom: bool = False, desc: str | None = None, show_title: bool = True) -> str:
    """Draw the 47 prefectures coloured by `values` (keyed "01".."47"); None or missing is hatched grey.

    `diverging`: a gap centred on 0 (negative, a shortage, in reds; positive, a surplus, in blues),
    with `low_text` / `high_text` naming the two ends in the legend; otherwise a sequential scale.
    `highlight` (prefecture codes), when not empty, greys out every other prefecture: a bureau's
    region; with `zoom` the map then shows just that region (and its neighbours cut at the frame),
    which keeps small prefectures readable on a phone. `href(code)` may link a prefecture. `names`
    are the prefectures' names in the viewer's language; `labels` prints each number on its
    prefecture. With no number at all the map is all hatched and a box over the Sea of Japan says
    `empty_text` (or `no_data_text`).
    """
    shapes = load_shapes()
    font = max(13.0, round(width / 32))  # as the bar charts: about 11 px when shown on a phone
    data = {_code(k): finite(v) for k, v in values.items()}
    data = {k: v for k, v in data.items() if k in shapes}
    focus = {_code(c) for c in highlight} & set(shapes)
    shown = focus or set(shapes)  # the prefectures whose numbers count (colours, legend, labels)
    present = [v for k, v in data.items() if v is not None and k in shown]
    classes = None
    if present:
        classes = scales.diverging_classes(present) if diverging else scales.sequential_classes(present)

    def name(code: str) -> str:
        return str(names.get(code, code))

    def value_text(code: str) -> str:
        v = data.get(code)
        return no_data_text if v is None else format_value(v)

    order = [c for c in PREFECTURE_CODES if c in shapes]
    if desc is None:
        desc = (f"{legend_title}: " + "; ".join(f"{name(c)} {value_text(c)}" for c in order if c in shown)
                if present else (empty_text or no_data_text))
    svg = Svg("map", width, title=title, desc=desc)
    pad = font * 0.75
    y = title_block(svg, title, x=pad, y=pad * 0.5, size=font * 1.15, max_width=width - 2 * pad,
                    visible=show_title)
    zoomed = zoom and bool(focus)
    frame = (focus - {OKINAWA} or focus) if zoomed else set(order) - {OKINAWA}
    inset = OKINAWA not in frame and (not zoomed or OKINAWA in focus)
    proj = _projection(frozenset(frame), left=pad, top=y + pad * 0.5, width=width - 2 * pad,
                       margin=0.08 if zoomed else 0.0, max_height=width * 1.2 if zoomed else None,
                       inset=(pad, font * 1.5, font * 0.5) if inset else None)
    hatch = svg.hatch("nodata")

    if proj.inset is not None:  # Okinawa's box, named above it (the island alone is hard to recognise)
        ix, iy, iw, ih = proj.inset
        label_size = font * 0.8
        svg.add(shape("rect", x=ix, y=iy, width=max(iw, text_width(name(OKINAWA), label_size)), height=ih,
                      fill="none", stroke=MUTED_COLOR, stroke_width=1, rx=3))
        svg.text(ix, iy - label_size * 0.4, name(OKINAWA), size=label_size, fill=MUTED_COLOR)

    # Greyed-out prefectures first, so the highlighted region's outline is drawn over them.
    order.sort(key=lambda c: c in focus)
    drawn = [c for c in order if c != OKINAWA or proj.inset is not None or OKINAWA in frame or not zoomed]
    area = Fragment()
    for code in drawn:
        v = data.get(code)
        dimmed = bool(focus) and code not in focus
        if dimmed:
            fill, cls = DIMMED, "pref dimmed"
        elif v is None or classes is None:
            fill, cls = hatch, "pref pref-none"
        else:
            fill, cls = classes.color(v), f"pref c{classes.index(v)}"
        label = f"{name(code)}: {value_text(code)}"
        look = attr(d=proj.path(code), fill=fill, stroke=BORDER, stroke_width="0.6",
                    stroke_linejoin="round", class_=cls, data_code=code)
        path = f"<path{look}><title>{esc(label)}</title></path>"
        url = safe_href(href(code)) if href else None
        area.add(f'<a href="{esc(url)}" aria-label="{esc(label)}">{path}</a>' if url else path)
    if focus:
        outline = "".join(f'<path d="{proj.path(c)}"/>' for c in drawn if c in focus)
        area.add(f'<g fill="none" stroke="{OUTLINE}" stroke-width="1.4" stroke-linejoin="round"'
                 f' aria-hidden="true" class="highlight-outline">{outline}</g>')
    if labels:
        marks = Fragment()
        halo = {"stroke": "#ffffff", "stroke_width": 2.5, "stroke_linejoin": "round", "paint_order": "stroke"}
        for code in drawn:
            v = data.get(code)
            if code not in shown or (v is None and not zoomed):
                continue
            lx, ly, room = shapes[code]["label"]
            x, y_ = proj.point(code, lx, ly)
            k = proj.scale * (INSET_ZOOM if code == OKINAWA and proj.inset is not None else 1)
            size = min(max(room * k * 1.1, font * 0.55), font)
            # Zoomed in, a prefecture has room for its name above its number.
            name_size = font * 0.75
            named = zoomed and text_width(name(code), name_size) <= 2.6 * room * k
            if named:
                marks.text(x, y_ - name_size * 0.25 if v is not None else y_ + name_size * 0.35, name(code),
                           size=name_size, anchor="middle", fill=TEXT_COLOR, class_="pref-name", **halo)
            if v is not None:
                marks.text(x, y_ + (size * 1.05 if named else size * 0.35), format_value(v), size=size,
                           anchor="middle", fill=TEXT_COLOR, weight="bold" if named else None, **halo)
        area.add(f'<g class="value-labels" aria-hidden="true">{marks.markup()}</g>')
    if zoomed:  # neighbours are cut at the frame
        clip = f"{svg.id}-frame"
        svg.defs.append(f'<clipPath id="{clip}">'
                        + shape("rect", x=pad, y=proj.top, width=proj.width, height=proj.height) + "</clipPath>")
        svg.add(f'<g clip-path="url(#{clip})">{area.markup()}</g>')
    else:
        svg.add(area.markup())

    bottom = proj.top + proj.height
    legend, legend_w, legend_h = _legend(classes, font=font, legend_title=legend_title,
                                         format_value=format_value, format_range=format_range,
                                         no_data=hatch if len(present) < len(shown) else None,
                                         no_data_text=no_data_text, low_text=low_text, high_text=high_text,
                                         max_width=min(width * 0.34, width - 2 * pad))
    # Bottom right is the Pacific: the legend goes there unless it would cover land, else below the map.
    lx, ly = width - pad - legend_w, bottom - legend_h
    boxes = [proj.bounds(c) for c in drawn if c in shown and not (c == OKINAWA and proj.inset)]
    if any(bx1 > lx and by1 > ly and bx0 < lx + legend_w and by0 < ly + legend_h for bx0, by0, bx1, by1 in boxes):
        lx, ly = pad, bottom + pad
        bottom = ly + legend_h
    svg.add(f'<g class="legend" transform="translate({num(lx)} {num(ly)})">{legend.markup()}</g>')
    if not present:  # say it in words, in the empty sea at the top left (below Okinawa's box)
        size = font * 1.0
        box_w = width * 0.46
        lines = wrap_text(empty_text or no_data_text, box_w - 2 * size, size, 3)
        box_h = len(lines) * size * 1.35 + size
        top = (proj.inset[1] + proj.inset[3] if proj.inset else proj.top) + font
        notice = Fragment(shape("rect", x=pad, y=top, width=box_w, height=box_h, rx=4, fill="#ffffff",
                                stroke=MUTED_COLOR, stroke_width=1))
        for k, line in enumerate(lines):
            notice.text(pad + size, top + size * 0.5 + (k + 1) * size * 1.35 - size * 0.3, line, size=size)
        svg.add(f'<g class="chart-empty">{notice.markup()}</g>')
    return svg.render(bottom + pad)


def _legend(classes: scales.Classes | None, *, font: float, legend_title: str,
            format_value: Callable[[float], str], format_range: Callable[[str, str], str],
            no_data: str | None, no_data_text: str, low_text: str | None, high_text: str | None,
            max_width: float) -> tuple[Fragment, float, float]:
    """Return the legend (drawn at 0, 0), its width and height: title, classes high to low, no data."""
    out = Fragment()
    size = font * 0.95
    line_h = size * 1.5
    box = size * 1.1
    y = 0.0
    title_lines = wrap_text(legend_title, max_width, size, 2)
    for line in title_lines:
        y += size * 1.25
        out.text(0, y - size * 0.2, line, size=size, weight="bold")
    y += size * 0.3
    rows: list[tuple[str | None, str]] = []  # (swatch fill or None for a caption, text)
    if classes is not None:
        entries = list(zip(classes.colors, classes.labels(format_value, format_range)))[::-1]
        if high_text:
            rows.append((None, high_text))
        rows += entries
        if low_text:
            rows.append((None, low_text))
    if no_data:
        rows.append((no_data, no_data_text))
    used = max([text_width(line, size) for line in title_lines], default=0.0)
    for fill, text in rows:
        if fill is None:
            text = fit_text(text, max_width, size)
            out.text(0, y + line_h * 0.7, text, size=size, fill=MUTED_COLOR, class_="legend-caption")
            used = max(used, text_width(text, size))
        else:
            text = fit_text(text, max_width - box - size * 0.5, size)
            out.add(shape("rect", x=0.0, y=y + (line_h - box) / 2, width=box, height=box, fill=fill,
                          stroke="#555555", stroke_width=0.6))
            out.text(box + size * 0.5, y + line_h * 0.7, text, size=size, class_="legend-label")
            used = max(used, box + size * 0.5 + text_width(text, size))
        y += line_h
    return out, used, y

"""Horizontal bar charts, stacked bar charts and heat maps, drawn as SVG text.

Plain numbers and strings in, an SVG document out: no database, no request. Labels are the caller's
translated strings (they may be long Japanese names: they wrap onto two lines and end in an ellipsis,
the full text in a `<title>`); numbers are printed with the caller's `format_value`, so a chart reads
without its colours. Empty input draws a "no data" chart; it never raises.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from hub.charts import scales
from hub.charts.svg import (MUTED_COLOR, FormatValue, Fragment, Svg, default_format, empty_chart, esc, finite,
                            fit_text, num, safe_href, shape, text_width, title_block, wrap_text)

__all__ = ["bar_chart_svg", "heatmap_svg", "stacked_bar_chart_svg"]

GRID_COLOR = "#767676"  # 4.5:1 on white
LINK_COLOR = "#0b5394"  # 7.6:1 on white: a label that leads to the list behind its number
MISSING_TEXT = "–"


def _font_size(width: float) -> float:
    """Pick the base text size: large enough to read when a 640-unit chart shrinks to a phone."""
    return max(13.0, round(width / 32))


def _default_range(low: str, high: str) -> str:
    return f"{low} – {high}"


def _wrapped(svg: Fragment, x: float, top: float, lines: list[str], *, size: float, height: float,
             anchor: str = "start", linked: bool = False) -> None:
    """Draw `lines` centred vertically in a band of `height` starting at `top`; a link's are blue, underlined."""
    line_h = size * 1.2
    first = top + (height - line_h * len(lines)) / 2 + size * 0.95
    extra = {"fill": LINK_COLOR, "text_decoration": "underline"} if linked else {}
    for k, line in enumerate(lines):
        svg.text(x, first + k * line_h, line, size=size, anchor=anchor, **extra)


def _link(markup: str, href: str | None, label: str) -> str:
    """Wrap `markup` in a link when there is a safe href."""
    if (url := safe_href(href)) is None:
        return markup
    return f'<a href="{esc(url)}" aria-label="{esc(label)}">{markup}</a>'


def _label_column(labels: Sequence[str], *, width: float, font: float, share: float = 0.42,
                  max_lines: int = 2) -> tuple[float, list[list[str]]]:
    """Wrap the row labels into a column of at most `share` of the width; return its width and the lines."""
    room = width * share
    wrapped = [wrap_text(label, room, font, max_lines) for label in labels]
    used = max((text_width(line, font) for lines in wrapped for line in lines), default=0.0)
    return min(room, used), wrapped


def bar_chart_svg(items: Sequence[tuple[str, float]], *, title: str, value_label: str,
                  format_value: FormatValue = default_format,
                  href: Callable[[int], str | None] | None = None, width: int = 640,
                  empty_text: str = "No data", desc: str | None = None,
                  show_title: bool = True) -> str:
    """Draw one horizontal bar per (label, value); negative values go left of the zero line in vermillion.

    `href(i)` may link item i (e.g. to the list of needs behind a number). `desc` overrides the
    accessible description, which otherwise lists every label with its number. Every chart takes
    `empty_text` (the translated "no data" message) and `show_title` (False when the page already
    shows the title as a heading: it then stays the accessible name only).
    """
    font = _font_size(width)
    items = [(str(label), finite(value)) for label, value in items]
    if not items:
        return empty_chart("bar", title=title, empty_text=empty_text, width=width, font_size=font,
                           show_title=show_title)
    texts = [MISSING_TEXT if v is None else format_value(v) for _, v in items]
    summary = desc if desc is not None else f"{value_label}: " + "; ".join(
        f"{label} {text}" for (label, _), text in zip(items, texts))
    svg = Svg("bar", width, title=title, desc=summary)
    pad = font * 0.75
    y = title_block(svg, title, x=pad, y=pad * 0.5, size=font * 1.15, max_width=width - 2 * pad,
                    visible=show_title)

    label_w, wrapped = _label_column([label for label, _ in items], width=width - 2 * pad, font=font)
    lines_per_row = max(len(lines) for lines in wrapped)
    row_h = lines_per_row * font * 1.2 + font * 0.8
    bar_h = min(row_h - font * 0.5, font * 1.4)
    gap = font * 0.5
    values = [v for _, v in items if v is not None]
    pos_reach = max([v for v in values if v > 0], default=0.0)
    neg_reach = -min([v for v in values if v < 0], default=0.0)
    pos_text = max([text_width(t, font) for (_, v), t in zip(items, texts) if v is None or v >= 0], default=0.0)
    neg_text = max([text_width(t, font) for (_, v), t in zip(items, texts) if v is not None and v < 0], default=0.0)
    bx0 = pad + label_w + gap * 2
    bx1 = width - pad
    left_room = neg_text + gap if neg_reach else 0.0
    right_room = pos_text + gap
    span = (pos_reach + neg_reach) or 1.0
    unit = max(bx1 - bx0 - left_room - right_room, font) / span
    zero_x = bx0 + left_room + neg_reach * unit

    svg.text(bx1, y + font * 0.9, fit_text(value_label, bx1 - bx0, font * 0.85), size=font * 0.85,
             anchor="end", fill=MUTED_COLOR)
    y += font * 1.4
    top = y
    for i, ((label, value), lines, text) in enumerate(zip(items, wrapped, texts)):
        row = Fragment(f"<title>{esc(label)}: {esc(text)}</title>")
        url = safe_href(href(i)) if href else None
        _wrapped(row, pad, y, lines, size=font, height=row_h, linked=url is not None)
        bar_y = y + (row_h - bar_h) / 2
        text_y = bar_y + bar_h / 2 + font * 0.35
        if value is None:
            row.text(zero_x + gap, text_y, text, size=font, fill=MUTED_COLOR)
        else:
            length = abs(value) * unit
            x = zero_x - length if value < 0 else zero_x
            color = scales.NEGATIVE if value < 0 else scales.POSITIVE
            row.add(shape("rect", x=x, y=bar_y, width=max(length, 0.0), height=bar_h, fill=color))
            if value < 0:
                row.text(x - gap * 0.6, text_y, text, size=font, anchor="end")
            else:
                row.text(zero_x + length + gap * 0.6, text_y, text, size=font)
        group = f'<g class="bar-row" data-index="{i}">{row.markup()}</g>'
        svg.add(_link(group, url, f"{label}: {text}"))
        y += row_h
    svg.add(shape("line", x1=zero_x, y1=top - 2, x2=zero_x, y2=y + 2, stroke=GRID_COLOR, stroke_width=1.5))
    return svg.render(y + pad)


def _legend(svg: Svg, entries: Sequence[tuple[str, str]], *, x0: float, y: float, max_x: float,
            font: float) -> float:
    """Draw swatches with their names, flowing onto new lines; return the y below the legend."""
    size = font * 0.9
    box = size * 0.9
    x = x0
    line_h = size * 1.6
    y += line_h * 0.2
    for color, name in entries:
        name = fit_text(name, max_x - x0 - box - size * 0.4, size)
        item_w = box + size * 0.4 + text_width(name, size) + size * 1.2
        if x > x0 and x + item_w - size * 1.2 > max_x:
            x, y = x0, y + line_h
        svg.add(shape("rect", x=x, y=y + (line_h - box) / 2, width=box, height=box, fill=color,
                      stroke="#555555", stroke_width=0.5))
        svg.text(x + box + size * 0.4, y + line_h / 2 + size * 0.35, name, size=size)
        x += item_w
    return y + line_h


def stacked_bar_chart_svg(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *,
                          title: str, value_label: str, format_value: FormatValue = default_format,
                          width: int = 640, empty_text: str = "No data", desc: str | None = None,
                          show_title: bool = True) -> str:
    """Draw one horizontal bar per category made of one segment per series, with a legend and totals.

    `series` is [(name, values)], values in category order; missing or negative values count as 0
    (a stacked bar only adds up). Segments wide enough carry their number; each has a `<title>`.
    """
    font = _font_size(width)
    categories = [str(c) for c in categories]
    series = [(str(name), [finite(v) for v in values]) for name, values in series]
    if not categories or not series:
        return empty_chart("stacked", title=title, empty_text=empty_text, width=width, font_size=font,
                           show_title=show_title)

    def value(s: int, c: int) -> float:
        values = series[s][1]
        v = values[c] if c < len(values) else None
        return max(v, 0.0) if v is not None else 0.0

    totals = [sum(value(s, c) for s in range(len(series))) for c in range(len(categories))]
    colors = [scales.CATEGORICAL[s % len(scales.CATEGORICAL)] for s in range(len(series))]
    summary = desc if desc is not None else f"{value_label}: " + "; ".join(
        f"{cat} " + ", ".join(f"{name} {format_value(value(s, c))}" for s, (name, _) in enumerate(series))
        for c, cat in enumerate(categories))
    svg = Svg("stacked", width, title=title, desc=summary)
    pad = font * 0.75
    y = title_block(svg, title, x=pad, y=pad * 0.5, size=font * 1.15, max_width=width - 2 * pad,
                    visible=show_title)
    y = _legend(svg, [(colors[s], name) for s, (name, _) in enumerate(series)], x0=pad, y=y,
                max_x=width - pad, font=font)

    label_w, wrapped = _label_column(categories, width=width - 2 * pad, font=font, share=0.36)
    lines_per_row = max(len(lines) for lines in wrapped)
    row_h = lines_per_row * font * 1.2 + font * 0.8
    bar_h = min(row_h - font * 0.5, font * 1.4)
    gap = font * 0.5
    total_texts = [format_value(t) for t in totals]
    bx0 = pad + label_w + gap * 2
    bx1 = width - pad - max(text_width(t, font) for t in total_texts) - gap
    unit = max(bx1 - bx0, font) / (max(totals) or 1.0)
    small = font * 0.85

    svg.text(width - pad, y + font * 0.9, fit_text(value_label, width - pad - bx0, small), size=small,
             anchor="end", fill=MUTED_COLOR)
    y += font * 1.4
    top = y
    for c, (category, lines) in enumerate(zip(categories, wrapped)):
        row = Fragment(f"<title>{esc(category)}: {esc(total_texts[c])}</title>")
        _wrapped(row, pad, y, lines, size=font, height=row_h)
        bar_y = y + (row_h - bar_h) / 2
        x = bx0
        for s, (name, _) in enumerate(series):
            v = value(s, c)
            if v <= 0:
                continue
            w = v * unit
            text = format_value(v)
            row.parts.append(
                f'<g class="segment" data-series="{s}"><title>{esc(category)} – {esc(name)}: {esc(text)}</title>'
                + shape("rect", x=x, y=bar_y, width=w, height=bar_h, fill=colors[s], stroke="#ffffff", stroke_width=1))
            if text_width(text, small) + gap <= w:
                row.text(x + w / 2, bar_y + bar_h / 2 + small * 0.35, text, size=small, anchor="middle",
                         fill=scales.text_color_on(colors[s]))
            row.parts.append("</g>")
            x += w
        row.text(x + gap * 0.6, bar_y + bar_h / 2 + font * 0.35, total_texts[c], size=font, weight="bold")
        svg.add(f'<g class="bar-row" data-index="{c}">{row.markup()}</g>')
        y += row_h
    svg.add(shape("line", x1=bx0, y1=top - 2, x2=bx0, y2=y + 2, stroke=GRID_COLOR, stroke_width=1.5))
    return svg.render(y + pad)


def heatmap_svg(rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]], *,
                title: str, format_value: FormatValue = default_format,
                href: Callable[[int, int], str | None] | None = None, width: int = 640,
                empty_text: str = "No data", desc: str | None = None, legend_title: str | None = None,
                format_range: Callable[[str, str], str] = _default_range, no_data_text: str = "No data",
                show_title: bool = True) -> str:
    """Draw a grid of numbered cells coloured by value (YlGnBu classes); None is an empty, hatched cell.

    `values[i][j]` belongs to rows[i] × columns[j]; `href(i, j)` may link a cell. Column headers lie
    horizontally when they fit, else slanted. A legend of the classes follows the grid.
    """
    font = _font_size(width)
    rows = [str(r) for r in rows]
    columns = [str(c) for c in columns]
    grid = [[finite(values[i][j]) if i < len(values) and j < len(values[i]) else None
             for j in range(len(columns))] for i in range(len(rows))]
    present = [v for row in grid for v in row if v is not None]
    if not rows or not columns or not present:
        return empty_chart("heatmap", title=title, empty_text=empty_text, width=width, font_size=font,
                           show_title=show_title)
    classes = scales.sequential_classes(present)
    texts = [[MISSING_TEXT if v is None else format_value(v) for v in row] for row in grid]
    summary = desc if desc is not None else "; ".join(
        f"{rows[i]} – {columns[j]}: {texts[i][j]}" for i in range(len(rows)) for j in range(len(columns)))
    svg = Svg("heatmap", width, title=title, desc=summary)
    pad = font * 0.75
    y = title_block(svg, title, x=pad, y=pad * 0.5, size=font * 1.15, max_width=width - 2 * pad,
                    visible=show_title)

    label_w, wrapped = _label_column(rows, width=width - 2 * pad, font=font, share=0.3)
    gx0 = pad + label_w + font * 0.6
    cell_w = (width - pad - gx0) / len(columns)
    lines_per_row = max(len(lines) for lines in wrapped)
    cell_h = max(lines_per_row * font * 1.2 + font * 0.6, font * 2.0)
    widest = max(text_width(t, 1.0) for row in texts for t in row)
    cell_font = min(font, (cell_w - 6) / max(widest, 0.1))

    head = font * 0.85
    header_lines = [wrap_text(c, cell_w - 4, head, 3) for c in columns]
    fits = all(text_width(line, head) <= cell_w - 4 for lines in header_lines for line in lines) and all(
        not lines[-1].endswith("…") for lines in header_lines)
    if fits:
        header_h = max(len(lines) for lines in header_lines) * head * 1.2 + head * 0.4
        for j, lines in enumerate(header_lines):
            cx = gx0 + (j + 0.5) * cell_w
            for k, line in enumerate(lines):
                svg.text(cx, y + (k + 1) * head * 1.2 - head * 0.2, line, size=head, anchor="middle")
        y += header_h
    else:  # headers slanted at 60 degrees, rising to the right: narrow the grid so the last one fits
        labels = [fit_text(c, width * 0.28, head) for c in columns]
        reach = [text_width(label, head) * 0.5 + head * 0.6 for label in labels]
        cell_w = min([cell_w] + [(width - pad - gx0 - r) / (j + 0.5) for j, r in enumerate(reach)])
        cell_w = max(cell_w, font * 1.2)
        cell_font = min(font, (cell_w - 6) / max(widest, 0.1))
        header_h = max(text_width(label, head) for label in labels) * 0.87 + head
        base = y + header_h
        for j, (column, label) in enumerate(zip(columns, labels)):
            cx = gx0 + (j + 0.5) * cell_w - head * 0.1
            ty = base - head * 0.3
            slanted = Fragment(f"<title>{esc(column)}</title>")
            slanted.text(cx, ty, label, size=head, transform=f"rotate(-60 {num(cx)} {num(ty)})")
            svg.add(f"<g>{slanted.markup()}</g>")
        y = base
    no_data = svg.hatch("none")
    for i, (row_label, lines) in enumerate(zip(rows, wrapped)):
        row = Fragment(f"<title>{esc(row_label)}</title>")
        _wrapped(row, pad, y, lines, size=font, height=cell_h)
        svg.add(f'<g class="heatmap-row-label">{row.markup()}</g>')
        for j, v in enumerate(grid[i]):
            x = gx0 + j * cell_w
            fill = no_data if v is None else classes.color(v)
            text = texts[i][j]
            name = f"{row_label} – {columns[j]}: {no_data_text if v is None else text}"
            cell = Fragment(f"<title>{esc(name)}</title>", shape("rect", x=x, y=y, width=cell_w, height=cell_h,
                                                                   fill=fill, stroke="#ffffff", stroke_width=1.5))
            url = safe_href(href(i, j)) if href and v is not None else None
            if v is not None:  # a linked number is underlined, as links are
                cell.text(x + cell_w / 2, y + cell_h / 2 + cell_font * 0.35, text, size=cell_font, anchor="middle",
                          fill=scales.text_color_on(fill), text_decoration="underline" if url else None)
            cls = "cell-none" if v is None else f"cell c{classes.index(v)}"
            markup = f'<g class="{cls}" data-row="{i}" data-column="{j}">{cell.markup()}</g>'
            svg.add(_link(markup, url, name))
        y += cell_h

    y += font * 0.8
    labels = classes.labels(format_value, format_range)
    entries = list(zip(classes.colors, labels))
    if any(v is None for row in grid for v in row):
        entries.append((no_data, no_data_text))
    if legend_title:
        svg.text(pad, y + font * 0.9, fit_text(legend_title, width - 2 * pad, font * 0.9), size=font * 0.9,
                 fill=MUTED_COLOR)
        y += font * 1.2
    y = _legend(svg, entries, x0=pad, y=y, max_x=width - pad, font=font)
    return svg.render(y + pad)

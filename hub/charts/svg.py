"""The pieces every chart shares: escaping, text measuring and wrapping, the root element, "no data".

Charts are inlined in pages whose Content-Security-Policy forbids inline styles, so everything is
drawn with presentation attributes (`fill`, `font-size`, ...), never `style=` or `<style>`. Nothing
here fetches or references anything outside the SVG: hrefs are the caller's links, patterns are
`url(#id)` inside the same document.
"""
from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable

FormatValue = Callable[[float], str]  # the caller's number formatter: 1234.0 -> "1,234 時間"

__all__ = [
    "FONT_STACK", "FormatValue", "Fragment", "Svg", "attr", "default_format", "empty_chart", "esc", "finite", "fit_text", "num",
    "safe_href", "shape", "text_width", "title_block", "wrap_text",
]

# Noto Sans CJK JP is what the hub's servers and most Linux desktops have; the rest cover macOS,
# Windows and phones. Quotes are single so the stack sits inside a double-quoted attribute.
FONT_STACK = ("'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', "
              "'Yu Gothic', Meiryo, system-ui, sans-serif")
TEXT_COLOR = "#1a1a1a"
MUTED_COLOR = "#555555"  # 7.5:1 on white
ELLIPSIS = "…"
MINUS = "\u2212"

# XML 1.0 forbids most control characters even as character references: drop them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def esc(text: object) -> str:
    """Return `text` safe inside an element or a double-quoted attribute."""
    text = _XML_INVALID.sub("", str(text))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def attr(**attributes: object) -> str:
    """Render keyword arguments as XML attributes (`font_size` -> `font-size`); None is left out."""
    return "".join(f' {key.rstrip("_").replace("_", "-")}="{num(value) if isinstance(value, float) else esc(value)}"'
                   for key, value in attributes.items() if value is not None)


def shape(tag: str, **attributes: object) -> str:
    """Return an empty element such as `<rect x="1" .../>`; floats are rounded to one decimal."""
    return f"<{tag}{attr(**attributes)}/>"


def safe_href(url: str | None) -> str | None:
    """Keep links that stay on the web (relative, http, https); drop javascript:, data: and the like."""
    if not url:
        return None
    url = _XML_INVALID.sub("", str(url)).strip()
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return None
    return url or None


def default_format(value: float) -> str:
    """Format a number the way the charts do when the caller gives no formatter: 1,234 / 12.5 / −3."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace("-", MINUS)


def char_width(char: str) -> float:
    """Return the width of one character in em: CJK and full-width 1, narrow Latin about 0.6."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Cf"):
        return 0.0
    if char in "iljtfI.,:;!|'`":
        return 0.34
    if char == " ":
        return 0.3
    if char in "mwMW@%":
        return 0.9
    if char.isupper() or char.isdigit():
        return 0.64
    return 0.58


def text_width(text: str, font_size: float) -> float:
    """Estimate the drawn width of `text`: an upper bound for Noto Sans CJK, so labels never overlap."""
    return sum(char_width(c) for c in text) * font_size


def fit_text(text: str, max_width: float, font_size: float) -> str:
    """Return `text`, or its longest start that fits `max_width` with an ellipsis."""
    if text_width(text, font_size) <= max_width:
        return text
    budget = max_width - text_width(ELLIPSIS, font_size)
    used, end = 0.0, 0
    for end, char in enumerate(text):
        used += char_width(char) * font_size
        if used > budget:
            break
    return text[:end].rstrip() + ELLIPSIS


def _break_points(text: str) -> Iterable[int]:
    """Yield indexes where a line may break: after spaces, around CJK characters and slashes."""
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if before == " " or before in "/・、。,)）" or after in "(（":
            yield i
        elif unicodedata.east_asian_width(before) in ("W", "F") or unicodedata.east_asian_width(after) in ("W", "F"):
            if after not in "、。，．）」』・ー…" and before not in "（「『":
                yield i


def wrap_text(text: str, max_width: float, font_size: float, max_lines: int = 2) -> list[str]:
    """Break `text` into at most `max_lines` lines of `max_width`; the last one ellipsized if needed."""
    text = " ".join(_XML_INVALID.sub("", str(text)).split())
    lines: list[str] = []
    while text and len(lines) < max_lines - 1 and text_width(text, font_size) > max_width:
        cut = 0
        for point in _break_points(text):
            if text_width(text[:point].rstrip(), font_size) > max_width:
                break
            cut = point
        if cut == 0:  # a single word longer than the line: cut it where it overflows
            cut = max(1, len(fit_text(text, max_width, font_size).rstrip(ELLIPSIS)))
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        lines.append(fit_text(text, max_width, font_size))
    return lines or [""]


def finite(value: object) -> float | None:
    """Return `value` as a finite float, or None for None, NaN, infinities and non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class Fragment:
    """Markup being written: a group of shapes and text, e.g. one bar with its label."""

    def __init__(self, *parts: str) -> None:
        self.parts: list[str] = list(parts)

    def markup(self) -> str:
        return "".join(self.parts)

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def text(self, x: float, y: float, content: str, *, size: float, anchor: str = "start",
             weight: str | None = None, fill: str = TEXT_COLOR, **extra: object) -> None:
        """Add one line of escaped text whose baseline is at `y`."""
        markup = attr(x=float(x), y=float(y), font_size=float(size), text_anchor=anchor, font_weight=weight,
                      fill=fill, **extra)
        self.parts.append(f"<text{markup}>{esc(content)}</text>")


class Svg(Fragment):
    """An SVG document being written: the root with its accessible name, then the drawn parts."""

    def __init__(self, kind: str, width: float, *, title: str, desc: str) -> None:
        super().__init__()
        self.kind = kind
        self.width = width
        self.title = title
        self.desc = desc
        self.defs: list[str] = []
        # Ids must differ between charts inlined on one page and stay the same between runs.
        digest = hashlib.sha1(f"{kind}\0{title}\0{desc}".encode()).hexdigest()[:8]
        self.id = f"chart-{kind}-{digest}"

    def hatch(self, name: str, *, background: str = "#f2f2f2", line: str = "#9a9a9a") -> str:
        """Define a diagonal hatch pattern once and return its `url(#...)` fill."""
        pattern_id = f"{self.id}-{name}"
        if not any(f'id="{pattern_id}"' in d for d in self.defs):
            self.defs.append(
                f'<pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{background}"/>'
                f'<line x1="0" y1="0" x2="0" y2="6" stroke="{line}" stroke-width="2"/></pattern>')
        return f"url(#{pattern_id})"

    def render(self, height: float) -> str:
        """Return the whole document: scales to its container (`width="100%"`) through the viewBox."""
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {num(self.width)} {num(height)}" width="100%"'
                f' preserveAspectRatio="xMidYMin meet" role="img"'
                f' aria-labelledby="{self.id}-title {self.id}-desc" class="chart chart-{self.kind}"'
                f' font-family="{FONT_STACK}" font-size="14" fill="{TEXT_COLOR}">'
                f'<title id="{self.id}-title">{esc(self.title)}</title>'
                f'<desc id="{self.id}-desc">{esc(self.desc)}</desc>')
        defs = f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""
        return head + defs + "".join(self.parts) + "</svg>"


def num(value: float) -> str:
    """Format a coordinate compactly: at most one decimal, no trailing zero."""
    text = f"{value:.1f}"
    return "0" if text == "-0.0" else (text[:-2] if text.endswith(".0") else text)


def title_block(svg: Svg, title: str, *, x: float, y: float, size: float, max_width: float,
                max_lines: int = 2, visible: bool = True) -> float:
    """Draw the chart's visible title, wrapped; return the y below it.

    With `visible=False` (the page shows the title as a heading) it stays only the accessible name.
    """
    if not visible:
        return y
    for line in wrap_text(title, max_width, size, max_lines):
        y += size * 1.25
        svg.text(x, y - size * 0.25, line, size=size, weight="bold")
    return y + size * 0.4


def empty_chart(kind: str, *, title: str, empty_text: str, width: float, font_size: float,
                show_title: bool = True) -> str:
    """Return a small chart that says there is nothing to draw, instead of an empty frame."""
    svg = Svg(kind, width, title=title, desc=empty_text)
    pad = font_size
    y = title_block(svg, title, x=pad, y=pad * 0.5, size=font_size * 1.15, max_width=width - 2 * pad,
                    visible=show_title)
    box_h = font_size * 5
    svg.add(shape("rect", x=float(pad), y=float(y), width=float(width - 2 * pad), height=float(box_h), rx=6,
                  fill=svg.hatch("empty", background="#f7f7f7", line="#e0e0e0"), stroke="#c8c8c8"))
    svg.text(width / 2, y + box_h / 2 + font_size * 0.35, fit_text(empty_text, width - 4 * pad, font_size),
             size=font_size, anchor="middle", fill=MUTED_COLOR, class_="chart-empty")
    return svg.render(y + box_h + pad)


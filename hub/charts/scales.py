"""Colour-blind-safe palettes and the class breaks that turn numbers into colours.

Palettes: Okabe & Ito (2008) for categories; ColorBrewer's YlGnBu (sequential) and RdBu
(diverging), both marked colour-blind safe by ColorBrewer. Every chart also prints its numbers, so
colour is never the only carrier.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["CATEGORICAL", "NEGATIVE", "POSITIVE", "Classes", "diverging_classes", "nice_step",
           "sequential_classes", "text_color_on"]

# Okabe-Ito, without yellow (too light for thin bars on white) and black (reserved for text).
CATEGORICAL = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
POSITIVE = "#0072B2"  # Okabe-Ito blue
NEGATIVE = "#D55E00"  # Okabe-Ito vermillion: a gap, a shortage
SEQUENTIAL = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")  # YlGnBu 7
# RdBu 7, reds for below zero (shortage), blues above (surplus), the middle for exactly zero.
DIVERGING_NEGATIVE = ("#b2182b", "#ef8a62", "#fddbc7")  # most negative first
DIVERGING_ZERO = "#f7f7f7"
DIVERGING_POSITIVE = ("#d1e5f0", "#67a9cf", "#2166ac")  # least positive first


def nice_step(raw: float, *, integral: bool = False) -> float:
    """Round a step up to 1, 2 or 5 times a power of ten (at least 1 when the data are whole numbers)."""
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * power
        if step >= raw * (1 - 1e-9):
            break
    return max(step, 1.0) if integral else step


def text_color_on(fill: str) -> str:
    """Return black or white, whichever reads better on `fill` (#rrggbb)."""
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lum = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


@dataclass(frozen=True)
class Classes:
    """Colour classes: class i covers [edges[i], edges[i + 1]); `zero` marks the class of exactly 0."""

    edges: tuple[float, ...]
    colors: tuple[str, ...]
    zero: int | None = None
    integral: bool = False  # whole numbers: label 0-9, 10-19 rather than 0-10, 10-20

    def bounds(self, i: int) -> tuple[float, float]:
        """Return the lowest and highest value class i holds (for whole numbers, the ends it includes)."""
        low, high = self.edges[i], self.edges[i + 1]
        if not self.integral:
            return low, high
        if self.zero is None:
            return low, high if i == len(self.colors) - 1 else max(low, high - 1)
        if i < self.zero:
            return low, high - 1
        if i > self.zero:
            return low + 1, high
        return 0.0, 0.0

    def labels(self, format_value: Callable[[float], str],
               format_range: Callable[[str, str], str]) -> list[str]:
        """Return one legend label per class: "0", "1 – 10", formatted by the caller."""
        labels = []
        for i in range(len(self.colors)):
            low, high = self.bounds(i)
            labels.append(format_value(low) if low == high else format_range(format_value(low), format_value(high)))
        return labels

    def index(self, value: float) -> int:
        """Return the class of `value` (values beyond the ends go to the end classes)."""
        if self.zero is not None:
            if value == 0:
                return self.zero
            if value > 0:  # positive classes are (low, high]: 10 is in "0-10", not "10-20"
                for i in range(self.zero + 1, len(self.colors)):
                    if value <= self.edges[i + 1]:
                        return i
                return len(self.colors) - 1
            for i in range(self.zero - 1, -1, -1):  # negative classes are [low, high)
                if value >= self.edges[i]:
                    return i
            return 0
        for i in range(len(self.colors) - 1, -1, -1):
            if value >= self.edges[i]:
                return i
        return 0

    def color(self, value: float) -> str:
        return self.colors[self.index(value)]


def _integral(values: Sequence[float]) -> bool:
    return all(float(v).is_integer() for v in values)


def sequential_classes(values: Sequence[float], *, count: int = 7) -> Classes:
    """Split the range of `values` (from 0 when none is negative) into at most `count` equal nice classes."""
    low = min(min(values), 0.0)
    high = max(values)
    integral = _integral(values)
    if high <= low:
        high = low + 1
    step = nice_step((high - low) / count, integral=integral)
    start = math.floor(low / step) * step
    n = max(1, math.ceil((high - start) / step - 1e-9))  # the last class includes its upper edge
    edges = tuple(start + i * step for i in range(n + 1))
    return Classes(edges, _spread(SEQUENTIAL, n), integral=integral)


def diverging_classes(values: Sequence[float], *, per_side: int = 3) -> Classes:
    """Classes centred on 0: up to `per_side` equal nice classes each side and one for exactly 0."""
    reach = max((abs(v) for v in values), default=0.0) or 1.0
    step = nice_step(reach / per_side, integral=_integral(values))
    k = max(1, min(per_side, math.ceil(reach / step - 1e-9)))
    negative = tuple(-step * (k - i) for i in range(k))  # -3s, -2s, -s
    positive = tuple(step * (i + 1) for i in range(k))  # s, 2s, 3s
    edges = negative + (0.0, 0.0) + positive
    colors = DIVERGING_NEGATIVE[per_side - k:] + (DIVERGING_ZERO,) + DIVERGING_POSITIVE[:k]
    return Classes(edges, colors, zero=k, integral=_integral(values))


def _spread(palette: Sequence[str], n: int) -> tuple[str, ...]:
    """Pick `n` colours spread evenly over a light-to-dark palette."""
    if n >= len(palette):
        return tuple(palette)
    if n == 1:
        return (palette[len(palette) // 2],)
    return tuple(palette[round(i * (len(palette) - 1) / (n - 1))] for i in range(n))

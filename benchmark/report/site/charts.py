"""Charts drawn into the pages as inline SVG: a line chart (probe curves) and a grouped bar chart (recall per
caption-length bucket).

Colours come from CSS classes (`s0`, `s1`, ... and the axis classes), which site.css sets for the light and the
dark theme, so a chart follows the page's theme. Each chart is an image with a title and a description for screen
readers, its points and bars are focusable with their values as names (keyboard users read them with Tab), and
the numbers are in a data table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..tables import fmt
from .layout import esc

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 46


@dataclass(frozen=True)
class Series:
    name: str
    xs: Sequence[float]
    ys: Sequence[float]
    css: str  # the colour class: s0, s1, ...
    dashed: bool = False


@dataclass(frozen=True)
class Line:
    """A reference line across the chart: horizontal at `y` or vertical at `x`."""

    label: str
    css: str
    x: float | None = None
    y: float | None = None


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick values from `low` to at least `high`, at most `most` of them."""
    span = max(high - low, 1e-9)
    for step in (m * 10.0 ** e for e in range(math.floor(math.log10(span / most)) - 1, 12) for m in (1, 2, 5)):
        first = math.floor(low / step) * step
        count = math.ceil((high - first) / step - 1e-9)
        if count + 1 <= most:
            return [first + i * step for i in range(count + 1)]
    return [low, high]  # pragma: no cover -- some step always fits


def _tick_text(value: float) -> str:
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:g}"


class _Frame:
    """Data coordinates to SVG coordinates, and the axes."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float], y_max: float) -> None:
        self.xticks = nice_ticks(min(xs), max(xs))
        self.yticks = nice_ticks(0.0, min(max([*ys, 1.0]), y_max))
        self.x0, self.x1 = self.xticks[0], self.xticks[-1]
        self.y1 = self.yticks[-1]

    def x(self, value: float) -> float:
        return round(LEFT + (value - self.x0) / ((self.x1 - self.x0) or 1.0) * (WIDTH - LEFT - RIGHT), 2)

    def y(self, value: float) -> float:
        return round(HEIGHT - BOTTOM - value / (self.y1 or 1.0) * (HEIGHT - TOP - BOTTOM), 2)

    def axes(self, x_label: str, y_label: str, xtick_labels: dict[float, str] | None = None) -> str:
        parts = []
        for t in self.yticks:
            y = self.y(t)
            parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>'
                         f'<text class="tick" x="{LEFT - 6}" y="{y}" text-anchor="end" dy="0.32em">{_tick_text(t)}'
                         "</text>")
        for t in ([] if xtick_labels is not None else self.xticks):
            parts.append(f'<text class="tick" x="{self.x(t)}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                         f"{_tick_text(t)}</text>")
        for t, label in (xtick_labels or {}).items():
            parts.append(f'<text class="tick" x="{t}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{esc(label)}'
                         "</text>")
        parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" '
                     f'y2="{HEIGHT - BOTTOM}"/><line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" '
                     f'y2="{HEIGHT - BOTTOM}"/>')
        parts.append(f'<text class="label" x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle">'
                     f"{esc(x_label)}</text>")
        parts.append(f'<text class="label" transform="translate(14 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" '
                     f'text-anchor="middle">{esc(y_label)}</text>')
        return "".join(parts)


def _svg(chart_id: str, title: str, description: str, inner: str, kind: str) -> str:
    return (f'<svg class="chart {kind}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">'
            f'<title id="{chart_id}-title">{esc(title)}</title><desc id="{chart_id}-desc">{esc(description)}</desc>'
            f"{inner}</svg>")


def _legend(entries: Sequence[tuple[str, str, bool]]) -> str:
    items = "".join(f'<li><span class="swatch {css}{" dashed" if dashed else ""}" aria-hidden="true"></span>'
                    f"{esc(name)}</li>" for name, css, dashed in entries)
    return f'<ul class="chart-legend">{items}</ul>'


def line_chart(chart_id: str, title: str, series: Sequence[Series], x_label: str, y_label: str,
               lines: Sequence[Line] = (), rings: Sequence[tuple[int, float]] = ()) -> str:
    """Series as lines with focusable points; `lines` as reference lines; `rings` circles (series index, x) on a
    series' point, e.g. an effective length."""
    xs = [x for s in series for x in s.xs] + [ln.x for ln in lines if ln.x is not None]
    ys = [y for s in series for y in s.ys] + [ln.y for ln in lines if ln.y is not None]
    frame = _Frame(xs, ys, 100.0)
    inner = [frame.axes(x_label, y_label)]
    for ln in lines:
        if ln.y is not None:
            y = frame.y(ln.y)
            inner.append(f'<line class="ref {ln.css}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}">'
                         f"<title>{esc(ln.label)}</title></line>")
        else:
            x = frame.x(ln.x)
            inner.append(f'<line class="ref {ln.css}" x1="{x}" x2="{x}" y1="{TOP}" y2="{HEIGHT - BOTTOM}">'
                         f"<title>{esc(ln.label)}</title></line>")
    for s in series:
        points = " ".join(f"{frame.x(x)},{frame.y(y)}" for x, y in zip(s.xs, s.ys, strict=True))
        inner.append(f'<polyline class="series {s.css}{" dashed" if s.dashed else ""}" points="{points}"/>')
        inner += [f'<circle class="point {s.css}" cx="{frame.x(x)}" cy="{frame.y(y)}" r="3.5" tabindex="0">'
                  f"<title>{esc(s.name)} at {_tick_text(x)}: {fmt(y)}</title></circle>"
                  for x, y in zip(s.xs, s.ys, strict=True)]
    for index, x in rings:
        s = series[index]
        if x in s.xs:
            y = s.ys[list(s.xs).index(x)]
            inner.append(f'<circle class="ring {s.css}" cx="{frame.x(x)}" cy="{frame.y(y)}" r="8"/>')
    description = "; ".join(f"{s.name}: " + ", ".join(f"{_tick_text(x)} → {fmt(y)}" for x, y in zip(s.xs, s.ys,
                                                                                                  strict=True))
                            for s in series)
    legend = _legend([(s.name, s.css, s.dashed) for s in series] + [(ln.label, ln.css, True) for ln in lines])
    return f'<figure class="chart">{_svg(chart_id, title, description, "".join(inner), "line")}' \
           f"<figcaption>{legend}</figcaption></figure>"


def bar_chart(chart_id: str, title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None],
              str]], y_label: str, x_label: str, notes: Sequence[str] = ()) -> str:
    """Grouped bars: one group per category, one bar per series (name, value per category or None, colour class);
    `notes` are shown under each category (e.g. how many captions it holds)."""
    values = [v for _, vs, _ in series for v in vs if v is not None]
    frame = _Frame([0.0, 1.0], values, 100.0)
    band = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    bar = band * 0.7 / max(len(series), 1)
    centres = {LEFT + band * (i + 0.5): f"{c} ({notes[i]})" if notes else c for i, c in enumerate(categories)}
    inner = [frame.axes(x_label, y_label, centres)]
    for i, category in enumerate(categories):
        for j, (name, vs, css) in enumerate(series):
            value = vs[i]
            if value is None or not math.isfinite(value):
                continue
            x = round(LEFT + band * i + band * 0.15 + bar * j, 2)
            y = frame.y(value)
            inner.append(f'<rect class="bar {css}" x="{x}" y="{y}" width="{round(bar - 2, 2)}" '
                         f'height="{round(HEIGHT - BOTTOM - y, 2)}" tabindex="0"><title>{esc(name)}, '
                         f"{esc(category)}: {fmt(value)}</title></rect>")
    description = "; ".join(f"{c}: " + ", ".join(f"{name} {fmt(vs[i])}" for name, vs, _ in series)
                            for i, c in enumerate(categories))
    legend = _legend([(name, css, False) for name, _, css in series])
    return f'<figure class="chart">{_svg(chart_id, title, description, "".join(inner), "bars")}' \
           f"<figcaption>{legend}</figcaption></figure>"

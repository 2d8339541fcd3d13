"""Charts for the printable scrutiny pack, drawn as plain SVG text: no browser, no script, nothing to fetch,
so the report is ready in well under a second and prints as it shows.

Each function returns a ``<figure>`` holding an ``<svg role="img">`` whose label, and the visible caption,
are the chart's text alternative; numbers are written with ``metrics.formatting``. Colours follow the
dashboard (Okabe–Ito): the partnership or force in vermillion, its most similar group in orange, England
and Wales in black, everything else in a pale blue.
"""
from __future__ import annotations

import html
import math
import textwrap
from typing import Sequence

from metrics.formatting import format_number

VERMILLION, ORANGE, BLACK, BLUE, PALE, GREY = "#D55E00", "#E69F00", "#000000", "#0072B2", "#9fb7d3", "#6c757d"
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 30, 36


def _text(value: str) -> str:
    return html.escape(value, quote=True)


def _ticks(top: float, count: int = 4) -> list[float]:
    """Round steps from 0 to at least ``top``."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(math.ceil(top / step)) + 1)]


def _axis(ticks: list[float], y, percent: bool) -> str:
    parts = []
    for tick in ticks:
        parts.append(f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{y(tick):.1f}' y2='{y(tick):.1f}' "
                     f"stroke='#e5e5e5'/>")
        parts.append(f"<text x='{LEFT - 6}' y='{y(tick) + 4:.1f}' text-anchor='end' font-size='11'>"
                     f"{_text(format_number(tick, percent=percent, decimals=0 if percent else 1))}</text>")
    return "".join(parts)


def _vertical_scale(highest: float, plot_bottom: float, percent: bool = False):
    """Round ticks from 0 to a tenth above ``highest`` (no higher than 100% for shares that are all 100%
    or under), and the y of a value on them (``plot_bottom`` for 0, ``TOP`` for the last tick)."""
    top = highest * 1.1
    ticks = _ticks(min(top, 1.0) if percent and 0 < highest <= 1 else top)

    def y(v: float) -> float:
        return plot_bottom - (v / ticks[-1]) * (plot_bottom - TOP)

    return ticks, y


def _frame(body: str, title: str, alt: str, height: int = HEIGHT) -> str:
    svg = (f"<svg role='img' aria-label='{_text(alt)}' viewBox='0 0 {WIDTH} {height}' width='100%' "
           f"xmlns='http://www.w3.org/2000/svg' font-family='Arial, Helvetica, sans-serif'>"
           f"<text x='0' y='16' font-size='13' font-weight='bold'>{_text(title)}</text>{body}</svg>")
    return f"<figure class='chart'>{svg}<figcaption>{_text(alt)}</figcaption></figure>"


def _legend(items: Sequence[tuple[str, str]], y: float) -> str:
    parts, x = [], LEFT
    for name, colour in items:
        parts.append(f"<rect x='{x}' y='{y - 9}' width='10' height='10' fill='{colour}'/>"
                     f"<text x='{x + 14}' y='{y}' font-size='11'>{_text(name)}</text>")
        x += 24 + 6.5 * len(name)
    return "".join(parts)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None], str]], *, percent: bool,
               title: str, alt: str) -> str:
    """Lines over ``labels`` (a missing value leaves a gap)."""
    values = [v for _, points, _ in series for v in points if v is not None]
    if not values or not labels:
        return ""
    plot_bottom = HEIGHT - BOTTOM - 14
    ticks, y = _vertical_scale(max(values), plot_bottom, percent)
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)

    def x(i: int) -> float:
        return LEFT + step * (i + 0.5)

    parts = [_axis(ticks, y, percent)]
    for i, label in enumerate(labels):
        parts.append(f"<text x='{x(i):.1f}' y='{plot_bottom + 14}' text-anchor='middle' font-size='10'>"
                     f"{_text(label)}</text>")
    for name, points, colour in series:
        segment: list[str] = []
        for i, value in enumerate(list(points) + [None]):
            if value is None:
                if len(segment) > 1:
                    parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{' '.join(segment)}'/>")
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(value):.1f}")
            parts.append(f"<circle cx='{x(i):.1f}' cy='{y(value):.1f}' r='3' fill='{colour}'/>")
    parts.append(_legend([(name, colour) for name, _, colour in series], HEIGHT - 4))
    return _frame("".join(parts), title, alt)


def bar_chart(items: Sequence[tuple[str, float, str]], *, percent: bool, title: str, alt: str) -> str:
    """Horizontal bars, one per (label, value, colour)."""
    if not items:
        return ""
    height = TOP + 26 * len(items) + 20
    label_width = 190
    top = max(v for _, v, _ in items) * 1.1 or 1.0

    def x(v: float) -> float:
        return label_width + (v / top) * (WIDTH - label_width - RIGHT - 60)

    parts = []
    for i, (label, value, colour) in enumerate(items):
        y = TOP + 26 * i
        parts.append(f"<text x='{label_width - 6}' y='{y + 15}' text-anchor='end' font-size='11'>{_text(label)}</text>"
                     f"<rect x='{label_width}' y='{y + 4}' width='{max(x(value) - label_width, 1):.1f}' height='16' "
                     f"fill='{colour}'/><text x='{x(value) + 4:.1f}' y='{y + 16}' font-size='11'>"
                     f"{_text(format_number(value, percent=percent))}</text>")
    return _frame("".join(parts), title, alt, height)


def ski_slope(values: Sequence[tuple[float, str]], *, national: float | None, group: float | None, percent: bool,
              title: str, alt: str, force_name: str) -> str:
    """Every force as a column, highest first; ``values``: (value, kind) with kind ``force``, ``group`` or
    ``other``; England and Wales (and the group, pooled) as lines across."""
    if not values:
        return ""
    ordered = sorted(values, key=lambda item: -item[0])
    plot_bottom = HEIGHT - BOTTOM
    ticks, y = _vertical_scale(max([v for v, _ in ordered] + [national or 0, group or 0]), plot_bottom, percent)
    step = (WIDTH - LEFT - RIGHT) / len(ordered)
    colours = {"force": VERMILLION, "group": ORANGE, "other": PALE}
    parts = [_axis(ticks, y, percent)]
    for i, (value, kind) in enumerate(ordered):
        parts.append(f"<rect x='{LEFT + step * i + 1:.1f}' y='{y(value):.1f}' width='{max(step - 2, 1):.1f}' "
                     f"height='{max(plot_bottom - y(value), 0):.1f}' fill='{colours[kind]}'/>")
    for value, colour, dash in ((national, BLACK, ""), (group, ORANGE, " stroke-dasharray='6 3'")):
        if value is not None:
            parts.append(f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{y(value):.1f}' y2='{y(value):.1f}' "
                         f"stroke='{colour}' stroke-width='2'{dash}/>")
    parts.append(_legend([(force_name, VERMILLION), ("Most similar group", ORANGE), ("Other forces", PALE),
                          ("England and Wales (line)", BLACK)], HEIGHT - 6))
    return _frame("".join(parts), title, alt)


def grouped_bars(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None], str]], *,
                 percent: bool, title: str, alt: str) -> str:
    """Vertical bars in groups, one bar per series in each category."""
    values = [v for _, points, _ in series for v in points if v is not None]
    if not values or not categories:
        return ""
    plot_bottom = HEIGHT - BOTTOM - 14
    ticks, y = _vertical_scale(max(values), plot_bottom, percent)
    step = (WIDTH - LEFT - RIGHT) / len(categories)
    width = (step - 12) / max(len(series), 1)
    parts = [_axis(ticks, y, percent)]
    for i, category in enumerate(categories):
        # Each category's name in up to three lines under its bars, so that long names (ethnic groups)
        # neither run into each other nor lose their ends.
        centre = LEFT + step * (i + 0.5)
        lines = "".join(f"<tspan x='{centre:.1f}' dy='{0 if k == 0 else 11}'>{_text(line)}</tspan>"
                        for k, line in enumerate(_wrapped(category, step)))
        parts.append(f"<text x='{centre:.1f}' y='{plot_bottom + 14}' text-anchor='middle' font-size='10'>"
                     f"{lines}</text>")
        for j, (_, points, colour) in enumerate(series):
            value = points[i]
            if value is None:
                continue
            parts.append(f"<rect x='{LEFT + step * i + 6 + width * j:.1f}' y='{y(value):.1f}' width='{width:.1f}' "
                         f"height='{max(plot_bottom - y(value), 0):.1f}' fill='{colour}'/>")
    parts.append(_legend([(name, colour) for name, _, colour in series], HEIGHT - 4 + 2 * 11))
    return _frame("".join(parts), title, alt, height=HEIGHT + 2 * 11)


def _wrapped(text: str, width_px: float, lines: int = 3) -> list[str]:
    """``text`` in at most ``lines`` lines that fit ``width_px`` at 10 px (about 5 px a letter); the last
    line ends in "…" only when the words do not all fit."""
    wrapped = textwrap.wrap(text, width=max(int(width_px / 5), 6)) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][:-1].rstrip() + "…"
    return wrapped

"""The printable report's charts (``app.pack_charts``): what a reader of the SVG sees."""
from __future__ import annotations

import re

from app import pack_charts

ETHNIC_GROUPS = ["Asian or Asian British", "Black, Black British, Caribbean or African",
                 "Mixed or multiple ethnic groups", "White", "Other ethnic group", "Not known"]


def _category_labels(svg: str) -> list[str]:
    return [" ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", text))
            for text in re.findall(r"<text [^>]*text-anchor='middle' font-size='10'>(.*?)</text>", svg)]


def test_long_category_names_are_wrapped_whole_not_cut():
    svg = pack_charts.grouped_bars(ETHNIC_GROUPS, [("Victims", [0.1, 0.05, 0.04, 0.7, 0.02, 0.09], "#000"),
                                                   ("Residents", [0.12, 0.04, 0.03, 0.75, 0.02, 0.04], "#999")],
                                   percent=True, title="Victims and residents by ethnic group", alt="A chart")
    assert _category_labels(svg) == ETHNIC_GROUPS  # every word of every name, in order
    assert all(len(re.findall("<tspan", text)) <= 3
               for text in re.findall(r"font-size='10'>(.*?)</text>", svg))


def test_a_share_axis_stops_at_100_percent():
    svg = pack_charts.grouped_bars(["A", "B"], [("Share", [0.95, 1.0], "#000")], percent=True, title="t", alt="a")
    ticks = re.findall(r"text-anchor='end' font-size='11'>([^<]*)</text>", svg)
    assert ticks[-1] == "100%" and not any(t in ("125%", "150%") for t in ticks)
    # Rates are not shares: their axis goes a tenth above the highest.
    rates = pack_charts.grouped_bars(["A"], [("Rate", [30.0], "#000")], percent=False, title="t", alt="a")
    assert re.findall(r"text-anchor='end' font-size='11'>([^<]*)</text>", rates)[-1] == "40"


def test_wrapping_marks_only_what_does_not_fit():
    assert pack_charts._wrapped("White", 90) == ["White"]
    lines = pack_charts._wrapped("one two three four five six seven eight nine ten eleven", 40)
    assert len(lines) == 3 and lines[-1].endswith("…")


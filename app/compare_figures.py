"""The pictures of "how do we compare?" (Plotly): every force as a sorted column chart (the inspectorate's
"ski slope") with the force and its most similar group marked, the forces on a funnel plot around
England and Wales, and the force's trend by year against its group and England and Wales.

Each takes a ``metrics.comparators.Comparison`` (or the yearly frame) and draws it; the words beside each
chart (its caption and table view) are built by ``app.compare_components``.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from app.figures import GREY, PALETTE
from metrics.comparators import Comparison, forces_funnel

FORCE_COLOUR = PALETTE["vermillion"]
GROUP_COLOUR = PALETTE["orange"]
OTHER_COLOUR = "#9fb7d3"
NATIONAL_COLOUR = PALETTE["black"]
# Trace names: the browser tests and the legend read them.
FORCE_TRACE = "This force"
GROUP_TRACE = "Most similar group"
OTHER_TRACE = "Other forces"
NATIONAL_TRACE = "England and Wales"


def _tickformat(percent: bool) -> str:
    return ".0%" if percent else ",.1f"


def _hover(percent: bool) -> str:
    return "%{customdata}: %{y" + (":.1%" if percent else ":,.1f") + "}<extra></extra>"


def ski_slope(comparison: Comparison, *, title: str) -> go.Figure:
    """Every force with a value, highest first; the force and its most similar group in their own colours,
    England and Wales (and the group, pooled) as lines across."""
    percent = comparison.metric.kind == "proportion"
    rows = comparison.values.sort_values(["value", "force_name"], ascending=[False, True]).reset_index(drop=True)
    rows["position"] = range(1, len(rows) + 1)
    fig = go.Figure()
    kinds = ((OTHER_TRACE, ~rows["is_force"] & ~rows["in_group"], OTHER_COLOUR),
             (GROUP_TRACE, rows["in_group"] & ~rows["is_force"], GROUP_COLOUR),
             (comparison.force_name if not comparison.is_unit else FORCE_TRACE, rows["is_force"], FORCE_COLOUR))
    for name, chosen, colour in kinds:
        part = rows[chosen]
        if part.empty:
            continue
        fig.add_trace(go.Bar(x=part["position"], y=part["value"], name=name, marker={"color": colour},
                             customdata=part["force_name"], hovertemplate=_hover(percent)))
    if comparison.england_wales is not None:
        fig.add_hline(y=comparison.england_wales.value, line={"color": NATIONAL_COLOUR, "width": 2},
                      annotation_text=NATIONAL_TRACE, annotation_position="top right")
    if comparison.msg is not None:
        fig.add_hline(y=comparison.msg.value, line={"color": GROUP_COLOUR, "width": 2, "dash": "dash"},
                      annotation_text=f"{GROUP_TRACE} (pooled)", annotation_position="bottom right")
    if comparison.is_unit and comparison.value is not None:
        fig.add_hline(y=comparison.value, line={"color": FORCE_COLOUR, "width": 2, "dash": "dot"},
                      annotation_text=comparison.force_name, annotation_position="top left")
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}}, height=380, bargap=0.15,
        barmode="overlay", yaxis={"tickformat": _tickformat(percent), "rangemode": "tozero"},
        xaxis={"title": "Forces, highest first", "showticklabels": False},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def forces_funnel_figure(comparison: Comparison, *, title: str) -> go.Figure | None:
    """The forces on a funnel plot around England and Wales (the force and its group marked); None when
    there are no counts to place."""
    funnel = forces_funnel(comparison)
    if funnel is None or funnel.units.empty:
        return None
    percent = comparison.metric.kind == "proportion"
    # Limits (per unit of exposure) and units are both in the metric's own units already.
    limits, units = funnel.limits, funnel.units
    fig = go.Figure()
    for column, name, dash in (("upper_998", "99.8% limits", "dash"), ("upper_95", "95% limits", "dot"),
                               ("lower_95", None, "dot"), ("lower_998", None, "dash")):
        fig.add_trace(go.Scatter(x=limits["denominator"], y=limits[column],
                                 mode="lines", name=name or column, showlegend=name is not None,
                                 legendgroup=dash, line={"color": GREY, "dash": dash, "width": 1.5},
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=limits["denominator"], y=limits["target"], mode="lines",
                             name=NATIONAL_TRACE, line={"color": NATIONAL_COLOUR, "width": 1.5}, hoverinfo="skip"))
    for name, chosen, colour in ((OTHER_TRACE, ~units["is_force"] & ~units["in_group"], OTHER_COLOUR),
                                 (GROUP_TRACE, units["in_group"] & ~units["is_force"], GROUP_COLOUR),
                                 (comparison.force_name, units["is_force"], FORCE_COLOUR)):
        part = units[chosen]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["denominator"].astype(float), y=part["value"].astype(float), mode="markers", name=name,
            marker={"color": colour, "size": 11 if name == comparison.force_name else 9,
                    "line": {"color": "white", "width": 1}},
            customdata=part["force_name"], hovertemplate=_hover(percent)))
    if comparison.is_unit and comparison.value is not None and comparison.denominator:
        fig.add_trace(go.Scatter(
            x=[comparison.denominator], y=[comparison.value], mode="markers", name=comparison.force_name,
            marker={"color": FORCE_COLOUR, "size": 12, "symbol": "diamond"},
            customdata=[comparison.force_name], hovertemplate=_hover(percent)))
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}}, height=400,
        yaxis={"tickformat": _tickformat(percent)},
        xaxis={"title": "Size: the number each force's value is out of", "type": "log"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def yearly_trend(frame: pd.DataFrame, *, force_name: str, percent: bool, title: str) -> go.Figure:
    """``frame``: ``year, force, msg, england_wales`` (one row per financial year)."""
    fig = go.Figure()
    for column, name, colour, dash in (("england_wales", NATIONAL_TRACE, NATIONAL_COLOUR, "solid"),
                                       ("msg", GROUP_TRACE, GROUP_COLOUR, "dash"),
                                       ("force", force_name, FORCE_COLOUR, "solid")):
        if column not in frame or frame[column].isna().all():
            continue
        fig.add_trace(go.Scatter(x=frame["year"], y=frame[column], mode="lines+markers", name=name,
                                 line={"color": colour, "dash": dash, "width": 2.5 if column == "force" else 2},
                                 customdata=[name] * len(frame), hovertemplate=_hover(percent)))
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}}, height=340,
        yaxis={"tickformat": _tickformat(percent), "rangemode": "tozero"}, xaxis={"title": "Financial year",
                                                                                   "type": "category"},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def places(names: list[str], now: list[int | None], before: list[int | None], forces: int, *,
           label: str) -> go.Figure:
    """The force's place among the forces on each indicator (1 = highest value), now and a year before."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=before, y=names, mode="markers", name="A year before",
                             marker={"color": GREY, "size": 10, "symbol": "circle-open"}))
    fig.add_trace(go.Scatter(x=now, y=names, mode="markers", name=label, marker={"color": FORCE_COLOUR, "size": 12}))
    fig.update_layout(height=420,
                      title={"text": "Place among the forces (1 = highest value)", "x": 0, "font": {"size": 15}},
                      xaxis={"title": "Place", "range": [max(forces, 1) + 1, 0]},
                      yaxis={"autorange": "reversed", "automargin": True},
                      legend={"orientation": "h", "y": -0.2})
    return fig

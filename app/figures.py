"""Pictures: Plotly figures built from the metrics layer's frames, and the one colour palette.

Pure functions of DataFrames (no database, no Dash), so they are unit-tested on their own:

- ``PALETTE``: Okabe & Ito's colour-blind-safe palette; every figure uses it (``TEMPLATE``).
- ``spc_chart(spc, *, title, percent, counting_rule_marker)``: a monthly SPC chart from
  ``metrics.stats.spc_table`` (value, centre, limits per phase, special-cause months marked by shape as
  well as colour, part months as open circles apart from the line: ``PART_MONTH_LABEL``), with the June
  2023 counting-rules change as a vertical line and annotation.
- ``sparkline(spc, *, percent)``: the same series, small, for a tile.
- ``funnel_plot(units, limits, *, percent, title, x_title)``: units (``unit_name, denominator, value``)
  on ``metrics.stats.funnel_limits``.
- ``bar_chart(frame, *, category, value, percent, title)``: a breakdown, horizontal bars.
- ``profile_chart(frame, *, category, shares)``: victims against the resident population.
- ``summarise_series(spc, *, percent)``: one sentence for a chart's text alternative.
"""
from __future__ import annotations

from datetime import date
from typing import Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from metrics.formatting import format_number
from metrics.stats import COUNTING_RULES_CHANGE

# Okabe, M. & Ito, K. (2008) "Color Universal Design": distinguishable with every common colour-vision
# deficiency. Order chosen so the first colours have the most contrast on white.
PALETTE = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "reddish_purple": "#CC79A7",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
COLORWAY = [PALETTE[k] for k in ("blue", "vermillion", "bluish_green", "reddish_purple", "orange", "sky_blue", "black")]
GREY = "#6c757d"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        colorway=COLORWAY,
        font={"family": FONT, "size": 13, "color": "#212529"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis={"gridcolor": "#e9ecef", "linecolor": "#adb5bd", "zeroline": False},
        yaxis={"gridcolor": "#e9ecef", "linecolor": "#adb5bd", "zeroline": False},
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        margin={"l": 56, "r": 16, "t": 48, "b": 48},
    )
)

# The house style is the default of every figure the process builds: given to each figure, a template is
# validated and copied again, which took most of a chart's time (4 ms a bar chart, against 0.3 ms).
pio.templates["daperf"] = TEMPLATE
pio.templates.default = "daperf"

COUNTING_RULE_LABEL = "June 2023 counting-rules change"


def _tickformat(percent: bool) -> str:
    return ".0%" if percent else ",~r"


def _phase_segments(spc: pd.DataFrame, column: str) -> tuple[list, list]:
    """x/y for a limit line drawn per phase, with a gap between phases."""
    xs: list = []
    ys: list = []
    for _, part in spc.groupby("phase", sort=True):
        xs.extend(list(part["month"]) + [None])
        ys.extend(list(part[column]) + [None])
    return xs, ys


def _months(spc: pd.DataFrame) -> pd.DataFrame:
    out = spc.copy()
    out["month"] = pd.to_datetime(out["month"])
    return out


def _partial(spc: pd.DataFrame) -> pd.Series:
    """Months only partly inside the data (``metrics.stats.spc_table``'s ``partial``)."""
    if "partial" not in spc:
        return pd.Series(False, index=spc.index)
    return spc["partial"].fillna(False).astype(bool)


PART_MONTH_LABEL = "Part month (left out of the limits)"


def _covers(spc: pd.DataFrame, day: date) -> bool:
    if spc.empty:
        return False
    months = pd.to_datetime(spc["month"])
    return months.min() <= pd.Timestamp(day) <= months.max() + pd.offsets.MonthEnd(0)


def spc_chart(
    spc: pd.DataFrame,
    *,
    title: str,
    percent: bool,
    counting_rule_marker: bool,
    y_title: str = "",
    height: int = 380,
) -> go.Figure:
    spc = _months(spc)
    fig = go.Figure()
    for column, name, dash_style in (("ucl", "Upper limit", "dash"), ("centre", "Centre", "solid"), ("lcl", "Lower limit", "dash")):
        xs, ys = _phase_segments(spc, column)
        fig.add_trace(
            go.Scatter(
                x=xs, y=ys, mode="lines", name=name,
                line={"color": GREY if column != "centre" else PALETTE["black"], "dash": dash_style, "width": 1.5},
                hoverinfo="skip",
            )
        )
    partial = _partial(spc)
    whole = spc[~partial]
    fig.add_trace(
        go.Scatter(
            x=whole["month"], y=whole["value"], mode="lines+markers", name="Monthly value",
            line={"color": PALETTE["blue"], "width": 2}, marker={"size": 6},
            hovertemplate="%{x|%b %Y}: %{y" + (":.1%" if percent else ":,.1f") + "}<extra></extra>",
        )
    )
    if partial.any():
        # Drawn, so the month is not silently missing, but apart: its count covers only some of its days.
        fig.add_trace(
            go.Scatter(
                x=spc.loc[partial, "month"], y=spc.loc[partial, "value"], mode="markers", name=PART_MONTH_LABEL,
                marker={"color": GREY, "size": 10, "symbol": "circle-open", "line": {"width": 2}},
                hovertemplate="%{x|%b %Y}: %{y" + (":.1%" if percent else ":,.1f")
                              + "} (part month: data for only some days)<extra></extra>",
            )
        )
    special = spc[spc["special_cause"].astype(bool)] if "special_cause" in spc else spc.iloc[0:0]
    if not special.empty:
        fig.add_trace(
            go.Scatter(
                x=special["month"], y=special["value"], mode="markers", name="Special cause",
                marker={"color": PALETTE["vermillion"], "size": 12, "symbol": "diamond",
                        "line": {"color": PALETTE["black"], "width": 1}},
                hovertemplate="%{x|%b %Y}: special cause<extra></extra>",
            )
        )
    if counting_rule_marker:
        add_counting_rule_marker(fig, spc)
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}}, height=height,
        yaxis={"tickformat": _tickformat(percent), "title": y_title, "rangemode": "tozero"},
        xaxis={"title": "Month", "tickformat": "%b %Y"},
    )
    return fig


def add_counting_rule_marker(fig: go.Figure, spc: pd.DataFrame) -> None:
    """The June 2023 Home Office Counting Rules change, marked where the series covers it."""
    if not _covers(spc, COUNTING_RULES_CHANGE):
        return
    x = pd.Timestamp(COUNTING_RULES_CHANGE)
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line={"color": PALETTE["reddish_purple"], "dash": "dot", "width": 2})
    fig.add_annotation(
        x=x, y=1, yref="paper", text=COUNTING_RULE_LABEL, showarrow=False, xanchor="left", yanchor="bottom",
        font={"size": 11, "color": "#6b2c56"},
    )


def sparkline(spc: pd.DataFrame, *, percent: bool, counting_rule_marker: bool = False) -> dict:
    """A tile's small chart, as a plain figure dict: nine of them per page, and building
    ``go.Figure``s (which validate every property) costs more than the queries behind them."""
    spc = _months(spc)
    months = [m.strftime("%Y-%m-%d") for m in spc["month"]]
    hover = "%{x|%b %Y}: %{y" + (":.1%" if percent else ":,.1f") + "}<extra></extra>"
    partial = _partial(spc).to_numpy()
    values = [None if part else v for v, part in zip(_floats(spc["value"]), partial)]
    data = [
        {"type": "scatter", "x": months, "y": _floats(spc["centre"]) if "centre" in spc else [], "mode": "lines",
         "line": {"color": GREY, "width": 1}, "hoverinfo": "skip"},
        {"type": "scatter", "x": months, "y": values, "mode": "lines",
         "line": {"color": PALETTE["blue"], "width": 2}, "hovertemplate": hover},
    ]
    if partial.any():
        data.append({"type": "scatter", "x": [m for m, part in zip(months, partial) if part],
                     "y": [v for v, part in zip(_floats(spc["value"]), partial) if part], "mode": "markers",
                     "marker": {"color": GREY, "size": 7, "symbol": "circle-open", "line": {"width": 1.5}},
                     "hovertemplate": "%{x|%b %Y}: part month<extra></extra>"})
    special = spc[spc["special_cause"].astype(bool)] if "special_cause" in spc else spc.iloc[0:0]
    if not special.empty:
        data.append({"type": "scatter", "x": [m.strftime("%Y-%m-%d") for m in special["month"]],
                     "y": _floats(special["value"]), "mode": "markers",
                     "marker": {"color": PALETTE["vermillion"], "size": 8, "symbol": "diamond"},
                     "hovertemplate": "%{x|%b %Y}: special cause<extra></extra>"})
    shapes = []
    if counting_rule_marker and _covers(spc, COUNTING_RULES_CHANGE):
        x = COUNTING_RULES_CHANGE.isoformat()
        shapes.append({"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "paper",
                       "line": {"color": PALETTE["reddish_purple"], "dash": "dot", "width": 1}})
    layout = {
        "autosize": True, "height": 70, "showlegend": False, "margin": {"l": 2, "r": 2, "t": 4, "b": 4},
        "xaxis": {"visible": False}, "yaxis": {"visible": False}, "shapes": shapes,
        "paper_bgcolor": "white", "plot_bgcolor": "white",
    }
    return {"data": data, "layout": layout}


def _floats(values: pd.Series) -> list:
    return [None if pd.isna(v) else float(v) for v in values]


def funnel_plot(
    units: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    percent: bool,
    title: str,
    x_title: str,
    y_scale: float = 1.0,
    highlight: str | None = None,
) -> go.Figure:
    """``units``: ``unit_name, denominator, value`` (value on the chart's scale); ``limits`` from
    ``funnel_limits`` (rates per unit of exposure, multiplied by ``y_scale`` to the chart's scale)."""
    fig = go.Figure()
    bands = (("upper_998", "99.8% limits", "dash", True), ("upper_95", "95% limits", "dot", True),
             ("lower_95", "95% limits", "dot", False), ("lower_998", "99.8% limits", "dash", False))
    for column, name, dash_style, in_legend in bands:
        fig.add_trace(go.Scatter(
            x=limits["denominator"], y=limits[column] * y_scale, mode="lines", name=name,
            showlegend=in_legend, legendgroup=dash_style,
            line={"color": GREY, "dash": dash_style, "width": 1.5}, hoverinfo="skip",
        ))
    fig.add_trace(go.Scatter(
        x=limits["denominator"], y=limits["target"] * y_scale, mode="lines", name="Force value",
        line={"color": PALETTE["black"], "width": 1.5}, hoverinfo="skip",
    ))
    colours = [PALETTE["vermillion"] if highlight and name == highlight else PALETTE["blue"] for name in units["unit_name"]]
    fig.add_trace(go.Scatter(
        x=units["denominator"], y=units["value"], mode="markers+text", name="Units",
        text=units["unit_name"], textposition="top center", textfont={"size": 11},
        marker={"color": colours, "size": 10, "line": {"color": "white", "width": 1}},
        hovertemplate="%{text}: %{y" + (":.1%" if percent else ":,.1f") + "} (base %{x:,})<extra></extra>",
    ))
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}}, height=400,
        yaxis={"tickformat": _tickformat(percent)}, xaxis={"title": x_title},
    )
    return fig


def bar_chart(frame: pd.DataFrame, *, category: str, value: str, percent: bool, title: str) -> go.Figure:
    ordered = frame.iloc[::-1]  # horizontal bars read top-down in the table's order
    fig = go.Figure(go.Bar(
        x=ordered[value], y=ordered[category].astype(str), orientation="h", marker={"color": PALETTE["blue"]},
        hovertemplate="%{y}: %{x" + (":.1%" if percent else ":,.1f") + "}<extra></extra>",
    ))
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        height=max(220, 36 * len(frame) + 90), xaxis={"tickformat": _tickformat(percent)},
        yaxis={"automargin": True}, showlegend=False,
    )
    return fig


def profile_chart(frame: pd.DataFrame, *, category: str, shares: Sequence[tuple[str, str]], title: str) -> go.Figure:
    """Grouped bars of shares (0–1): ``shares`` is ``[(column, legend name), ...]``."""
    fig = go.Figure()
    for column, name in shares:
        fig.add_trace(go.Bar(
            x=frame[category].astype(str), y=frame[column], name=name,
            hovertemplate=name + " %{x}: %{y:.1%}<extra></extra>",
        ))
    fig.update_layout(barmode="group", title={"text": title, "x": 0, "font": {"size": 15}},
                      height=340, yaxis={"tickformat": ".0%"})
    return fig


def summarise_series(spc: pd.DataFrame, *, label: str, percent: bool) -> str:
    """A sentence describing a monthly SPC series, for the chart's text alternative."""
    if spc.empty:
        return f"{label}: no monthly data for this period."
    spc = _months(spc).sort_values("month")
    first, last = spc.iloc[0], spc.iloc[-1]
    special = spc[spc["special_cause"].astype(bool)] if "special_cause" in spc else spc.iloc[0:0]
    text = (
        f"{label} by month, {first['month']:%B %Y} to {last['month']:%B %Y}: from "
        f"{format_number(first['value'], percent=percent)} to {format_number(last['value'], percent=percent)}."
    )
    if special.empty:
        text += " No month shows special-cause variation."
    else:
        months = ", ".join(f"{m:%b %Y}" for m in special["month"])
        text += f" Special-cause variation in {len(special)} month{'s' if len(special) != 1 else ''}: {months}."
    partial = spc[_partial(spc)]
    if not partial.empty:
        months = " and ".join(f"{m:%B %Y}" for m in partial["month"])
        text += (f" {months} {'is a part month' if len(partial) == 1 else 'are part months'} (data for only some "
                 "of the days): marked with an open circle and left out of the control limits.")
    return text

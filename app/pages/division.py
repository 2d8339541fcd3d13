"""/division — one division's indicators set against the force, with its partnerships under it."""
from __future__ import annotations

import dash
import pandas as pd
from dash import Output, callback, html

from app import components, data, ids, tiles, views
from app.auth.policy import Forbidden
from app.components import FilterState
from metrics.registry import METRICS

PAGE = "division"
PATH = "/division"
TILES = ids.page_id(PAGE, "tiles")
DETAIL = ids.page_id(PAGE, "detail")
PARTNERSHIPS = ids.page_id(PAGE, "partnerships")
FIELDS = ("from", "to", "division")
# The partnerships' key values listed under the division.
PARTNERSHIP_METRICS = ("incidents", "incidents_per_1000", "crimes_per_1000", "arrest_rate_where_power",
                       "charge_rate", "marac_cases_per_10k_women")

dash.register_page(__name__, path=PATH, name="Division", order=1, title="Division – Domestic abuse performance")


def _chosen(state: FilterState) -> FilterState:
    """A division is always chosen: the first one when the URL names none (or an unknown one)."""
    codes = list(data.divisions()["division_code"])
    if state.division not in codes and codes:
        state = state.with_(division=codes[0])
    if state.metric and state.metric not in METRICS:
        state = state.with_(metric=None)
    return state


def _division_name(code: str) -> str:
    frame = data.divisions()
    match = frame[frame["division_code"] == code]
    return match.iloc[0]["division_name"] if len(match) else code


def partnerships_table(state: FilterState, suppressed: bool):
    """The division's partnerships with their key values (the caller has checked the policy)."""
    csps = data.csps(state.division)
    if csps.empty:
        return components.notice("No partnerships are recorded for this division.")
    frame = views.headline_frame("csp", state.period_from, state.period_to, tuple(csps["csp_code"]))
    frame = frame[frame["metric_id"].isin(PARTNERSHIP_METRICS)].reset_index(drop=True)
    if suppressed:
        frame = views.suppress(frame)
    table = pd.DataFrame({"Partnership": csps["csp_name"].to_numpy()})
    for metric_id in PARTNERSHIP_METRICS:
        metric = METRICS[metric_id]
        values = frame[frame["metric_id"] == metric_id].set_index("unit_code")["value"]
        table[metric.name] = [views.format_value(metric, values.get(code)) for code in csps["csp_code"]]
    links = html.Ul([
        html.Li(html.A(f"{row.csp_name}: partnership view",
                       href="/partnership" + state.with_(csp=row.csp_code, division=None, metric=None).query_string()))
        for row in csps.itertuples()
    ], className="small")
    return html.Div([
        components.data_table(PARTNERSHIPS + "-grid", table, f"Partnerships in {_division_name(state.division)}, "
                              f"{state.describe_period()}", f"partnerships-{state.division}"),
        links,
    ])


def _content(state: FilterState):
    try:
        _, suppressed = views.authorise("division", state.division)
    except Forbidden as exc:
        return components.refusal(str(exc))
    name = _division_name(state.division)
    if state.metric:
        return tiles.metric_detail(PAGE, PATH, state, "division", state.division, suppressed=suppressed)
    return html.Div([
        html.P(f"{name}: each tile also shows the rest of the force (the force without {name}) for the same "
               "period, and whether the division differs from it by more than chance.", className="small"),
        tiles.tiles_grid(PAGE, PATH, state, "division", state.division, suppressed=suppressed, compare_with_force=True),
        html.H2(f"Partnerships in {name}", className="h4 mt-4"),
        partnerships_table(state, suppressed),
    ])


def layout(**query):
    heading = components.page_heading(
        "Division", "One division's indicators set against the force, with its community safety partnerships.")
    if not data.database_ready():
        return html.Div([heading, components.no_database()])
    state = _chosen(FilterState.from_query(query))
    parts = [heading, components.filter_bar(PAGE, state, FIELDS, all_divisions=False)]
    if state.metric:
        parts.append(tiles.metric_chooser(PAGE, state.metric))
        parts.append(html.Div(_content(state), id=DETAIL))
    else:
        parts.append(html.Div(_content(state), id=TILES))
    return html.Div(parts)


@callback(Output(TILES, "children"), *components.filter_inputs(PAGE, FIELDS), prevent_initial_call=True)
def update_tiles(period_from: str, period_to: str, division: str):
    return _content(_chosen(FilterState.from_values(period_from, period_to, division)))


@callback(Output(DETAIL, "children"), *components.filter_inputs(PAGE, FIELDS + ("metric",)),
          prevent_initial_call=True)
def update_detail(period_from: str, period_to: str, division: str, metric_id: str):
    state = _chosen(FilterState.from_values(period_from, period_to, division, metric=metric_id))
    if not state.metric:
        return components.notice("Choose a measure from the list.")
    return _content(state)

"""/division — one division's indicators set against the force, with its partnerships under it."""
from __future__ import annotations

import dash
import pandas as pd
from dash import Output, callback, html

from app import components, data, ids, tiles, views
from app.auth.policy import Forbidden, Principal
from app.auth.scope import Scope, current_scope
from app.components import FilterState, division_name
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


def default_division(principal: Principal) -> str | None:
    """The division the page opens on: a division lead's first own division, else the first by name."""
    own = components.own_divisions(principal)
    codes = own or list(data.divisions()["division_code"])
    return codes[0] if codes else None


def division_scope() -> Scope:
    """The request's scope at the division the page shows: the division the request names when this data
    has it, else the page's default, checked as any request's filters are (``Scope.at``). Raises
    ``Forbidden`` for a user who may not see division figures."""
    scope = current_scope()
    codes = set(data.divisions()["division_code"])
    if scope.level == "division" and scope.unit_code in codes:
        return scope
    return scope.at("division", default_division(scope.principal))


def partnerships_table(state: FilterState, scope: Scope):
    """The division's partnerships with their key values (the caller has checked the scope)."""
    return _partnerships_view(state, scope.unit_code, suppressed=scope.suppressed, forces=views.forces_of(scope))


@data.cached
def _partnerships_view(state: FilterState, division_code: str, *, suppressed: bool, forces: views.Forces):
    """The table, kept per database version, filters and what of the scope it shows (the division,
    suppression, the force): reshaping it again for every request cost more than the cached question."""
    csps = data.csps(division_code)
    if csps.empty:
        return components.notice("No partnerships are recorded for this division.")
    frame = views.headline_frame("csp", state.period_from, state.period_to, tuple(csps["csp_code"]),
                                 forces, PARTNERSHIP_METRICS)
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
    name = division_name(division_code)
    return html.Div([
        components.data_table(PARTNERSHIPS + "-grid", table, f"Partnerships in {name}, {state.describe_period()}",
                              f"partnerships-{division_code}"),
        links,
    ])


def _content(state: FilterState, scope: Scope):
    if scope.level != "division":  # a database whose reference tables name no division
        return components.notice("No divisions are recorded in this data.")
    forces = views.forces_of(scope)
    if state.metric:
        return tiles.metric_detail(PAGE, PATH, state, "division", scope.unit_code, suppressed=scope.suppressed,
                                   forces=forces)
    name = division_name(scope.unit_code)
    parts = [
        html.P(f"{name}: each tile also shows the rest of the force (the force without {name}) for the same "
               "period, and whether the division differs from it by more than chance.", className="small"),
        tiles.tiles_grid(PAGE, PATH, state, "division", scope.unit_code, suppressed=scope.suppressed,
                         compare_with_force=True, forces=forces),
    ]
    if not views.coverage(state.period_from, state.period_to).empty:
        parts += [html.H2(f"Partnerships in {name}", className="h4 mt-4"), partnerships_table(state, scope)]
    return html.Div(parts)


def layout(**query):
    heading = components.page_heading(
        "Division", "One division's indicators set against the force, with its community safety partnerships.")
    if not data.database_ready():
        return html.Div([heading, components.no_database()])
    try:
        scope = division_scope()
    except Forbidden as exc:
        return html.Div([heading, components.refusal(str(exc))])
    state = FilterState.from_query(query, default_division=scope.unit_code).with_(division=scope.unit_code)
    parts = [heading, components.filter_bar(PAGE, state, FIELDS, all_divisions=False)]
    if state.metric:
        parts.append(tiles.metric_chooser(PAGE, state.metric))
        parts.append(html.Div(_content(state, scope), id=DETAIL))
    else:
        parts.append(html.Div(_content(state, scope), id=TILES))
    return html.Div(parts)


def _answer(period_from: str, period_to: str, metric_id: str | None = None):
    """A callback's content: the division comes from the request's scope, never from the control's value."""
    problem = components.period_order_problem(period_from, period_to)
    if problem:
        return components.address_notices([problem])
    try:
        scope = division_scope()
    except Forbidden as exc:
        return components.refusal(str(exc))
    state = FilterState.from_values(period_from, period_to, metric=metric_id, default_division=scope.unit_code)
    state = state.with_(division=scope.unit_code)
    if metric_id is not None and not state.metric:
        return components.notice("Choose a measure from the list.")
    content = _content(state, scope)
    return html.Div([components.address_notices(state.notices), content]) if state.notices else content


@callback(Output(TILES, "children"), *components.filter_inputs(PAGE, FIELDS), prevent_initial_call=True)
def update_tiles(period_from: str, period_to: str, division: str):
    return _answer(period_from, period_to)


@callback(Output(DETAIL, "children"), *components.filter_inputs(PAGE, FIELDS + ("metric",)),
          prevent_initial_call=True)
def update_detail(period_from: str, period_to: str, division: str, metric_id: str):
    return _answer(period_from, period_to, metric_id or "")

"""/ — Force overview: the nine routine-monitoring indicators as tiles, and a measure's detail view."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Output, callback, dcc, html

from app import components, data, ids, tiles, views
from app.auth.policy import Forbidden
from app.auth.scope import Scope, current_scope
from app.components import FilterState

PAGE = ids.OVERVIEW_PAGE
PATH = ids.OVERVIEW_PATH
TILES = ids.page_id(PAGE, "tiles")
DETAIL = ids.page_id(PAGE, "detail")
FIELDS = ("from", "to")

dash.register_page(__name__, path=PATH, name="Force overview", order=0,
                   title="Force overview – Domestic abuse performance")


def _force_scope() -> Scope:
    """The request's scope at force level: this page is always about the whole force, whatever unit the
    address names."""
    scope = current_scope()
    return scope if scope.level == "force" else scope.at("force", None)


def _for_partnership(scope: Scope) -> html.Div:
    """A partnership audience is given the force beside its own partnership, for financial years and their
    quarters only (any month range would let small numbers be worked out by subtraction; see
    ``app.auth.guard``): on the Partnership page, to which this page points them."""
    csps = data.csps()
    names = dict(zip(csps["csp_code"], csps["csp_name"]))
    return dbc.Alert([
        html.P("As a partnership member you see the force's figures beside your partnership's, for financial "
               "years and their quarters, on the Partnership page:", className="mb-1"),
        html.Ul([html.Li(dcc.Link(names.get(code, code), href=f"/partnership?csp={code}"))
                 for code in sorted(scope.principal.units, key=lambda c: names.get(c, c))], className="mb-0"),
    ], color="info", className="mt-3")


def _tiles(state: FilterState):
    try:
        scope = _force_scope()
    except Forbidden as exc:
        return components.refusal(str(exc))
    if scope.suppressed:
        return _for_partnership(scope)
    return tiles.tiles_grid(PAGE, PATH, state, "force", None, suppressed=scope.suppressed,
                            forces=views.forces_of(scope))


def _detail(state: FilterState):
    try:
        scope = _force_scope()
    except Forbidden as exc:
        return components.refusal(str(exc))
    if scope.suppressed:
        return _for_partnership(scope)
    return tiles.metric_detail(PAGE, PATH, state, "force", None, suppressed=scope.suppressed,
                               forces=views.forces_of(scope))


def layout(**query):
    heading = components.page_heading(
        "Force overview", "The nine routine-monitoring indicators for the whole force, for the chief officer team.")
    if not data.database_ready():
        return html.Div([heading, components.no_database()])
    try:
        scope = _force_scope()
    except Forbidden as exc:
        return html.Div([heading, components.refusal(str(exc))])
    if scope.suppressed:  # no period controls to offer them here
        return html.Div([heading, _for_partnership(scope)])
    state = FilterState.from_query(query)
    parts = [heading, components.filter_bar(PAGE, state, FIELDS)]
    if state.metric:
        parts += [tiles.metric_chooser(PAGE, state.metric), html.Div(_detail(state), id=DETAIL)]
    else:
        parts.append(html.Div(_tiles(state), id=TILES))
    return html.Div(parts)


def _with_notices(state: FilterState, content):
    return html.Div([components.address_notices(state.notices), content]) if state.notices else content


@callback(Output(TILES, "children"), *components.filter_inputs(PAGE, FIELDS), prevent_initial_call=True)
def update_tiles(period_from: str, period_to: str):
    problem = components.period_order_problem(period_from, period_to)
    if problem:
        return components.address_notices([problem])
    state = FilterState.from_values(period_from, period_to)
    return _with_notices(state, _tiles(state))


@callback(Output(DETAIL, "children"), *components.filter_inputs(PAGE, FIELDS + ("metric",)),
          prevent_initial_call=True)
def update_detail(period_from: str, period_to: str, metric_id: str):
    problem = components.period_order_problem(period_from, period_to)
    if problem:
        return components.address_notices([problem])
    state = FilterState.from_values(period_from, period_to, metric=metric_id)
    if not state.metric:
        return components.notice("Choose a measure from the list.")
    return _with_notices(state, _detail(state))

"""/compare — how do we compare? The nine indicators for chief officers and panels: the force beside its
most similar group and England and Wales, where it stands among the forces and how that changed on the
year before. Each row opens the measure's "Forces compared" (ski slope, funnel, trend by year).

Partnership members are refused here (``policy.can_see_force_comparisons``): their comparisons are on the
partnership page, for fixed reporting periods only.
"""
from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from app import compare_components as compared
from app import components, data, force_selector, ids, views
from app.auth.policy import Forbidden, can_see_force_comparisons, require
from app.auth.scope import current_scope
from app.components import FilterState
from metrics import comparators
from metrics.formatting import format_period
from metrics.registry import HEADLINE_IDS, INDICATORS, METRICS

PAGE = "compare"
PATH = "/compare"
CONTENT = ids.page_id(PAGE, "content")
PERIOD = ids.filter_id(PAGE, "period")

dash.register_page(__name__, path=PATH, name="Compare forces", order=3,
                   title="How do we compare? – Domestic abuse performance")


def period_key(period_from: date, period_to: date) -> str:
    return f"{period_from:%Y-%m}:{period_to:%Y-%m}"


def _periods() -> list[tuple[date, date]]:
    """The 12-month periods other forces' figures are held for, newest first."""
    from metrics.periods import whole_months

    return [p for p in compared.held_periods() if whole_months(*p) == 12]


def _label(period: tuple[date, date]) -> str:
    if comparators.is_financial_year(*period):
        return f"Financial year {comparators.financial_year_label(period[0])}"
    return format_period(*period)


def _chosen(key: str | None, force_code: str) -> tuple[tuple[date, date] | None, str | None]:
    """The period asked for (by key), else the one the overview opens on (or the latest held); and a
    notice when the key was not one of them."""
    periods = _periods()
    by_key = {period_key(*p): p for p in periods}
    if key and key in by_key:
        return by_key[key], None
    default = FilterState.default()
    fallback = compared.period_for(force_code, default.period_from, default.period_to) or (periods[0] if periods else None)
    notice = (f"There are no comparator figures for “{key}”: showing {_label(fallback)} instead."
              if key and fallback else None)
    return fallback, notice


def _allowed() -> None:
    require(can_see_force_comparisons(current_scope().principal),
            "the forces comparison page: a partnership's comparisons are on the partnership page")


def _links(period: tuple[date, date], force: str | None) -> html.Ul:
    state = FilterState(period[0], period[1])
    query = {**state.query_params(), **({"force": force} if force else {})}
    from urllib.parse import urlencode

    return html.Ul([
        html.Li(dcc.Link(f"{indicator.number}. {indicator.title}: {METRICS[indicator.headline].name}, every force",
                         href=f"{ids.OVERVIEW_PATH}?{urlencode({**query, 'metric': indicator.headline})}"))
        for indicator in INDICATORS
    ], className="small")


def _content(key: str | None, notice: str | None = None):
    try:
        _allowed()
        _, suppressed = views.authorise("force", None)
    except Forbidden as exc:
        return components.refusal(f"{exc}.")
    scope = current_scope()
    force_code = compared.force_in_view(views.forces_of(scope))
    period, fallback_notice = _chosen(key, force_code)
    if period is None:
        return components.notice("No other force's figures are held yet, so there is nothing to compare with. "
                                 "Comparator figures come from published tables or other forces' exports: "
                                 "an analyst loads them (see the Definitions page).")
    table = compared.standings_table(period, force_code, suppressed)
    sample = compared.headline_comparison(HEADLINE_IDS[0], period, force_code, suppressed)
    notes = []
    if sample.group.illustrative:
        notes.append("The most similar groups are illustrative (the seven forces nearest in population and ethnic "
                     "mix), not HMICFRS's, until the published groups are loaded.")
    if sample.missing:
        notes.append(compared.missing_words(sample))
    notes += sorted({r.note for r in (compared.headline_comparison(m, period, force_code, suppressed)
                                      for m in HEADLINE_IDS) if r.note})
    notes.append("England and Wales and the most similar group are pooled: the forces' counts added up and divided, "
                 "never an average of their rates; the group leaves the force itself out. A difference is "
                 "significant when the force lies outside the 95% funnel limits around England and Wales.")
    figure = compared.places_figure(period, force_code, suppressed, label=_label(period))
    return html.Div([
        components.address_notices([n for n in (notice, fallback_notice) if n]) if (notice or fallback_notice) else None,
        html.P(f"{sample.force_name}, {_label(period)}, against the forces of England and Wales.",
               className="fw-semibold"),
        *[html.P(n, className="small") for n in notes],
        components.data_table(ids.page_id(PAGE, "standings"), table,
                              f"The nine indicators: {sample.force_name} beside its most similar group and England "
                              f"and Wales, {_label(period)}", f"how-we-compare-{period_key(*period)}"),
        components.chart_and_table(
            ids.page_id(PAGE, "places"), figure,
            "Dot chart of the force's place among the forces on each of the nine indicators, now (filled) and a "
            "year before (open).", table[["Indicator", "Rank", "Rank a year before", "Moved"]],
            "Place among the forces", f"places-{period_key(*period)}"),
        html.H2("Every force, measure by measure", className="h4 mt-3"),
        _links(period, scope.force_code if scope.force_code != data.home_force() else None),
    ])


def layout(period: str | None = None, **query):
    heading = components.page_heading(
        "How do we compare?", "The nine indicators beside the force's most similar group and England and Wales: "
        "where the force stands among the forces, and how that changed on the year before.")
    if not data.database_ready():
        return html.Div([heading, components.no_database()])
    try:
        _allowed()
    except Forbidden as exc:
        return html.Div([heading, components.refusal(f"{exc}.")])
    force_code = compared.force_in_view(views.forces_of(current_scope()))
    chosen, notice = _chosen(period, force_code)
    options = [{"label": _label(p), "value": period_key(*p)} for p in _periods()]
    control = dbc.Row(dbc.Col([
        dbc.Label("Period compared", html_for=components.dom_id(PERIOD), className="fw-semibold"),
        dbc.Select(id=PERIOD, options=options, value=period_key(*chosen) if chosen else None,
                              placeholder="No periods held"),
    ], md=6, lg=4), className="filters border rounded p-3 mb-4 bg-light g-3")
    return html.Div([heading, html.Form(control, role="search", **{"aria-label": "Filters"}),
                     html.Div(_content(period_key(*chosen) if chosen else None, notice), id=CONTENT)])


@callback(Output(CONTENT, "children"), Input(PERIOD, "value"), State(force_selector.FORCE, "value"),
          prevent_initial_call=True)
def update_content(key: str, force: str | None):
    return _content(key)

"""The indicator tiles and a metric's detail view, shared by the force overview and the division page.

- ``tiles_grid(page, state, level, unit_code, suppressed)``: the nine indicator tiles.
- ``metric_detail(page, state, level, unit_code, suppressed)``: one metric: value, SPC chart, breakdowns,
  funnel plot of the level below, and its definition beside the number.
- ``metric_chooser(page, metric_id)``: the measure select of the detail view (kept in the URL).
- ``definition_list(metric)``: the definition as a description list (also on /definitions).
- ``register_callbacks(app)``: the breakdown chooser inside a detail view (pattern-matching per page).
The caller checks the policy (``views.authorise``) before calling any of these.
"""
from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, State, dcc, html

from app import components, data, figures, ids, views
from app.auth.policy import Forbidden
from app.components import FilterState
from metrics.comparison import rest_text
from metrics.registry import INDICATORS, METRICS, Metric
from reference.vocabulary import label

DIRECTION_BADGE = {"better": "success", "worse": "danger", "change": "primary", "no significant change": "secondary"}
SPARKLINE_CONFIG = {"displayModeBar": False, "staticPlot": True, "responsive": True}
NEXT_LEVEL = {"force": "division", "division": "csp"}


def _detail_href(page_path: str, state: FilterState, metric_id: str) -> str:
    return page_path + state.with_(metric=metric_id).query_string()


@data.cached
def tiles_grid(page: str, page_path: str, state: FilterState, level: str, unit_code: str | None,
               *, suppressed: bool, compare_with_force: bool = False) -> html.Div:
    """The tiles (kept per database version and filters: the same view is asked for again and again)."""
    tiles = views.tile_summaries(level, unit_code, state.period_from, state.period_to, suppressed=suppressed)
    cards = []
    for tile in tiles:
        metric = tile.metric
        body = [
            html.H2(f"{tile.indicator.number}. {tile.indicator.title}", className="h5 card-title mb-1"),
            html.P(tile.indicator.question, className="small text-body-secondary mb-2"),
            html.P(metric.name, className="small fw-semibold mb-0"),
            html.P(tile.value_text, className="tile-value mb-0", **{"data-metric": metric.id}),
        ]
        if tile.interval_text:
            body.append(html.P(tile.interval_text, className="small mb-1"))
        body.append(html.P(
            [dbc.Badge(tile.direction, color=DIRECTION_BADGE.get(tile.direction, "secondary"), className="me-1"),
             tile.change_text],
            className="small mb-1",
        ))
        if compare_with_force and level == "division" and unit_code and not suppressed:
            rest = views.rest_of_force(metric.id, unit_code, state.period_from, state.period_to)
            if rest is not None:
                body.append(html.P(rest_text(metric, rest), className="small mb-1 rest-of-force"))
        if tile.reference_text:
            body.append(html.P(f"Reference: {tile.reference_text}", className="small mb-1"))
        if tile.spc is not None and not tile.spc.empty:
            summary = figures.summarise_series(tile.spc, label=metric.name, percent=views.is_percent(metric))
            body.append(html.Figure([
                dcc.Graph(figure=figures.sparkline(tile.spc, percent=views.is_percent(metric),
                                                   counting_rule_marker=views.is_crime_series(metric)),
                          config=SPARKLINE_CONFIG, style={"height": "70px"}, responsive=True),
                html.Figcaption(summary, className="visually-hidden"),
            ], className="mb-1"))
        elif tile.spc is None:
            body.append(html.P("Monthly chart withheld: small numbers.", className="small text-body-secondary"))
        body.append(dcc.Link(f"Details: {metric.name}", href=_detail_href(page_path, state, metric.id),
                             className="tile-link stretched-link"))
        cards.append(dbc.Col(dbc.Card(dbc.CardBody(body), className="tile shadow-sm"), xs=12, md=6, xl=4, className="mb-3"))
    return html.Div([
        html.P(f"{state.describe_period()}, compared with the same length of time before it. "
               "Sparklines show the two periods month by month; diamonds mark special-cause months.",
               className="small"),
        dbc.Row(cards, className="tiles"),
    ])


def definition_list(metric: Metric) -> html.Dl:
    items = [
        ("Question", metric.question),
        ("What is counted", metric.counts),
        ("Out of", metric.out_of or "Nothing: this is a count"),
        ("Shown as", metric.unit),
        ("Which way is better", label("better", metric.better)),
        ("Source", metric.source),
        ("Suppression", metric.suppression),
    ]
    reference = views.format_reference(metric)
    if reference:
        items.append(("Reference value", reference))
    children = []
    for term, description in items:
        children.extend([html.Dt(term, className="col-sm-4"), html.Dd(description, className="col-sm-8")])
    return html.Dl(children, className="row small mb-0")


def _metric_options() -> list[dict]:
    options = []
    for indicator in INDICATORS:
        for metric_id in indicator.metric_ids:
            options.append({"label": f"{indicator.number}. {indicator.title}: {METRICS[metric_id].name}", "value": metric_id})
    return options


def metric_detail(page: str, page_path: str, state: FilterState, level: str, unit_code: str | None,
                  *, suppressed: bool) -> html.Div:
    metric = METRICS[state.metric]
    percent = views.is_percent(metric)
    from metrics.periods import previous_period

    before_from, _ = previous_period(state.period_from, state.period_to)
    headline = views.unit_headline(level, unit_code, state.period_from, state.period_to, suppressed=suppressed)
    row = headline[(headline["metric_id"] == metric.id) & headline["breakdown"].isna()]
    value_text = views.format_value(metric, row.iloc[0]["value"]) if len(row) else "–"
    interval = views.format_interval(metric, row.iloc[0]["ci_low"], row.iloc[0]["ci_high"]) if len(row) else None
    back = dcc.Link("← All indicators", href=page_path + state.with_(metric=None).query_string())

    sections: list = [
        back,
        html.H2(metric.name, className="h3 mt-2"),
        dbc.Row([
            dbc.Col([
                html.P([html.Span(value_text, className="display-6 fw-bold me-2", **{"data-metric": metric.id}),
                        html.Span(state.describe_period())]),
                html.P(interval, className="small") if interval else None,
            ], lg=7),
            dbc.Col(dbc.Card(dbc.CardBody([html.H3("Definition", className="h6"), definition_list(metric)])), lg=5),
        ], className="mb-3"),
    ]

    # Monthly SPC chart.
    sections.append(html.H3("Month by month", className="h4 mt-3"))
    if suppressed and views.monthly_suppressed(metric.id, level, unit_code, before_from, state.period_to):
        sections.append(components.notice("The monthly series is withheld: some months have small numbers."))
    else:
        spc = views.monthly_spc(metric.id, level, unit_code, before_from, state.period_to)
        if spc.empty:
            sections.append(components.notice("No monthly data for this period."))
        else:
            fig = figures.spc_chart(spc, title=f"{metric.name}: statistical process control chart", percent=percent,
                                    counting_rule_marker=views.is_crime_series(metric))
            table = spc[["month", "numerator", "denominator", "value", "centre", "lcl", "ucl", "special_cause"]].copy()
            table["month"] = pd.to_datetime(table["month"]).dt.strftime("%Y-%m")
            sections.append(components.chart_and_table(
                f"{page}-spc", fig, figures.summarise_series(spc, label=metric.name, percent=percent), table,
                f"{metric.name} by month with control limits", f"{metric.id}-monthly"))

    # Breakdowns.
    if metric.breakdowns:
        sections.append(html.H3("Breakdowns", className="h4 mt-3"))
        select_id = {"type": "breakdown-select", "page": page}
        sections.append(dbc.Row(dbc.Col([
            dbc.Label("Break down by", html_for=components.dom_id(select_id), className="fw-semibold"),
            dbc.Select(id=select_id, value=metric.breakdowns[0],
                       options=[{"label": b.replace("_", " ").capitalize(), "value": b} for b in metric.breakdowns]),
        ], md=6, lg=4), className="mb-2"))
        sections.append(dcc.Store(id={"type": "breakdown-context", "page": page}, data={
            "metric": metric.id, "level": level, "unit": unit_code, "from": state.period_from.isoformat(),
            "to": state.period_to.isoformat(),
        }))
        sections.append(html.Div(
            breakdown_view(metric.id, level, unit_code, state.period_from, state.period_to, metric.breakdowns[0],
                           suppressed=suppressed, page=page),
            id={"type": "breakdown-view", "page": page}, **{"aria-live": "polite"},
        ))

    # Funnel of the level below.
    lower = NEXT_LEVEL.get(level)
    if lower and not (suppressed and lower == "division"):
        sections.append(html.H3(f"{'Divisions' if lower == 'division' else 'Partnerships'} compared", className="h4 mt-3"))
        funnel = views.funnel_data(metric.id, lower, state.period_from, state.period_to, suppressed=suppressed)
        if funnel is None:
            units = views.headline_frame(lower, state.period_from, state.period_to, None)
            units = units[units["metric_id"] == metric.id].reset_index(drop=True)
            if suppressed:
                units = views.suppress(units)
            fig = figures.bar_chart(units.assign(v=pd.to_numeric(units["value"], errors="coerce")),
                                    category="unit_name", value="v", percent=percent, title=f"{metric.name} by {lower}")
            sections.append(html.P("A count is not compared on a funnel plot: units differ in size.", className="small"))
            sections.append(components.chart_and_table(
                f"{page}-units", fig, f"{metric.name} for each {lower}, as bars.",
                views.display_frame(units, metric), f"{metric.name} by {lower}", f"{metric.id}-{lower}"))
        else:
            highlight = None
            if level == "division" and unit_code:
                match = funnel.units[funnel.units["unit_code"] == unit_code]
                highlight = match.iloc[0]["unit_name"] if len(match) else None
            fig = figures.funnel_plot(funnel.units.assign(denominator=funnel.units["denominator"].astype(float),
                                                          value=funnel.units["value"].astype(float)),
                                      funnel.limits, percent=percent, title=f"{metric.name}: funnel plot",
                                      x_title="Cases" if percent else (metric.out_of or "Base"), highlight=highlight)
            table = views.display_frame(funnel.units, metric)
            table["Position on the funnel"] = funnel.units["position"].to_numpy()
            outside = funnel.units[funnel.units["position"].str.contains("99.8")]
            summary = (f"Funnel plot of {metric.name} for {len(funnel.units)} units against the force value "
                       f"{views.format_value(metric, funnel.target)}. "
                       + (f"Outside the 99.8% limits: {', '.join(outside['unit_name'])}." if len(outside)
                          else "No unit is outside the 99.8% limits."))
            sections.append(components.chart_and_table(
                f"{page}-funnel", fig, summary, table, f"{metric.name} by {lower}, with funnel position",
                f"{metric.id}-{lower}-funnel"))
    return html.Div(sections, className="metric-detail")


def metric_chooser(page: str, metric_id: str) -> dbc.Row:
    """The measure shown in the detail view: a filter, so it is kept in the URL (``metric=``)."""
    select_id = ids.filter_id(page, "metric")
    return dbc.Row(dbc.Col([
        dbc.Label("Measure", html_for=components.dom_id(select_id), className="fw-semibold"),
        dbc.Select(id=select_id, options=_metric_options(), value=metric_id),
    ], md=8, lg=6), className="mb-3")


def breakdown_view(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date,
                   breakdown: str, *, suppressed: bool, page: str):
    metric = METRICS[metric_id]
    frame = views.breakdown_frame(metric_id, level, unit_code if level != "force" else None, period_from, period_to)
    if suppressed:
        headline = views.unit_headline(level, unit_code if level != "force" else None, period_from, period_to, suppressed=False)
        headline = headline[headline["metric_id"] == metric_id]
        frame = views.suppress(pd.concat([headline, frame], ignore_index=True))
        frame = frame[frame["breakdown"].notna()]
    frame = frame[frame["breakdown"] == breakdown].reset_index(drop=True)
    if frame.empty:
        return components.notice("No records in this breakdown for the period.")
    numeric = frame.assign(v=pd.to_numeric(frame["value"], errors="coerce"))
    label = breakdown.replace("_", " ")
    fig = figures.bar_chart(numeric, category="breakdown_value", value="v", percent=views.is_percent(metric),
                            title=f"{metric.name} by {label}")
    top = numeric.sort_values("v", ascending=False).iloc[0]
    summary = (f"Bar chart of {metric.name} by {label}, {len(frame)} categories; the highest is "
               f"{top['breakdown_value']} at {views.format_value(metric, top['v'])}.")
    return components.chart_and_table(f"{page}-breakdown", fig, summary, views.display_frame(frame, metric),
                                      f"{metric.name} by {label}", f"{metric_id}-{breakdown}")


def register_callbacks(app) -> None:
    @app.callback(
        Output({"type": "breakdown-view", "page": MATCH}, "children"),
        Input({"type": "breakdown-select", "page": MATCH}, "value"),
        State({"type": "breakdown-context", "page": MATCH}, "data"),
        State({"type": "breakdown-context", "page": MATCH}, "id"),
        prevent_initial_call=True,
    )
    def _show_breakdown(breakdown: str, context: dict, store_id: dict):
        try:
            _, suppressed = views.authorise(context["level"], context["unit"])
        except Forbidden as exc:
            return components.refusal(str(exc))
        metric = METRICS.get(context["metric"])
        if metric is None or breakdown not in metric.breakdowns:
            return components.notice("Choose a breakdown from the list.")
        return breakdown_view(metric.id, context["level"], context["unit"], date.fromisoformat(context["from"]),
                              date.fromisoformat(context["to"]), breakdown, suppressed=suppressed,
                              page=store_id["page"])

"""The indicator tiles and a metric's detail view, shared by the force overview and the division page.

- ``tiles_grid(page, page_path, state, level, unit_code, *, suppressed, forces=None)``: the nine indicator
  tiles. Each says its value, the change on the previous period with its badge (the period test), what the
  monthly chart says about the period (special cause or not) and, when the two seem to disagree, why; no
  badge when there is nothing to compare. A period with no data gets a notice and no tiles.
- ``metric_detail(page, page_path, state, level, unit_code, *, suppressed, forces=None)``: one metric:
  value, SPC chart (part months marked), breakdowns in the vocabulary's words, funnel plot of the level
  below, and its definition beside the number; for a period with no data, the notice and the definition.
- ``coverage_notice(cover)``: the notice for a period the data do not wholly cover.
- ``metric_chooser(page, metric_id)``: the measure select of the detail view (kept in the URL).
- ``definition_list(metric)``: the definition as a description list (also on /definitions).
- ``register_callbacks(app)``: the breakdown chooser inside a detail view (pattern-matching per page).
The caller takes the unit, ``suppressed`` and ``forces`` from the request's scope
(``app.auth.scope.current_scope()``) before calling any of these; the breakdown callback does the same.
"""
from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, State, dcc, html

from app import compare_components, components, data, figures, ids, views
from app.auth.guard import MalformedRequest, control
from app.auth.policy import Forbidden
from app.auth.scope import current_scope
from app.components import FilterState
from metrics.comparison import rest_text
from metrics.registry import INDICATORS, METRICS, Metric
from reference.vocabulary import breakdown_name, label

DIRECTION_BADGE = {"better": "success", "worse": "danger", "higher": "primary", "lower": "primary",
                   "no significant change": "secondary"}
SPARKLINE_CONFIG = {"displayModeBar": False, "staticPlot": True, "responsive": True}
NEXT_LEVEL = {"force": "division", "division": "csp"}
# A measure's breakdown chooser (one per page, matched by page): its value is a breakdown's key.
BREAKDOWN_SELECT = "breakdown-select"
control({"type": BREAKDOWN_SELECT}, r"[a-z0-9_]{1,64}", "a breakdown")


def _detail_href(page_path: str, state: FilterState, metric_id: str) -> str:
    return page_path + state.with_(metric=metric_id).query_string()


@data.cached
def tiles_grid(page: str, page_path: str, state: FilterState, level: str, unit_code: str | None,
               *, suppressed: bool, compare_with_force: bool = False, forces: views.Forces = None) -> html.Div:
    """The tiles (kept per database version and filters: the same view is asked for again and again); for
    a period with no data, a notice that says so and no tiles."""
    cover = views.coverage(state.period_from, state.period_to)
    if cover.empty:
        return coverage_notice(cover)
    tiles = views.tile_summaries(level, unit_code, state.period_from, state.period_to, suppressed=suppressed,
                                 forces=forces)
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
        badge = ([dbc.Badge(tile.direction, color=DIRECTION_BADGE.get(tile.direction, "secondary"),
                            className="me-1 tile-badge")] if tile.direction else [])
        body.append(html.P([*badge, tile.change_text], className="small mb-1 tile-change"))
        if tile.signal_text:
            body.append(html.P(tile.signal_text, className="small mb-1 tile-signal"))
        if tile.disagreement_text:
            body.append(html.P(tile.disagreement_text, className="small mb-1 tile-disagreement"))
        if compare_with_force and level == "division" and unit_code and not suppressed and cover.period == "whole":
            rest = views.rest_of_force(metric.id, unit_code, state.period_from, state.period_to, forces)
            if rest is not None:
                body.append(html.P(rest_text(metric, rest), className="small mb-1 rest-of-force"))
        if tile.lookback_text:
            body.append(html.P(tile.lookback_text, className="small mb-1 tile-lookback"))
        if tile.reference_text:
            body.append(html.P(f"Reference: {tile.reference_text}", className="small mb-1"))
        body.extend(compare_components.tile_lines(metric.id, level, unit_code, state.period_from, state.period_to,
                                                  suppressed=suppressed, forces=forces,
                                                  metric_ids=tuple(t.metric.id for t in tiles)))
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
        coverage_notice(cover),
        html.P((f"{state.describe_period()}, compared with the same length of time before it (a test of the two "
                "periods' totals). " if cover.comparable
                else f"{state.describe_period()}. {cover.no_comparison_reason()} ")
               + "Sparklines show both periods month by month: diamonds mark special-cause months, open circles "
                 "part months (data for only some of their days, left out of the limits).",
               className="small"),
        dbc.Row(cards, className="tiles"),
    ])


def coverage_notice(cover: views.Coverage) -> html.Div | None:
    """The notice for a period the data do not wholly cover (None when they do)."""
    text = cover.notice()
    if text is None:
        return None
    return html.Div(dbc.Alert(text, color="info" if cover.empty else "warning", className="mb-3"),
                    role="status", className="coverage-notice")


def definition_list(metric: Metric) -> html.Dl:
    items = [
        ("Question", metric.question),
        ("What is counted", metric.counts),
        ("Out of", metric.out_of or "Nothing: this is a count"),
        ("Shown as", shown_as(metric)),
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


def shown_as(metric: Metric) -> str:
    """What a value of the metric is, in words."""
    if metric.kind == "proportion":
        return "A percentage of the cases it is out of, with a 95% confidence interval"
    if metric.kind == "count":
        return f"A number of {metric.unit}"
    return metric.unit[0].upper() + metric.unit[1:]


FUNNEL_POSITION_WORDS = {
    "above 99.8%": "Above the 99.8% limit", "above 95%": "Above the 95% limit", "within": "Within the limits",
    "below 95%": "Below the 95% limit", "below 99.8%": "Below the 99.8% limit", "no data": "No cases",
}


def _metric_options() -> list[dict]:
    options = []
    for indicator in INDICATORS:
        for metric_id in indicator.metric_ids:
            options.append({"label": f"{indicator.number}. {indicator.title}: {METRICS[metric_id].name}", "value": metric_id})
    return options


def metric_detail(page: str, page_path: str, state: FilterState, level: str, unit_code: str | None,
                  *, suppressed: bool, forces: views.Forces = None) -> html.Div:
    metric = METRICS[state.metric]
    percent = views.is_percent(metric)
    from metrics.periods import previous_period

    before_from, _ = previous_period(state.period_from, state.period_to)
    back = dcc.Link("← All indicators", href=page_path + state.with_(metric=None).query_string())
    cover = views.coverage(state.period_from, state.period_to)
    if cover.empty:  # no figures for a period with no data: the notice and the definition only
        return html.Div([
            back, html.H2(metric.name, className="h3 mt-2"), coverage_notice(cover),
            dbc.Card(dbc.CardBody([html.H3("Definition", className="h6"), definition_list(metric)])),
        ], className="metric-detail")
    headline = views.unit_headline(level, unit_code, state.period_from, state.period_to, suppressed=suppressed,
                                   forces=forces)
    row = headline[(headline["metric_id"] == metric.id) & headline["breakdown"].isna()]
    value_text = views.format_value(metric, row.iloc[0]["value"]) if len(row) else "–"
    interval = views.format_interval(metric, row.iloc[0]["ci_low"], row.iloc[0]["ci_high"]) if len(row) else None

    sections: list = [
        back,
        html.H2(metric.name, className="h3 mt-2"),
        coverage_notice(cover),
        dbc.Row([
            dbc.Col([
                html.P([html.Span(value_text, className="display-6 fw-bold me-2", **{"data-metric": metric.id}),
                        html.Span(state.describe_period())]),
                html.P(interval, className="small") if interval else None,
                html.P(lookback, className="small tile-lookback") if (
                    lookback := views.lookback_text(metric, state.period_from)) else None,
            ], lg=7),
            dbc.Col(dbc.Card(dbc.CardBody([html.H3("Definition", className="h6"), definition_list(metric)])), lg=5),
        ], className="mb-3"),
    ]

    # Monthly SPC chart.
    sections.append(html.H3("Month by month", className="h4 mt-3"))
    if suppressed and views.monthly_suppressed(metric.id, level, unit_code, before_from, state.period_to, forces):
        sections.append(components.notice("The monthly series is withheld: some months have small numbers."))
    else:
        spc = views.monthly_spc(metric.id, level, unit_code, before_from, state.period_to, forces)
        if spc.empty:
            sections.append(components.notice("No monthly data for this period."))
        else:
            fig = figures.spc_chart(spc, title=f"{metric.name}: statistical process control chart", percent=percent,
                                    counting_rule_marker=views.is_crime_series(metric))
            table = views.spc_display_frame(spc, metric)
            sections.append(components.chart_and_table(
                f"{page}-spc", fig, figures.summarise_series(spc, label=metric.name, percent=percent), table,
                f"{metric.name} by month with control limits", f"{metric.id}-monthly"))

    # Breakdowns.
    if metric.breakdowns:
        sections.append(html.H3("Breakdowns", className="h4 mt-3"))
        select_id = {"type": BREAKDOWN_SELECT, "page": page}
        sections.append(dbc.Row(dbc.Col([
            dbc.Label("Break down by", html_for=components.dom_id(select_id), className="fw-semibold"),
            dbc.Select(id=select_id, value=metric.breakdowns[0],
                       options=[{"label": breakdown_name(b), "value": b} for b in metric.breakdowns]),
        ], md=6, lg=4), className="mb-2"))
        sections.append(dcc.Store(id={"type": "breakdown-context", "page": page}, data={
            "metric": metric.id, "level": level, "unit": unit_code, "from": state.period_from.isoformat(),
            "to": state.period_to.isoformat(),
        }))
        sections.append(html.Div(
            breakdown_view(metric.id, level, unit_code, state.period_from, state.period_to, metric.breakdowns[0],
                           suppressed=suppressed, page=page, forces=forces),
            id={"type": "breakdown-view", "page": page}, **{"aria-live": "polite"},
        ))

    # Funnel of the level below.
    lower = NEXT_LEVEL.get(level)
    if lower and not (suppressed and lower == "division"):
        sections.append(html.H3(f"{'Divisions' if lower == 'division' else 'Partnerships'} compared", className="h4 mt-3"))
        funnel = views.funnel_data(metric.id, lower, state.period_from, state.period_to, suppressed=suppressed,
                                   forces=forces)
        if funnel is None:
            units = views.headline_frame(lower, state.period_from, state.period_to, None, forces)
            units = units[units["metric_id"] == metric.id].reset_index(drop=True)
            if suppressed:
                units = views.suppress(units)
            unit_words = views.level_label(lower).lower()
            fig = figures.bar_chart(units.assign(v=pd.to_numeric(units["value"], errors="coerce")),
                                    category="unit_name", value="v", percent=percent,
                                    title=f"{metric.name} by {unit_words}")
            sections.append(html.P("A count is not compared on a funnel plot: units differ in size.", className="small"))
            sections.append(components.chart_and_table(
                f"{page}-units", fig, f"{metric.name} for each {unit_words}, as bars.",
                views.display_frame(units, metric), f"{metric.name} by {unit_words}", f"{metric.id}-{lower}"))
        else:
            highlight = None
            if level == "division" and unit_code:
                match = funnel.units[funnel.units["unit_code"] == unit_code]
                highlight = match.iloc[0]["unit_name"] if len(match) else None
            fig = figures.funnel_plot(funnel.units.assign(denominator=funnel.units["denominator"].astype(float),
                                                          value=funnel.units["value"].astype(float)),
                                      funnel.limits, percent=percent, title=f"{metric.name}: funnel plot",
                                      x_title="Size: the number the value is out of", highlight=highlight)
            table = views.display_frame(funnel.units, metric)
            table["Position on the funnel"] = [FUNNEL_POSITION_WORDS.get(p, p) for p in funnel.units["position"]]
            outside = funnel.units[funnel.units["position"].str.contains("99.8")]
            summary = (f"Funnel plot of {metric.name} for {len(funnel.units)} units against the force value "
                       f"{views.format_value(metric, funnel.target)}. "
                       + (f"Outside the 99.8% limits: {', '.join(outside['unit_name'])}." if len(outside)
                          else "No unit is outside the 99.8% limits."))
            sections.append(components.chart_and_table(
                f"{page}-funnel", fig, summary, table,
                f"{metric.name} by {views.level_label(lower).lower()}, with funnel position",
                f"{metric.id}-{lower}-funnel"))
    sections.append(compare_components.forces_compared(page, metric.id, level, unit_code, state.period_from,
                                                       state.period_to, suppressed=suppressed, forces=forces))
    return html.Div(sections, className="metric-detail")


def metric_chooser(page: str, metric_id: str) -> dbc.Row:
    """The measure shown in the detail view: a filter, so it is kept in the URL (``metric=``)."""
    select_id = ids.filter_id(page, "metric")
    return dbc.Row(dbc.Col([
        dbc.Label("Measure", html_for=components.dom_id(select_id), className="fw-semibold"),
        dbc.Select(id=select_id, options=_metric_options(), value=metric_id),
    ], md=8, lg=6), className="mb-3")


def breakdown_view(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date,
                   breakdown: str, *, suppressed: bool, page: str, forces: views.Forces = None):
    metric = METRICS[metric_id]
    unit = unit_code if level != "force" else None
    frame = views.breakdown_frame(metric_id, level, unit, period_from, period_to, forces)
    if suppressed:
        headline = views.unit_headline(level, unit, period_from, period_to, suppressed=False, forces=forces)
        headline = headline[headline["metric_id"] == metric_id]
        frame = views.suppress(pd.concat([headline, frame], ignore_index=True))
        frame = frame[frame["breakdown"].notna()]
    frame = frame[frame["breakdown"] == breakdown].reset_index(drop=True)
    if frame.empty:
        return components.notice("No records in this breakdown for the period.")
    frame = views.ordered_breakdown(frame, breakdown)
    numeric = frame.assign(v=pd.to_numeric(frame["value"], errors="coerce"))
    words = breakdown_name(breakdown)
    words = words[0].lower() + words[1:]
    fig = figures.bar_chart(numeric, category="label", value="v", percent=views.is_percent(metric),
                            title=f"{metric.name} by {words}")
    top = numeric.sort_values("v", ascending=False).iloc[0]
    summary = (f"Bar chart of {metric.name} by {words}, {len(frame)} categories; the highest is "
               f"{top['label']} at {views.format_value(metric, top['v'])}.")
    return components.chart_and_table(f"{page}-breakdown", fig, summary,
                                      views.display_frame(frame, metric, with_area=False),
                                      f"{metric.name} by {words}", f"{metric_id}-{breakdown}")


def register_callbacks(app) -> None:
    @app.callback(
        Output({"type": "breakdown-view", "page": MATCH}, "children"),
        Input({"type": BREAKDOWN_SELECT, "page": MATCH}, "value"),
        State({"type": "breakdown-context", "page": MATCH}, "data"),
        State({"type": "breakdown-context", "page": MATCH}, "id"),
        prevent_initial_call=True,
    )
    def _show_breakdown(breakdown: str, context: dict, store_id: dict):
        # The unit is the request's scope (resolved by the guard from the context's level and unit), never
        # the context's own words: a renamed store would otherwise choose the unit unchecked.
        if not (isinstance(context, dict) and isinstance(context.get("metric"), (str, type(None)))
                and isinstance(store_id, dict) and isinstance(store_id.get("page"), str)):
            raise MalformedRequest("this view's context is not the one the page made")
        try:
            scope = current_scope()
        except Forbidden as exc:
            return components.refusal(str(exc))
        metric = METRICS.get(context.get("metric"))
        if metric is None or breakdown not in metric.breakdowns:
            return components.notice("Choose a breakdown from the list.")
        try:
            period_from, period_to = date.fromisoformat(context["from"]), date.fromisoformat(context["to"])
        except (KeyError, TypeError, ValueError):
            return components.notice("Choose the period again: this view's period was not recognised.")
        return breakdown_view(metric.id, scope.level, scope.unit_code, period_from, period_to, breakdown,
                              suppressed=scope.suppressed, page=store_id["page"], forces=views.forces_of(scope))

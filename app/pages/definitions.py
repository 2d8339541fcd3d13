"""/definitions — the metric registry, readable: every measure grouped by indicator, the thresholds the
figures were built with, and what is not yet measured."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from app import components, data, tiles, views
from metrics.registry import INDICATORS, INDICATORS_SOURCE, METRICS, NOT_YET_MEASURED

dash.register_page(__name__, path="/definitions", name="Definitions", order=90,
                   title="Definitions – Domestic abuse performance")


def _metric_section(metric_id: str) -> html.Section:
    metric = METRICS[metric_id]
    # The measure is named by its name; its id (what exports carry) is only the anchor other pages link to.
    return html.Section([
        html.H3(metric.name, className="h6 mb-1", id=f"metric-{metric.id}"),
        tiles.definition_list(metric),
    ], className="border-bottom pb-2 mb-3")


def _thresholds_section() -> html.Section:
    built = data.database_ready()
    rows = [html.Tr([html.Th(t.label, scope="row", className="fw-semibold"), html.Td(t.value_text),
                     html.Td([t.source, *([html.Br(), html.Span(t.note, className="text-body-secondary")]
                                          if t.note else [])])])
            for t in views.thresholds_shown()]
    return html.Section([
        html.H2("Thresholds and reference values", className="h4 mt-4", id="thresholds"),
        html.P("The time limits and reference values the figures are worked out with, and where each comes from. "
               + ("These are the values the current figures were built with when the data were last loaded."
                  if built else "No data are loaded yet: these are the values the figures will be built with."),
               className="small"),
        dbc.Table([
            html.Caption("Thresholds and reference values", className="visually-hidden"),
            html.Thead(html.Tr([html.Th("Setting", scope="col"), html.Th("Value", scope="col"),
                                html.Th("Source", scope="col")])),
            html.Tbody(rows),
        ], bordered=False, striped=True, size="sm", className="small thresholds-table"),
    ])


def layout(**_query):
    # The registry is public definitions, not data: no policy check, and no database needed.
    sections = [
        components.page_heading("Definitions", "Every measure the dashboard shows: the question it answers, how "
                                "it is counted, which way is better, where the definition comes from."),
        html.P(INDICATORS_SOURCE, className="small"),
        html.Nav(html.Ul([html.Li(html.A(f"{i.number}. {i.title}", href=f"#indicator-{i.number}")) for i in INDICATORS]
                         + [html.Li(html.A("Other measures", href="#indicator-other")),
                            html.Li(html.A("Thresholds and reference values", href="#thresholds")),
                            html.Li(html.A("Not yet measured", href="#not-yet-measured"))],
                         className="columns-2 small"), **{"aria-label": "Indicators on this page"}),
    ]
    in_nine = set()
    for indicator in INDICATORS:
        in_nine.update(indicator.metric_ids)
        sections.append(html.Section([
            html.H2(f"{indicator.number}. {indicator.title}", className="h4 mt-4", id=f"indicator-{indicator.number}"),
            html.P(indicator.question, className="lead fs-6"),
            html.P(["Headline measure: ", html.A(METRICS[indicator.headline].name, href=f"#metric-{indicator.headline}")],
                   className="small"),
            *[_metric_section(mid) for mid in indicator.metric_ids],
        ]))
    others = [mid for mid in METRICS if mid not in in_nine]
    if others:
        sections.append(html.Section([
            html.H2("Other measures", className="h4 mt-4", id="indicator-other"),
            *[_metric_section(mid) for mid in others],
        ]))
    sections.append(_thresholds_section())
    sections.append(html.Section([
        html.H2("Not yet measured", className="h4 mt-4", id="not-yet-measured"),
        html.P("Measures in the College of Policing's list of performance measures that no extract feeds yet: "
               "listed so they are not silently left out.",
               className="small"),
        dbc.ListGroup([dbc.ListGroupItem([html.H3(n.name, className="h6"), html.P(n.why, className="small mb-1"),
                                          html.P(f"Source: {n.source}", className="small mb-0")])
                       for n in NOT_YET_MEASURED]),
    ]))
    return html.Div(sections)

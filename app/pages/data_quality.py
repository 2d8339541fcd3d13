"""/data-quality — what was loaded and when, what was quarantined and why, how complete the incident
fields are by division, unknown offence codes, and records naming an incident that is not loaded.
Thin: the questions are ``metrics.data_quality``'s; every callback checks ``can_see_data_quality``.
"""
from __future__ import annotations

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Output, callback, html

from app import components, data, figures, ids
from app.auth.context import current_principal
from app.auth.policy import can_see_data_quality
from metrics import data_quality

PAGE = "data-quality"
FIELDS = ("from", "to")

dash.register_page(__name__, path="/data-quality", name="Data quality", order=6, title="Data quality")

LOADS = ids.page_id(PAGE, "loads")
QUARANTINE = ids.page_id(PAGE, "quarantine")
COMPLETENESS = ids.page_id(PAGE, "completeness")
UNKNOWN_CODES = ids.page_id(PAGE, "unknown-codes")
ORPHANS = ids.page_id(PAGE, "orphans")


def section(title: str, content_id: str) -> html.Section:
    return html.Section([html.H2(title, className="h4"), html.Div(id=content_id)], className="mb-4")


def layout(**query) -> html.Div:
    heading = components.page_heading(
        "Data quality",
        "Loads, quarantined rows, completeness of the incident fields by division, offence codes the "
        "reference table does not know, and arrests or notices that name an incident not loaded.",
    )
    if not data.database_ready():
        return html.Div([heading, components.no_database()])
    state = components.FilterState.from_query(query)
    return html.Div(
        [
            heading,
            section("Load history", LOADS),
            section("Quarantined rows by rule", QUARANTINE),
            html.Section(
                [
                    html.H2("Field completeness by division", className="h4"),
                    html.P("For incidents reported in the period chosen here.", className="small"),
                    components.filter_bar(PAGE, state, FIELDS),
                    html.Div(id=COMPLETENESS),
                ],
                className="mb-4",
            ),
            section("Unknown offence codes", UNKNOWN_CODES),
            section("Orphan records", ORPHANS),
        ]
    )


def _allowed() -> bool:
    return can_see_data_quality(current_principal())


REFUSAL = "Data quality is for analysts, coordinators and chief officers."


@data.cached
def _static_views() -> dict[str, pd.DataFrame]:
    con = data.connection()
    return {
        "loads": data_quality.load_history(con),
        "files": data_quality.load_files(con),
        "quarantine": data_quality.quarantine_by_rule(con),
        "unknown_codes": data_quality.unknown_offence_codes(con),
        "orphan_counts": data_quality.orphan_counts(con),
        "orphans": data_quality.orphan_records(con),
    }


@data.cached
def _completeness(period_from, period_to) -> pd.DataFrame:
    return data_quality.field_completeness(data.connection(), period_from, period_to)


def _table(name: str, frame: pd.DataFrame, caption: str, empty: str) -> html.Div:
    if frame.empty:
        return components.notice(empty)
    return components.data_table(ids.page_id(PAGE, name), frame, caption, f"data-quality-{name}", page_size=25)


@callback(
    Output(LOADS, "children"), Output(QUARANTINE, "children"), Output(UNKNOWN_CODES, "children"),
    Output(ORPHANS, "children"),
    *components.filter_inputs(PAGE, ("from",)),
)
def update_static_views(_from_month):
    if not _allowed():
        refused = components.refusal(REFUSAL)
        return refused, None, None, None
    views = _static_views()
    loads = html.Div([
        _table("loads", views["loads"], "Loads, newest first", "No loads recorded."),
        html.H3("Files in each load", className="h5"),
        _table("files", views["files"], "Files, newest load first", "No files recorded."),
    ])
    quarantine = _table("quarantine", views["quarantine"], "Quarantined rows by table and rule",
                        "No rows have been quarantined.")
    unknown = _table("unknown-codes", views["unknown_codes"], "Offence codes not in the reference table",
                     "Every offence code is in the reference table.")
    counts = views["orphan_counts"]
    sentence = "; ".join(f"{row.table_name}: {row.orphans:,} of {row.with_incident_id:,} that name an incident"
                         for row in counts.itertuples())
    orphans = html.Div([
        html.P(f"Records naming an incident that is not loaded — {sentence}.", id=ids.page_id(PAGE, "orphan-counts")),
        _table("orphan-list", views["orphans"], "Orphan records", "No orphan records."),
    ])
    return loads, quarantine, unknown, orphans


def _heatmap(matrix: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    # Sequential blues from the palette's blue: light = incomplete, dark = complete; every cell labelled.
    fig = go.Figure(go.Heatmap(
        z=matrix.to_numpy(), x=list(matrix.columns), y=[names.get(code, code) for code in matrix.index],
        zmin=0, zmax=1, colorscale=[[0, "#f7fbff"], [1, figures.PALETTE["blue"]]],
        text=[[figures.format_number(v, percent=True, decimals=0) for v in row] for row in matrix.to_numpy()],
        texttemplate="%{text}", hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
        colorbar={"title": "Known", "tickformat": ".0%"},
    ))
    fig.update_layout(template=figures.TEMPLATE, height=max(260, 60 * len(matrix) + 160),
                      title={"text": "Share of incidents with each field known", "x": 0, "font": {"size": 15}},
                      xaxis={"tickangle": -35, "automargin": True}, yaxis={"automargin": True})
    return fig


@callback(Output(COMPLETENESS, "children"), *components.filter_inputs(PAGE, FIELDS))
def update_completeness(from_month, to_month):
    if not _allowed():
        return components.refusal(REFUSAL)
    state = components.FilterState.from_values(from_month, to_month)
    completeness = _completeness(state.period_from, state.period_to)
    if completeness.empty:
        return components.notice(f"No incidents reported {state.describe_period()}.")
    matrix = data_quality.completeness_matrix(completeness)
    names = dict(zip(completeness["division_code"], completeness["division_name"].fillna(completeness["division_code"])))
    worst = completeness.sort_values("share_known").iloc[0]
    summary = (f"Completeness of {len(matrix.columns)} incident fields in {len(matrix)} divisions, "
               f"{state.describe_period()}; the least complete is {worst['field']} in "
               f"{names.get(worst['division_code'], worst['division_code'])} at "
               f"{figures.format_number(worst['share_known'], percent=True)}. "
               "For risk_level, known means assessed (not 'not_assessed').")
    table = completeness.assign(share_known=(completeness["share_known"] * 100).round(1)).rename(
        columns={"share_known": "% known"})
    return components.chart_and_table(ids.page_id(PAGE, "completeness-table"), _heatmap(matrix, names), summary,
                                      table, f"Field completeness by division, {state.describe_period()}",
                                      "data-quality-completeness")

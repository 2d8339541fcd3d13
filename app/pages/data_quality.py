"""/data-quality — what was loaded and when, what was quarantined and why, how complete the incident
fields are by division, unknown offence codes, and records naming an incident that is not loaded.
Thin: the questions are ``metrics.data_quality``'s; every callback checks ``can_see_data_quality``. Every
table is in words: extracts and rules by name, fields by their headings, times as people write them (a
load's own messages name fields, so they are not shown; nor are file names or file hashes).
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
from metrics.formatting import format_count, format_datetime, format_number, format_period
from reference.vocabulary import heading, label

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
    title_block = components.page_heading(
        "Data quality",
        "Loads, quarantined rows, completeness of the incident fields by division, offence codes the "
        "reference table does not know, and arrests or notices that name an incident not loaded.",
    )
    if not data.database_ready():
        return html.Div([title_block, components.no_database()])
    state = components.FilterState.from_query(query)
    return html.Div(
        className="operational-page",
        children=[
            title_block,
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
            section("Offence codes the reference table does not know", UNKNOWN_CODES),
            section("Records naming an incident that is not loaded", ORPHANS),
        ],
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


def _moments(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if pd.isna(v) else format_datetime(v, with_year=True))


def _counts(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, pd.Series]:
    return {heading(column): frame[column].map(format_count) for column in columns}


ROW_COUNTS = ("rows_read", "rows_inserted", "rows_updated", "rows_unchanged", "rows_quarantined")


def loads_table(loads: pd.DataFrame) -> pd.DataFrame:
    """Every load as the page shows it: when, its result, what it said, its files' rows."""
    return pd.DataFrame({
        heading("started_at"): _moments(loads["started_at"]),
        heading("finished_at"): _moments(loads["finished_at"]),
        "Result": loads["status"].map(lambda s: label("load_status", s)),
        heading("message"): loads["message"].fillna(""),
        **_counts(loads, ("files", *ROW_COUNTS)),
    })


def files_table(files: pd.DataFrame) -> pd.DataFrame:
    """Each load's extracts (named, not by file name) and their rows."""
    return pd.DataFrame({
        "Load started": _moments(files["started_at"]),
        heading("table_name"): files["table_name"].map(lambda t: label("table", t)),
        **_counts(files, ROW_COUNTS),
    })


def quarantine_table(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows by extract and rule, in words (the load's own message names fields: not shown)."""
    return pd.DataFrame({
        heading("table_name"): quarantine["table_name"].map(lambda t: label("table", t)),
        heading("rule"): quarantine["rule"].map(lambda r: label("quarantine_rule", r)),
        heading("column_name"): quarantine["column_name"].map(lambda c: "" if pd.isna(c) else heading(c)),
        "Rows in the latest load": quarantine["rows_quarantined"].map(format_count),
        **_counts(quarantine, ("records_ever", "batches")),
        heading("last_quarantined_at"): _moments(quarantine["last_quarantined_at"]),
    })


def unknown_codes_table(codes: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Offence code as received": codes["offence_code"],
        "Crimes": codes["incidents"].map(format_count),
        heading("first_recorded_at"): _moments(codes["first_recorded_at"]),
        heading("last_recorded_at"): _moments(codes["last_recorded_at"]),
    })


def orphans_table(orphans: pd.DataFrame) -> pd.DataFrame:
    names = components.with_unit_names(orphans, csp_column=None)
    return pd.DataFrame({
        heading("table_name"): orphans["table_name"].map(lambda t: label("table", t)),
        heading("record_id"): orphans["record_id"],
        "Incident it names": orphans["incident_id"],
        "Division": names["division_name"],
        heading("event_at"): _moments(orphans["event_at"]),
    })


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
        _table("loads", loads_table(views["loads"]), "Loads, newest first", "No loads recorded."),
        html.H3("Extracts in each load", className="h5"),
        _table("files", files_table(views["files"]), "Extracts, newest load first", "No extracts recorded."),
    ])
    quarantine = _table("quarantine", quarantine_table(views["quarantine"]), "Quarantined rows by extract and rule",
                        "No rows have been quarantined.")
    unknown = _table("unknown-codes", unknown_codes_table(views["unknown_codes"]),
                     "Offence codes not in the reference table", "Every offence code is in the reference table.")
    counts = views["orphan_counts"]
    sentence = "; ".join(f"{label('table', row.table_name).lower()}: {format_count(row.orphans)} of "
                         f"{format_count(row.with_incident_id)} that name an incident"
                         for row in counts.itertuples())
    orphans = html.Div([
        html.P(f"Records naming an incident that is not loaded — {sentence}.", id=ids.page_id(PAGE, "orphan-counts")),
        _table("orphan-list", orphans_table(views["orphans"]), "Records naming an incident that is not loaded",
               "No such records."),
    ])
    return loads, quarantine, unknown, orphans


def _heatmap(matrix: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    # Sequential blues from the palette's blue: light = incomplete, dark = complete; every cell labelled.
    fig = go.Figure(go.Heatmap(
        z=matrix.to_numpy(), x=[heading(field) for field in matrix.columns],
        y=[names.get(code, code) for code in matrix.index],
        zmin=0, zmax=1, colorscale=[[0, "#f7fbff"], [1, figures.PALETTE["blue"]]],
        text=[[format_number(v, percent=True, decimals=0) for v in row] for row in matrix.to_numpy()],
        texttemplate="%{text}", hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
        colorbar={"title": "Known", "tickformat": ".0%"},
    ))
    fig.update_layout(height=max(260, 60 * len(matrix) + 160),
                      title={"text": "Share of incidents with each field known", "x": 0, "font": {"size": 15}},
                      xaxis={"tickangle": -35, "automargin": True}, yaxis={"automargin": True})
    return fig


def completeness_table(completeness: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Division": completeness["division_name"].fillna("Not recorded"),
        heading("column_name"): completeness["field"].map(heading),
        "Incidents": completeness["incidents"].map(format_count),
        "Known": completeness["known"].map(format_count),
        "Share known": completeness["share_known"].map(lambda v: format_number(v, percent=True)),
    })


@callback(Output(COMPLETENESS, "children"), *components.filter_inputs(PAGE, FIELDS))
def update_completeness(from_month, to_month):
    if not _allowed():
        return components.refusal(REFUSAL)
    problem = components.period_order_problem(from_month, to_month)
    if problem:
        return components.notice(problem)
    state = components.FilterState.from_values(from_month, to_month)
    period = format_period(state.period_from, state.period_to)
    completeness = _completeness(state.period_from, state.period_to)
    if completeness.empty:
        return components.notice(f"No incidents were reported in {period}.")
    matrix = data_quality.completeness_matrix(completeness)
    names = dict(zip(completeness["division_code"], completeness["division_name"].fillna("Not recorded")))
    worst = completeness.sort_values("share_known").iloc[0]
    summary = (f"Completeness of {len(matrix.columns)} incident fields in {len(matrix)} divisions, {period}; the "
               f"least complete is {heading(worst['field']).lower()} in {names.get(worst['division_code'])} at "
               f"{format_number(worst['share_known'], percent=True)}. For the risk level, known means assessed.")
    return components.chart_and_table(ids.page_id(PAGE, "completeness-table"), _heatmap(matrix, names), summary,
                                      completeness_table(completeness), f"Field completeness by division, {period}",
                                      "data-quality-completeness")

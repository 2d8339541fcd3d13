"""/daily — the morning management meeting as a briefing: since the last meeting, by division, what needs a
decision today, most urgent first. A summary card per division counts each action list (each count a link
to its list); the lists are grids with people's words, dates as "Mon 30 Nov 09:14", status chips and only
the short pseudonymised references. ``?view=present`` shows one division at a time in large type for the
meeting-room screen; "Print the briefing" prints every row.

Thin: the questions are ``metrics.daily``'s; the unit is ``current_scope()``'s. The summary is
division-level figures; the action lists are record-level (``Scope.may_see_records``). The server guard's
403 is not shown by Dash, so a division lead's division control offers only their divisions and opens on
one, and a principal who may see no action list is told so in the layout.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from app import components, data, ids, views
from app.auth.context import current_principal
from app.auth.guard import record_level
from app.auth.policy import can_see_aggregates
from app.auth.scope import current_scope
from metrics import daily
from metrics.formatting import format_count, format_date, format_datetime, format_duration
from metrics.periods import data_coverage
from reference.vocabulary import heading, label

PAGE = "daily"
FIELDS = ("meeting", "division")
PRESENT = "present"

dash.register_page(__name__, path="/daily", name="Daily meeting", order=4, title="Daily management meeting")

WINDOW = ids.page_id(PAGE, "window")
SUMMARY = ids.page_id(PAGE, "summary")
ACTIONS = record_level(ids.page_id(PAGE, "actions"), view="daily action lists")
VIEW = ids.page_id(PAGE, "view")
PRESENT_LINK = ids.page_id(PAGE, "present-link")
PRINT = ids.page_id(PAGE, "print")
PRINTED = ids.page_id(PAGE, "printed")
PREVIOUS_DIVISION = ids.page_id(PAGE, "previous-division")
NEXT_DIVISION = ids.page_id(PAGE, "next-division")
MEETING_CONTROL = ids.filter_id(PAGE, "meeting")
DIVISION_CONTROL = ids.filter_id(PAGE, "division")
ROWS_PER_PAGE = 10

ACTIONS_REFUSAL = ("Action lists are for chief officers and coordinators, and for a division lead within their "
                   "own division.")
LEAD = ("Since the last meeting (the previous working day's), by division: what needs a decision today, most "
        "urgent first. Each count opens its list. People are shown by pseudonymised reference only.")


def list_anchor(key: str) -> str:
    """The id of an action list's section, which its count in the summary links to."""
    return ids.page_id(PAGE, f"list-{key}")


def _meeting_words(meeting: datetime) -> str:
    return format_datetime(meeting, with_year=True)


def _address_notices(meeting: str | None, division: str | None, own: list[str] | None,
                     default_meeting: datetime) -> tuple[list[str], str | None]:
    """What was wrong with the address, in words, and the division shown instead."""
    notices = []
    if meeting and daily.parse_meeting_time(meeting, None) is None:
        notices.append(f"“{meeting}” is not a meeting time (a date and a time, such as "
                       f"{default_meeting:%Y-%m-%dT%H:%M}): showing the meeting at "
                       f"{_meeting_words(default_meeting)} instead.")
    if division:
        division, notice = components.known_division(
            division, components.division_name(own[0]) if own else "every division")
        notices += [notice] if notice else []
    if own and division not in own:
        if division:
            notices.append(f"Your action lists are those of your own division: showing "
                           f"{components.division_name(own[0])}.")
        division = own[0]
    return notices, division


def layout(meeting: str | None = None, division: str | None = None, view: str | None = None, **_other) -> html.Div:
    present = view == PRESENT
    heading_block = components.page_heading("Daily management meeting", None if present else LEAD)
    if not data.database_ready():
        return html.Div([heading_block, components.no_database()])
    principal = current_principal()
    if not can_see_aggregates(principal, "division", None):
        return html.Div([heading_block, components.refusal("The daily meeting shows division figures.")])
    own = components.own_divisions(principal)
    default_meeting = components.meeting_used(None)
    notices, division = _address_notices(meeting, division, own, default_meeting)
    divisions = data.divisions()
    offered = [code for code in divisions["division_code"] if not own or code in own]
    if present and not division and offered:
        division = offered[0]  # the meeting-room screen takes one division at a time
    # The page's own default unit is checked as any request's is.
    scope = current_scope().at("division", division) if division else current_scope().at("force", None)
    meeting_at = daily.parse_meeting_time(meeting, None) or default_meeting
    division_options = ([] if own or present else [{"label": "All divisions", "value": ""}]) + [
        {"label": row.division_name, "value": row.division_code} for row in divisions.itertuples()
        if row.division_code in offered
    ]
    # The action lists' callback runs only when its output is on the page: a principal refused the lists
    # for the division chosen (no other can be chosen) sees the refusal instead of a blank.
    actions = html.Div(id=ACTIONS) if scope.may_see_records else components.refusal(ACTIONS_REFUSAL)
    return html.Div(
        [
            heading_block,
            components.address_notices(notices) if notices else None,
            _controls(meeting_at, division, division_options, present),
            html.Div(id=WINDOW, role="status", className="briefing-window"),
            html.Section([html.H2("What needs a decision today", className="h4"), html.Div(id=SUMMARY)],
                         className="mb-4", **{"aria-label": "Summary by division"}),
            html.Section([html.H2("Action lists, most urgent first", className="h4"), actions], className="mb-4"),
            dcc.Store(id=VIEW, data=PRESENT if present else "briefing"),
            dcc.Store(id=PRINTED),
        ],
        className="operational-page daily-briefing" + (" present-view" if present else ""),
    )


def _controls(meeting_at: datetime, division: str | None, options: list[dict], present: bool) -> html.Form:
    meeting_col = dbc.Col([
        dbc.Label("Meeting time", html_for=components.dom_id(MEETING_CONTROL), className="fw-semibold"),
        dbc.Input(id=MEETING_CONTROL, type="datetime-local", step=60, value=f"{meeting_at:%Y-%m-%dT%H:%M}"),
    ], xs=12, sm=6, lg=3)
    division_col = dbc.Col([
        dbc.Label("Division", html_for=components.dom_id(DIVISION_CONTROL), className="fw-semibold"),
        # The placeholder is what an empty value shows: "All divisions", never a blank box.
        dbc.Select(id=DIVISION_CONTROL, options=options, value=division or "", placeholder="All divisions"),
    ], xs=12, sm=6, lg=3)
    # Buttons of type "button": inside the form, any other would submit it and reload the page.
    if present:
        actions = [
            dbc.Button("Previous division", id=PREVIOUS_DIVISION, color="dark", outline=True, type="button"),
            dbc.Button("Next division", id=NEXT_DIVISION, color="primary", type="button"),
            html.A("Leave the present view", id=PRESENT_LINK, href="/daily", className="btn btn-link"),
        ]
    else:
        actions = [
            html.A("Present to the meeting", id=PRESENT_LINK, href=_present_href(meeting_at, division),
                   className="btn btn-primary"),
            dbc.Button("Print the briefing", id=PRINT, color="dark", outline=True, type="button"),
        ]
    return html.Form(
        dbc.Row([meeting_col, division_col,
                 dbc.Col(html.Div(actions, className="d-flex flex-wrap gap-2"), xs=12, lg=6)],
                className="g-3 align-items-end"),
        role="search", **{"aria-label": "Filters"},
        className="filters daily-controls border rounded p-3 mb-3 bg-light",
    )


def _present_href(meeting: datetime, division: str | None, present: bool = True) -> str:
    query = {"meeting": f"{meeting:%Y-%m-%dT%H:%M}"}
    if division:
        query["division"] = division
    if present:
        query["view"] = PRESENT
    return "/daily?" + urlencode(query)


# --- questions ---------------------------------------------------------------------------------------


@data.cached
def _action_lists(meeting: datetime, division: str | None, forces: tuple[str, ...] | None) -> dict[str, pd.DataFrame]:
    return daily.action_lists(data.connection(), daily.meeting_window(meeting), division, forces)


@data.cached
def _summary(meeting: datetime, division: str | None, forces: tuple[str, ...] | None) -> pd.DataFrame:
    return daily.daily_summary(data.connection(), daily.meeting_window(meeting), data.divisions(), division,
                               lists=_action_lists(meeting, division, forces), forces=forces)


def _division_of_scope() -> str | None:
    scope = current_scope()
    return scope.division_code if scope.level == "division" else None


def _coverage(window: daily.MeetingWindow) -> tuple[str, str | None]:
    """How much of the window the loaded records cover ("whole", "part", "none"), and what to say."""
    months = data.data_months()
    last_moment = window.end - timedelta(microseconds=1)
    covered = data_coverage(window.start.date(), last_moment.date(), months.first_day, months.last_day)
    if covered == "none":
        return covered, (f"No records cover this meeting: the data run from {format_date(months.first_day)} to "
                         f"{format_date(months.last_day)}. Choose a meeting time within them.")
    if covered == "part" and window.end.date() > months.last_day:
        return covered, (f"Records are loaded to the end of {format_date(months.last_day)}: anything after that "
                         "is not in these counts and lists yet.")
    if covered == "part":
        return covered, (f"The records start on {format_date(months.first_day)}: the earlier part of this "
                         "window has none.")
    return covered, None


# --- summary -----------------------------------------------------------------------------------------


def _parts(row: pd.Series, key: str) -> str | None:
    """What a list's count is made of, in words (for the lists that mix more than one kind of case)."""
    if key == "notices":
        parts = [(row["notices_hearing_missed"], "missed", "missed"), (row["notices_hearing_due"], "due", "due")]
    elif key == "dvds":
        parts = [(row["dvds_checks_overdue"], "with initial checks overdue", "with initial checks overdue"),
                 (row["dvds_decision_late"], "decision late", "decisions late"),
                 (row["dvds_decision_due"], "decision due within days", "decisions due within days")]
    else:
        return None
    shown = [f"{format_count(count)} {one if count == 1 else many}" for count, one, many in parts if count]
    return ", ".join(shown) if shown else None


def _count(row: pd.Series, key: str) -> html.Span | html.A:
    count = int(row[key])
    attributes = {"data-summary": key, "data-division": row["division_code"]}
    if not count:
        return html.Span("0", className="briefing-count briefing-count-none", **attributes)
    return html.A(format_count(count), href=f"#{list_anchor(key)}", className="briefing-count",
                  title=f"Open the list: {daily.ACTION_LISTS[key].title}", **attributes)


def _card(row: pd.Series) -> dbc.Col:
    new = int(row["new_incidents"])
    risk_parts = [f"{format_count(row[f'new_{level}'])} {label('risk_level', level).lower()}"
                  for level in daily.RISK_LEVELS if row[f"new_{level}"]]
    new_words = [html.Span(format_count(new), className="fw-bold", **{"data-summary": "new_incidents"}),
                 " new incident" + ("" if new == 1 else "s") + " since the last meeting"
                 + (f" ({', '.join(risk_parts)} risk)" if risk_parts else "") + "."]
    items = []
    for key, item in daily.ACTION_LISTS.items():
        parts = _parts(row, key)
        items.append(html.Li([
            _count(row, key),
            html.Span([item.count_words, html.Span(f" ({parts})", className="text-body-secondary") if parts else None]),
        ], className="briefing-item"))
    return dbc.Col(
        dbc.Card(dbc.CardBody([
            html.H3(row["division_name"], className="h5 card-title"),
            html.P(new_words, className="mb-2"),
            html.Ol(items, className="briefing-items mb-0"),
        ]), id=ids.page_id(PAGE, f"card-{row['division_code']}"), className="h-100 briefing-card"),
        xs=12, md=6, xl=4, className="mb-3 briefing-card-col",
    )


@callback(
    Output(WINDOW, "children"), Output(SUMMARY, "children"), Output(PRESENT_LINK, "href"),
    *components.filter_inputs(PAGE, FIELDS), State(VIEW, "data"),
)
def update_summary(meeting_text, _division, view):
    division = _division_of_scope()
    meeting = components.meeting_used(meeting_text)
    window = daily.meeting_window(meeting)
    link = _present_href(meeting, division, present=view != PRESENT)
    coverage, coverage_words = _coverage(window)
    words = [html.Strong("Since the last meeting: "),
             f"from {format_datetime(window.start)} to the meeting at {format_datetime(window.end, with_year=True)} "
             f"({window.hours} hours)."]
    status = html.Div([html.P(words, className="fs-6 mb-2"),
                       components.notice(coverage_words) if coverage_words else None])
    if coverage == "none":  # nothing to count: no zeros, no badges
        return status, None, link
    return status, _cards(meeting, division, views.forces_of(current_scope())), link


@data.cached
def _cards(meeting: datetime, division: str | None, forces: tuple[str, ...] | None) -> dbc.Row:
    """The summary's cards for a meeting, built once: everyone at the meeting opens the same briefing
    (read-only: a response only serialises them)."""
    return dbc.Row([_card(row) for _, row in _summary(meeting, division, forces).iterrows()])


# --- action lists --------------------------------------------------------------------------------------


# Each list's columns: (field, kind) with kind "text", "when" (a moment), "day", "number" or "chip".
Columns = list[tuple[str, str]]
NAMES_COLUMNS: Columns = [("division_name", "text"), ("csp_name", "text")]


def _when(frame: pd.DataFrame, column: str, missing: str = "Not yet") -> pd.DataFrame:
    """A moment as a sortable key and the words shown for it."""
    moments = pd.to_datetime(frame[column])
    return frame.assign(**{column: moments.map(lambda v: None if pd.isna(v) else v.isoformat()),
                           f"{column}_text": moments.map(lambda v: missing if pd.isna(v) else format_datetime(v))})


def _notices(frame: pd.DataFrame, window: daily.MeetingWindow) -> tuple[pd.DataFrame, Columns]:
    frame = frame.assign(
        status_text=frame["status"].map(lambda s: label("hearing_status", s)),
        status_tone=frame["status"].map({"missed": "danger", "due": "warning"}),
        hours_left_text=[f"passed {format_duration(h)} ago" if h < 0 else f"in {format_duration(h)}" for h in frame["hours_left"]],
        scheme=frame["scheme"].map(lambda s: label("scheme", s)),
    )
    frame = frame.assign(status=frame["status_text"])
    for column in ("deadline_at", "served_at", "order_applied_at"):
        frame = _when(frame, column)
    return frame, [("status", "chip"), ("hours_left", "number"), ("deadline_at", "when"), ("notice_id", "text"),
                   ("scheme", "text"), ("served_at", "when"), ("order_applied_at", "when"), *NAMES_COLUMNS,
                   ("suspect_ref", "text"), ("victim_ref", "text")]


def _dvds_status(row: pd.Series) -> tuple[str, str]:
    if row["checks_overdue"] and row["decision_late"]:
        return "Checks and decision overdue", "danger"
    if row["checks_overdue"]:
        return "Initial checks overdue", "danger"
    if row["decision_late"]:
        return "Decision late", "danger"
    return "Decision due soon", "warning"


def _dvds(frame: pd.DataFrame, window: daily.MeetingWindow) -> tuple[pd.DataFrame, Columns]:
    statuses = [_dvds_status(row) for _, row in frame.iterrows()]
    late_hours = frame["hours_overdue"]  # from the earliest deadline missed (sql/daily/dvds.sql)
    frame = frame.assign(
        status=[s for s, _ in statuses], status_tone=[t for _, t in statuses],
        hours_overdue=late_hours.round(1),
        hours_overdue_text=[f"{format_duration(h)} late" if h > 0 else f"due in {format_duration(h)}" for h in late_hours],
        route=frame["route"].map(lambda r: label("route", r)),
    )
    for column in ("received_at", "checks_due_at", "decision_due_at"):
        frame = _when(frame, column)
    return frame, [("status", "chip"), ("hours_overdue", "number"), ("application_id", "text"), ("route", "text"),
                   ("received_at", "when"), ("checks_due_at", "when"), ("decision_due_at", "when"), *NAMES_COLUMNS,
                   ("subject_ref", "text"), ("potential_victim_ref", "text")]


def _marac(frame: pd.DataFrame, window: daily.MeetingWindow) -> tuple[pd.DataFrame, Columns]:
    frame = frame.assign(status="Not referred", status_tone="danger",
                         hours_waiting_text=[format_duration(h) for h in frame["hours_waiting"]])
    frame = _when(frame, "reported_at")
    return frame, [("status", "chip"), ("hours_waiting", "number"), ("incident_id", "text"), ("reported_at", "when"),
                   *NAMES_COLUMNS, ("victim_ref", "text"), ("suspect_ref", "text")]


RISK_TONES = {"high": "danger", "medium": "warning", "standard": "neutral", "not_assessed": "neutral"}


def _no_arrest(frame: pd.DataFrame, window: daily.MeetingWindow) -> tuple[pd.DataFrame, Columns]:
    frame = frame.assign(
        risk_level_tone=frame["risk_level"].map(RISK_TONES).fillna("neutral"),
        risk_level=frame["risk_level"].map(lambda r: label("risk_level", r)),
        hours_since_report_text=[format_duration(h) for h in frame["hours_since_report"]],
        no_arrest_reason=frame["no_arrest_reason"].map(lambda r: "Not recorded" if pd.isna(r)
                                                       else label("no_arrest_reason", r)),
    )
    frame = _when(frame, "reported_at")
    return frame, [("risk_level", "chip"), ("hours_since_report", "number"), ("incident_id", "text"),
                   ("reported_at", "when"), ("no_arrest_reason", "text"), *NAMES_COLUMNS, ("suspect_ref", "text"),
                   ("victim_ref", "text")]


def _repeat_victims(frame: pd.DataFrame, window: daily.MeetingWindow) -> tuple[pd.DataFrame, Columns]:
    frame = frame.assign(
        latest_risk_level_tone=frame["latest_risk_level"].map(RISK_TONES).fillna("neutral"),
        latest_risk_level=frame["latest_risk_level"].map(lambda r: label("risk_level", r)),
        first_in_12_months_text=frame["first_in_12_months"].map(format_date),
        first_in_12_months=pd.to_datetime(frame["first_in_12_months"]).map(lambda v: v.isoformat()),
    )
    frame = _when(frame, "latest_reported_at")
    return frame, [("victim_ref", "text"), ("incidents_12_months", "number"), ("latest_risk_level", "chip"),
                   ("latest_incident_id", "text"), ("latest_reported_at", "when"), ("first_in_12_months", "day"),
                   *NAMES_COLUMNS]


SHAPES: dict[str, Callable[[pd.DataFrame, daily.MeetingWindow], tuple[pd.DataFrame, Columns]]] = {
    "notices": _notices, "dvds": _dvds, "marac": _marac, "no_arrest": _no_arrest, "repeat_victims": _repeat_victims,
}
EXPLANATIONS = {
    "notices": "Notices whose order must be heard within 48 hours of service (Sundays and bank holidays not "
               "counted): those whose deadline passed since the last meeting with no hearing, then those still "
               "to be heard, soonest first.",
    "dvds": "Open Clare's Law applications whose initial checks are overdue (24 hours) or whose decision "
            "(28 days) is late or due within days, the longest overdue first.",
    "marac": "High-risk incidents since the last meeting whose victim has not been referred to MARAC, the "
             "longest waiting first.",
    "no_arrest": "Incidents since the last meeting with a power of arrest and no arrest yet, the highest risk "
                 "first.",
    "repeat_victims": "Victims of an incident since the last meeting who have had three or more incidents in "
                      "the last 12 months, the most first.",
}


MIN_WIDTHS = {"chip": 190, "when": 150, "day": 150}


def _column_def(field: str, kind: str) -> dict[str, Any]:
    definition: dict[str, Any] = {"field": field, "headerName": heading(field)}
    if kind in MIN_WIDTHS:
        definition["minWidth"] = MIN_WIDTHS[kind]
    elif field.endswith(("_ref", "_id")):
        definition["minWidth"] = 175  # a reference or a record number on one line, large type included
    if kind in ("when", "day", "number"):
        # The value sorts (a moment's ISO key, a number); the words shown are the formatted ones.
        definition["valueFormatter"] = {"function": "shownText(params)"}
    if kind == "number":
        definition["type"] = "rightAligned"
    if kind == "chip":
        definition["cellRenderer"] = "StatusChip"
    return definition


def _grid(key: str, frame: pd.DataFrame, columns: Columns, caption: str) -> html.Div:
    grid_id = ids.page_id(PAGE, f"grid-{key}")
    fields = [field for field, _ in columns]
    extras = [f"{field}_{part}" for field in fields for part in ("text", "tone") if f"{field}_{part}" in frame]
    table = components.data_table(grid_id, frame[fields + extras], caption, f"daily-{key}", page_size=ROWS_PER_PAGE)
    # The briefing's columns carry formatted words beside sortable values and status chips.
    for child in table.children:
        if isinstance(child, dag.AgGrid):
            child.columnDefs = [_column_def(field, kind) for field, kind in columns]
    return table


@data.cached
def _list_section(key: str, meeting: datetime, division: str | None, forces: tuple[str, ...] | None,
                  where: str) -> html.Section:
    """An action list as the briefing shows it, built once per meeting and division: formatting each row's
    words and the grid took most of a briefing's time, and everyone at the meeting opens the same one
    (read-only: a response only serialises it)."""
    item = daily.ACTION_LISTS[key]
    frame = _action_lists(meeting, division, forces)[key]
    title = html.H3([item.title, " ", html.Span(format_count(len(frame)), className="badge text-bg-dark",
                                                 **{"data-list-count": key})], className="h5")
    if frame.empty:
        body = html.P(f"None since the last meeting in {where}.", className="text-body-secondary")
    else:
        shaped, columns = SHAPES[key](components.with_unit_names(frame), daily.meeting_window(meeting))
        body = _grid(key, shaped, columns, f"{item.title}, {where}: {format_count(len(frame))}")
    # tabIndex -1: the list takes the focus when its count in the summary is followed.
    return html.Section([title, html.P(EXPLANATIONS[key], className="small mb-2"), body], id=list_anchor(key),
                        className="briefing-list mb-4", tabIndex="-1")


@callback(Output(ACTIONS, "children"), *components.filter_inputs(PAGE, FIELDS))
def update_action_lists(meeting_text, _division):
    scope = current_scope()
    if not scope.may_see_records:
        return components.refusal(ACTIONS_REFUSAL)
    division = _division_of_scope()
    meeting = components.meeting_used(meeting_text)
    window = daily.meeting_window(meeting)
    coverage, words = _coverage(window)
    if coverage == "none":
        return components.notice(words)
    where = components.division_name(division) if division else "every division"
    return [_list_section(key, meeting, division, views.forces_of(scope), where) for key in daily.ACTION_LISTS]


# Print every row of every list (the grids page their rows on screen), then the browser's print dialog.
clientside_callback(
    "function (n) { return window.daperfBriefing.print(n); }",
    Output(PRINTED, "data"), Input(PRINT, "n_clicks"), prevent_initial_call=True,
)

# The meeting-room screen steps through the divisions it may show.
clientside_callback(
    "function (back, next, value, options) { return window.daperfBriefing.step(back, next, value, options); }",
    Output(DIVISION_CONTROL, "value"), Input(PREVIOUS_DIVISION, "n_clicks"), Input(NEXT_DIVISION, "n_clicks"),
    State(DIVISION_CONTROL, "value"), State(DIVISION_CONTROL, "options"), prevent_initial_call=True,
)

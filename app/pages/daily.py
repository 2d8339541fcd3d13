"""/daily — the morning management meeting: what happened since the last meeting, by division, and the
action lists. Thin: the questions are ``metrics.daily``'s. The summary is division-level figures
(``can_see_aggregates``); the action lists are record-level (``can_see_case_list`` for the division). The
server guard's 403 is not shown by Dash, so a division lead's division control offers only their divisions
and opens on one, and a principal who may see no action list is told so in the layout.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Output, callback, html

from app import components, data, ids
from app.auth.context import current_principal
from app.auth.guard import record_level
from app.auth.policy import can_see_aggregates, can_see_case_list
from metrics import daily

PAGE = "daily"
FIELDS = ("meeting", "division")
LONDON = ZoneInfo("Europe/London")

dash.register_page(__name__, path="/daily", name="Daily meeting", order=4, title="Daily management meeting")

WINDOW = ids.page_id(PAGE, "window")
SUMMARY = ids.page_id(PAGE, "summary")
ACTIONS = record_level(ids.page_id(PAGE, "actions"), view="daily action lists")

ACTIONS_REFUSAL = ("Action lists are for chief officers and coordinators, and for a division lead within their "
                   "own division.")

# What each summary column counts, in the order the cards show them.
SUMMARY_LABELS = {
    "new_incidents": "New incidents",
    "new_high": "of which high risk",
    "new_medium": "of which medium risk",
    "new_standard": "of which standard risk",
    "new_not_assessed": "of which not assessed",
    "high_risk_not_referred": "High risk, no MARAC referral yet",
    "power_of_arrest_no_arrest": "Power of arrest, no arrest yet",
    "notices_hearing_due": "Notices: order hearing due",
    "notices_hearing_missed": "Notices: hearing deadline missed",
    "dvds_checks_overdue": "DVDS: initial checks overdue",
    "dvds_decision_due": "DVDS: decision due or late",
    "repeat_victims": "Victims with 3+ incidents in 12 months",
}


def _default_meeting() -> datetime:
    months = data.data_months() if data.database_ready() else None
    return daily.default_meeting_time(datetime.now(LONDON).replace(tzinfo=None),
                                      months.last_day if months else None)


def _meeting(text: str | None) -> datetime:
    return daily.parse_meeting_time(text, _default_meeting())


def layout(meeting: str | None = None, division: str | None = None, **_other) -> html.Div:
    heading = components.page_heading(
        "Daily management meeting",
        "Since the last meeting: the 24 hours before the meeting time (72 hours on a Monday), by division. "
        "Action lists show pseudonymised references only.",
    )
    if not data.database_ready():
        return html.Div([heading, components.no_database()])
    meeting_id, division_id = ids.filter_id(PAGE, "meeting"), ids.filter_id(PAGE, "division")
    principal = current_principal()
    if not can_see_aggregates(principal, "division", None):
        return html.Div([heading, components.refusal("The daily meeting shows division figures.")])
    own = components.own_divisions(principal)
    if own and division not in own:
        division = own[0]  # a division lead's lists are their own division's
    division_options = ([] if own else [{"label": "All divisions", "value": ""}]) + [
        {"label": row.division_name, "value": row.division_code} for row in data.divisions().itertuples()
        if not own or row.division_code in own
    ]
    # The action lists' callback runs only when its output is on the page: a principal refused the lists
    # for the division chosen (no other can be chosen) sees the refusal instead of a blank.
    actions = (html.Div(id=ACTIONS) if can_see_case_list(principal, division or None)
               else components.refusal(ACTIONS_REFUSAL))
    controls = html.Form(
        dbc.Row(
            [
                dbc.Col([dbc.Label("Meeting time", html_for=components.dom_id(meeting_id), className="fw-semibold"),
                         dbc.Input(id=meeting_id, type="datetime-local", step=60,
                                   value=f"{_meeting(meeting):%Y-%m-%dT%H:%M}")], xs=12, sm=6, lg=4),
                dbc.Col([dbc.Label("Division", html_for=components.dom_id(division_id), className="fw-semibold"),
                         dbc.Select(id=division_id, options=division_options, value=division or "",
                                    placeholder="All divisions")],
                        xs=12, sm=6, lg=4),
            ],
            className="g-3 align-items-end",
        ),
        role="search",
        **{"aria-label": "Filters"},
        className="filters border rounded p-3 mb-4 bg-light",
    )
    return html.Div(
        [
            heading,
            controls,
            html.P(id=WINDOW, role="status", className="fs-6"),
            html.Section([html.H2("Summary by division", className="h4"), html.Div(id=SUMMARY)], className="mb-4"),
            html.Section([html.H2("Action lists", className="h4"), actions], className="mb-4"),
        ]
    )


@data.cached
def _action_lists(meeting: datetime, division: str | None) -> dict[str, pd.DataFrame]:
    return daily.action_lists(data.connection(), daily.meeting_window(meeting), division)


@data.cached
def _summary(meeting: datetime, division: str | None) -> pd.DataFrame:
    return daily.daily_summary(data.connection(), daily.meeting_window(meeting), data.divisions(), division,
                               lists=_action_lists(meeting, division))


def _card(row: pd.Series) -> dbc.Col:
    items = [
        html.Div([html.Dt(label, className="col-8 fw-normal"), html.Dd(f"{int(row[key]):,}", className="col-4 text-end mb-1", **{"data-summary": key})],
                 className="row g-0" + (" ps-3 small" if key.startswith("new_") and key != "new_incidents" else ""))
        for key, label in SUMMARY_LABELS.items()
    ]
    return dbc.Col(
        dbc.Card(
            dbc.CardBody([html.H3(row["division_name"], className="h5 card-title"), html.Dl(items, className="mb-0")]),
            id=ids.page_id(PAGE, f"card-{row['division_code']}"),
            className="h-100",
        ),
        xs=12, md=6, xl=4, className="mb-3",
    )


@callback(Output(WINDOW, "children"), Output(SUMMARY, "children"), *components.filter_inputs(PAGE, FIELDS))
def update_summary(meeting_text, division):
    principal = current_principal()
    if not can_see_aggregates(principal, "division", division or None):
        return None, components.refusal("The daily meeting shows division figures.")
    meeting = _meeting(meeting_text)
    window = daily.meeting_window(meeting)
    words = (f"Since the last meeting: {window.hours} hours from {window.start:%A %-d %B %Y %H:%M} "
             f"to the meeting at {window.end:%A %-d %B %Y %H:%M}.")
    summary = _summary(meeting, division or None)
    table = summary.rename(columns={"division_code": "Code", "division_name": "Division", **SUMMARY_LABELS})
    return words, html.Div([
        dbc.Row([_card(row) for _, row in summary.iterrows()]),
        components.data_table(ids.page_id(PAGE, "summary-table"), table,
                              f"Summary by division, meeting {meeting:%-d %B %Y %H:%M}", "daily-summary"),
    ])


@callback(Output(ACTIONS, "children"), *components.filter_inputs(PAGE, FIELDS))
def update_action_lists(meeting_text, division):
    if not can_see_case_list(current_principal(), division or None):
        return components.refusal(ACTIONS_REFUSAL)
    meeting = _meeting(meeting_text)
    lists = _action_lists(meeting, division or None)
    sections = []
    for key, title in daily.ACTION_LISTS.items():
        frame = lists[key]
        body = (components.data_table(ids.page_id(PAGE, f"list-{key}"), frame, f"{title}: {len(frame):,}",
                                      f"daily-{key}", page_size=20)
                if not frame.empty else html.P(f"{title}: none.", className="text-body-secondary"))
        sections.append(html.Section([html.H3(title, className="h5"), body], className="mb-3"))
    return sections

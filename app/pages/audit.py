"""/audit — the audit log, read-only: who opened which record-level view or export, who signed in or out,
when, with which filters. For analysts and chief officers (``policy.can_read_audit_log``); the server-side
guard refuses every callback of this page to anyone else, and the page checks again. There is no route
that edits the log. Shown in words: actions and roles from the vocabulary, times in UK time as people
write them, the filters by the names of the units and months they chose.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, html

from app import components, data, ids
from app.auth.audit import ACTIONS, AuditEntry, read_audit
from app.auth.context import current_principal
from app.auth.guard import control
from app.auth.policy import can_read_audit_log, require
from metrics.formatting import format_count, format_datetime
from reference.vocabulary import codes, label

PAGE = "audit"
SHOWN = 500
ANY = "any"  # not "": dbc.Select shows its hidden, empty placeholder for an empty value
LONDON = "Europe/London"

dash.register_page(__name__, path="/audit", name="Audit log", order=90, title="Audit log")

ACTION = control(ids.page_id(PAGE, "action"), r"[a-z_]{1,32}", "an action")
USER = control(ids.page_id(PAGE, "user"), r"[^\x00-\x1f\x7f]{1,128}", "a user name")
TABLE = ids.page_id(PAGE, "table")


def layout(**_query) -> html.Div:
    heading = components.page_heading(
        "Audit log",
        "Who opened a record-level view (a case list or an action list) or downloaded one, when, and with "
        f"which filters; requests the server refused; signing in and out. Newest first, the latest {SHOWN}. "
        "Read-only.",
    )
    if not can_read_audit_log(current_principal()):
        return html.Div([heading, components.refusal("The audit log is for analysts and chief officers.")])
    return html.Div(
        [
            heading,
            dbc.Row(
                [
                    dbc.Col([dbc.Label("Action", html_for=ACTION, className="fw-semibold"),
                             dbc.Select(id=ACTION, value=ANY,
                                        options=[{"label": "Any action", "value": ANY}]
                                        + [{"label": label("audit_action", a), "value": a} for a in ACTIONS])],
                            xs=12, sm=6, lg=3),
                    dbc.Col([dbc.Label("User name", html_for=USER, className="fw-semibold"),
                             dbc.Input(id=USER, type="text", value="", debounce=True, autoComplete="off")],
                            xs=12, sm=6, lg=3),
                ],
                className="g-3 mb-3",
            ),
            html.Div(id=TABLE),
        ],
        className="operational-page",
    )


def _unit_name(level: str | None, code: str) -> str:
    """A unit by its name; one the data do not hold (a refused request may name anything) in words."""
    if level == "csp":
        frame = data.csps()
        match = frame[frame["csp_code"] == code]
        return str(match.iloc[0]["csp_name"]) if len(match) else "a partnership not in this data"
    if level == "division":
        frame = data.divisions()
        match = frame[frame["division_code"] == code]
        return str(match.iloc[0]["division_name"]) if len(match) else "a division not in this data"
    return "the whole force"


def _force_name(code: str) -> str:
    frame = data.forces()
    match = frame[frame["force_code"] == code]
    return str(match.iloc[0]["force_name"]) if len(match) else "a force not in the reference list"


def filters_words(filters: Mapping[str, Any]) -> str:
    """What a logged request was about, in words: the force, the unit by name, the period, the meeting."""
    words = []
    if filters.get("force") and filters["force"] != data.home_force():  # the home force goes without saying
        words.append(f"force: {_force_name(str(filters['force']))}")
    level = filters.get("level")
    if filters.get("unit"):
        words.append(f"{label('level', level).lower()}: {_unit_name(level, str(filters['unit']))}")
    elif filters.get("csp"):  # a refusal records what was asked
        words.append(f"partnership: {_unit_name('csp', str(filters['csp']))}")
    elif filters.get("division"):
        words.append(f"division: {_unit_name('division', str(filters['division']))}")
    elif level == "force":
        words.append("the whole force")
    if filters.get("period"):
        from metrics.periods import describe_reporting_period

        try:
            words.append(describe_reporting_period(str(filters["period"])))
        except (ValueError, IndexError):
            words.append("a period not recognised")
    if filters.get("request") == "malformed":
        words.append("a request that was not the one the page makes")
    for key in ("from", "to"):
        if filters.get(key):
            month = _when(filters[key], month=True)
            words.append(f"{key} {month:%B %Y}" if month is not None else f"{key} a month not recognised")
    if filters.get("meeting"):
        meeting = _when(filters["meeting"])
        words.append(f"meeting: {format_datetime(meeting, with_year=True)}" if meeting is not None
                     else "a meeting time not recognised")
    return "; ".join(words)


def _when(value: Any, *, month: bool = False) -> datetime | None:
    """A logged month (YYYY-MM) or time, or None for anything else: a refused request's row records what
    was asked, which may be anything, and one odd row must not stop the log being read."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(f"{value}-01" if month and len(value) == 7 else value)
    except ValueError:
        return None


def entries_table(entries: list[AuditEntry]) -> pd.DataFrame:
    """The log as the page shows it (and downloads it)."""
    return pd.DataFrame(
        {
            "When": [format_datetime(pd.Timestamp(e.occurred_at).tz_convert(LONDON), with_year=True) for e in entries],
            "User": [e.username + (" (demo)" if e.demo else "") for e in entries],
            "Role": [label("role", e.role) if e.role in codes("role") else "No role" for e in entries],
            "Action": [label("audit_action", e.action) for e in entries],
            "What was opened": [e.view for e in entries],
            "Filters": [filters_words(e.filters) for e in entries],
        }
    )


@callback(Output(TABLE, "children"), Input(ACTION, "value"), Input(USER, "value"))
def show_entries(action: str | None, username: str | None):
    require(can_read_audit_log(current_principal()), "the audit log")
    action = None if action in (None, "", ANY) else action
    entries = read_audit(SHOWN, username=(username or "").strip() or None, action=action)
    if not entries:
        return components.notice("No entries match.")
    return components.data_table(ids.page_id(PAGE, "entries"), entries_table(entries),
                                 f"{format_count(len(entries))} entries, newest first", "audit-log", page_size=50)

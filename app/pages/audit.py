"""/audit — the audit log, read-only: who opened which record-level view or export, when, with which
filters. For analysts and chief officers (``policy.can_read_audit_log``); the server-side guard refuses
every callback of this page to anyone else, and the page checks again. There is no route that edits
the log, and the database refuses UPDATE and DELETE on it.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, html

from app import components, ids
from app.auth.audit import ACTIONS, read_audit
from app.auth.context import current_principal
from app.auth.policy import can_read_audit_log, require

PAGE = "audit"
SHOWN = 500

dash.register_page(__name__, path="/audit", name="Audit log", order=90, title="Audit log")

ACTION = ids.page_id(PAGE, "action")
USER = ids.page_id(PAGE, "user")
TABLE = ids.page_id(PAGE, "table")

ACTION_LABELS = {"view": "Viewed", "export": "Exported", "refused": "Refused"}


def layout(**_query) -> html.Div:
    heading = components.page_heading(
        "Audit log",
        "Who opened a record-level view (a case list or an action list) or exported one, when, and with "
        f"which filters; also requests the server refused. Newest first, the latest {SHOWN}. Read-only.",
    )
    if not can_read_audit_log(current_principal()):
        return html.Div([heading, components.refusal("The audit log is for analysts and chief officers.")])
    return html.Div(
        [
            heading,
            dbc.Row(
                [
                    dbc.Col([dbc.Label("Action", html_for=ACTION, className="fw-semibold"),
                             dbc.Select(id=ACTION, value="",
                                        options=[{"label": "Any action", "value": ""}]
                                        + [{"label": ACTION_LABELS[a], "value": a} for a in ACTIONS])],
                            xs=12, sm=6, lg=3),
                    dbc.Col([dbc.Label("User name", html_for=USER, className="fw-semibold"),
                             dbc.Input(id=USER, type="text", value="", debounce=True, autoComplete="off")],
                            xs=12, sm=6, lg=3),
                ],
                className="g-3 mb-3",
            ),
            html.Div(id=TABLE),
        ]
    )


def _frame(action: str | None, username: str | None) -> pd.DataFrame:
    entries = read_audit(SHOWN, username=username or None, action=action or None)
    return pd.DataFrame(
        {
            "When (UTC)": [e.occurred_at.replace("T", " ").removesuffix("+00:00") for e in entries],
            "User": [e.username + (" (demo)" if e.demo else "") for e in entries],
            "Role": [e.role for e in entries],
            "Action": [ACTION_LABELS[e.action] for e in entries],
            "View": [e.view for e in entries],
            "Filters": [", ".join(f"{k}={v}" for k, v in e.filters.items()) for e in entries],
        }
    )


@callback(Output(TABLE, "children"), Input(ACTION, "value"), Input(USER, "value"))
def show_entries(action: str | None, username: str | None):
    require(can_read_audit_log(current_principal()), "the audit log")
    frame = _frame(action, (username or "").strip())
    if frame.empty:
        return components.notice("No entries match.")
    return components.data_table(ids.page_id(PAGE, "entries"), frame, f"{len(frame):,} entries, newest first",
                                 "audit-log", page_size=50)

"""The morning management meeting: what happened since the last meeting, by division, and what needs
doing — each question a summary count per division and an action list with pseudonymised references only
(the stored keyed hash shortened to 12 hex characters; incident, notice and application ids are the
force's own record numbers).

"Since the last meeting" is the 24 hours before the meeting time, 72 on a Monday (the weekend's meetings
are not held). Thresholds come from ``metrics.config``; the days a statutory clock skips from
``metrics.calendar``. These functions do not check access: a caller showing an action list checks
``app.auth.policy.can_see_case_list(principal, division_code)`` first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import duckdb
import pandas as pd

from daperf.config import threshold_values
from daperf.sqlfiles import sql
from metrics.units import forces_in

MONDAY = 0
# How far before the window a notice may have been served and still have its hearing deadline inside it:
# 48 counting hours never span more than 17 days of clock (sql/marts/fact_notices.sql).
NOTICE_HORIZON = timedelta(days=21)
RISK_LEVELS = ("high", "medium", "standard", "not_assessed")

# The action lists, in the order the meeting takes them, with the words a page shows.
ACTION_LISTS: dict[str, str] = {
    "high_risk": "High-risk incidents and MARAC referral",
    "no_arrest": "Power of arrest, no arrest yet",
    "notices": "Notices: order hearing due or missed",
    "dvds": "DVDS applications needing action",
    "repeat_victims": "Victims with three or more incidents in 12 months",
}


@dataclass(frozen=True)
class MeetingWindow:
    """From ``start`` (inclusive) to ``end`` (the meeting time, exclusive), naive Europe/London time."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / timedelta(hours=1))


def meeting_window(now: datetime) -> MeetingWindow:
    """The 24 hours before the meeting, or 72 when the meeting is on a Monday."""
    hours = 72 if now.weekday() == MONDAY else 24
    return MeetingWindow(start=now - timedelta(hours=hours), end=now)


def parse_meeting_time(text: str | None, default: datetime) -> datetime:
    """A meeting time from the URL or the page's control (``YYYY-MM-DDTHH:MM``), else ``default``;
    minutes are the finest grain the meeting needs."""
    try:
        return datetime.fromisoformat(str(text)).replace(second=0, microsecond=0, tzinfo=None)
    except (TypeError, ValueError):
        return default


def default_meeting_time(now: datetime, data_last_day: date | None) -> datetime:
    """``now`` to the minute; but when the data stop before yesterday (a demo, or a load that is days
    old) 08:00 on the day after the data end, so the meeting looks at the last day there is."""
    now = now.replace(second=0, microsecond=0)
    if data_last_day is not None and data_last_day < now.date() - timedelta(days=1):
        return datetime.combine(data_last_day + timedelta(days=1), time(8, 0))
    return now


def _query(
    con: duckdb.DuckDBPyConnection, name: str, window: MeetingWindow, division_code: str | None, **extra: object
) -> pd.DataFrame:
    """Run ``sql/<name>.sql`` with the window, the division, the forces in view and every threshold it
    names bound (DuckDB refuses a parameter the statement does not use, so only those the text refers to
    are passed)."""
    text = sql(name)
    available = {
        "window_start": window.start,
        "window_end": window.end,
        "division_code": division_code or None,
        "forces": extra.pop("forces", None) or forces_in(con),
        **threshold_values(),
        **extra,
    }
    params = {key: value for key, value in available.items() if re.search(rf"\${key}\b", text)}
    return con.execute(text, params).df()


def new_incidents(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None) -> pd.DataFrame:
    """Incidents reported in the window: ``incident_id, reported_at, division_code, csp_code, risk_level,
    victim_ref, suspect_ref``."""
    return _query(con, "daily/new_incidents", window, division_code)


def high_risk_incidents(
    con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None
) -> pd.DataFrame:
    """High-risk incidents in the window with ``marac_referred`` (a MARAC referral for the victim from
    the incident's date, made by the meeting) and ``marac_referral_at``; unreferred first."""
    df = _query(con, "daily/high_risk", window, division_code)
    df["marac_referred"] = df["marac_referred"].astype(bool)
    return df


def power_of_arrest_no_arrest(
    con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None
) -> pd.DataFrame:
    """Incidents in the window with a power of arrest and no linked arrest by the meeting."""
    return _query(con, "daily/no_arrest", window, division_code)


def notices_due(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None) -> pd.DataFrame:
    """Notices whose order hearing deadline (48 counting hours after service, Sundays and bank holidays
    not counted) is still ahead with no hearing held (``status`` 'due'), or fell in the window without a
    hearing by then ('missed'); with ``deadline_at`` and ``hours_left`` (negative when missed)."""
    return _query(con, "daily/notices", window, division_code, horizon_start=window.start - NOTICE_HORIZON)


def dvds_needing_action(
    con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None
) -> pd.DataFrame:
    """Open DVDS applications whose initial checks are overdue (``checks_overdue``) or whose decision is
    due within the warning days or late (``decision_due_soon``; ``days_to_decision_due`` negative when
    late)."""
    df = _query(con, "daily/dvds", window, division_code)
    for column in ("checks_overdue", "decision_due_soon"):
        df[column] = df[column].astype(bool)
    return df


def repeat_victims(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None) -> pd.DataFrame:
    """Victims with an incident in the window and at least ``daily_repeat_victim_incidents`` incidents in
    the ``lookback_days`` before the meeting: ``victim_ref, incidents_12_months, first_in_12_months,
    latest_incident_id, latest_reported_at, latest_risk_level, division_code, csp_code``."""
    df = _query(con, "daily/repeat_victims", window, division_code)
    df["incidents_12_months"] = df["incidents_12_months"].astype("int64")
    return df


def action_lists(
    con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None
) -> dict[str, pd.DataFrame]:
    """Every action list of the meeting, keyed as ``ACTION_LISTS``."""
    return {
        "high_risk": high_risk_incidents(con, window, division_code),
        "no_arrest": power_of_arrest_no_arrest(con, window, division_code),
        "notices": notices_due(con, window, division_code),
        "dvds": dvds_needing_action(con, window, division_code),
        "repeat_victims": repeat_victims(con, window, division_code),
    }


def _count_by_division(frame: pd.DataFrame, mask: pd.Series | None = None) -> pd.Series:
    rows = frame if mask is None else frame[mask]
    return rows.groupby("division_code").size()


def daily_summary(
    con: duckdb.DuckDBPyConnection,
    window: MeetingWindow,
    divisions: pd.DataFrame,
    division_code: str | None = None,
    lists: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One row per division (``divisions``: ``division_code, division_name``, e.g. ``app.data.divisions()``;
    only the chosen one when ``division_code`` is given), counting the window's new incidents by risk
    level and each action list's rows. The counts are the action lists' own rows, so a card and its list
    always agree. ``lists``: the same window's and division's ``action_lists`` when the caller has them."""
    incidents = new_incidents(con, window, division_code)
    lists = lists if lists is not None else action_lists(con, window, division_code)
    summary = divisions[["division_code", "division_name"]].copy()
    if division_code:
        summary = summary[summary["division_code"] == division_code]
    columns: dict[str, pd.Series] = {"new_incidents": _count_by_division(incidents)}
    for level in RISK_LEVELS:
        columns[f"new_{level}"] = _count_by_division(incidents, incidents["risk_level"] == level)
    high_risk = lists["high_risk"]
    columns["high_risk_not_referred"] = _count_by_division(high_risk, ~high_risk["marac_referred"])
    columns["power_of_arrest_no_arrest"] = _count_by_division(lists["no_arrest"])
    notices = lists["notices"]
    columns["notices_hearing_due"] = _count_by_division(notices, notices["status"] == "due")
    columns["notices_hearing_missed"] = _count_by_division(notices, notices["status"] == "missed")
    dvds = lists["dvds"]
    columns["dvds_checks_overdue"] = _count_by_division(dvds, dvds["checks_overdue"])
    columns["dvds_decision_due"] = _count_by_division(dvds, dvds["decision_due_soon"])
    columns["repeat_victims"] = _count_by_division(lists["repeat_victims"])
    for name, counts in columns.items():
        summary[name] = summary["division_code"].map(counts).fillna(0).astype("int64")
    return summary.reset_index(drop=True)

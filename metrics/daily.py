"""The morning management meeting: what happened since the last meeting, by division, and what needs a
decision today, most urgent first — each question a summary count per division and an action list with
pseudonymised references only (the stored keyed hash shortened to 12 hex characters; incident, notice and
application ids are the force's own record numbers).

The meeting is held every working day (Monday to Friday, England and Wales bank holidays excepted) at
``daperf.config.meeting_time()`` (08:00 unless the force sets ``DAPERF_MEETING_TIME``). "Since the last
meeting" runs from the previous working day's meeting to this one: 24 hours on most days, 72 on a Monday,
96 on the Tuesday after a bank holiday Monday. The rules a list applies (the hearing deadline, the MARAC
referral, the linked arrest) are mart columns; thresholds come from ``daperf.config``. These functions do
not check access: a caller showing an action list checks
``app.auth.policy.can_see_case_list(principal, division_code)`` first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Sequence

import duckdb
import pandas as pd

from daperf.config import meeting_time, threshold_values
from daperf.sqlfiles import sql
from metrics.units import forces_in
from reference.calendar import bank_holidays

SATURDAY = 5
# How far before the window a notice may have been served and still have its hearing deadline inside it:
# 48 counting hours never span more than 17 days of clock (sql/marts/fact_notices.sql).
NOTICE_HORIZON = timedelta(days=21)
RISK_LEVELS = ("high", "medium", "standard", "not_assessed")


@dataclass(frozen=True)
class ActionList:
    """One question the meeting decides on: its words, and what its summary count is called."""

    key: str
    title: str        # the list's heading
    count_words: str  # what its count in the summary counts


# The action lists in the order the meeting takes them: the most urgent first (a statutory deadline that
# has passed or falls today, then the safeguarding decisions, then the people to keep an eye on).
ACTION_LISTS: dict[str, ActionList] = {item.key: item for item in (
    ActionList("notices", "Order hearings due within 48 hours or missed", "order hearings due or missed"),
    ActionList("dvds", "Clare's Law applications running late", "Clare's Law checks or decisions running late"),
    ActionList("marac", "High-risk victims not yet referred to MARAC", "high-risk victims not yet referred to MARAC"),
    ActionList("no_arrest", "Power of arrest, no arrest yet", "suspects with a power of arrest and no arrest yet"),
    ActionList("repeat_victims", "Victims with three or more incidents in 12 months",
               "victims with three or more incidents in 12 months"),
)}


@dataclass(frozen=True)
class MeetingWindow:
    """From ``start`` (the last meeting, inclusive) to ``end`` (this meeting, exclusive), naive Europe/London
    time."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / timedelta(hours=1))


def is_working_day(day: date) -> bool:
    """Monday to Friday, not an England and Wales bank holiday: the days the meeting is held."""
    # The year's holidays, asked once a year (the calendar keeps them), not once a day.
    return day.weekday() < SATURDAY and day not in bank_holidays(date(day.year, 1, 1), date(day.year, 12, 31))


def _working_day_after(day: date, step: int) -> date:
    """The first working day strictly after ``day`` going ``step`` days at a time (-1: before it)."""
    day += timedelta(days=step)
    while not is_working_day(day):
        day += timedelta(days=step)
    return day


def previous_working_day(day: date) -> date:
    """The last working day strictly before ``day``."""
    return _working_day_after(day, -1)


def latest_working_day(day: date) -> date:
    """``day`` when it is a working day, else the last one before it."""
    return day if is_working_day(day) else previous_working_day(day)


def meeting_window(meeting: datetime) -> MeetingWindow:
    """Since the last meeting: from the same time of day on the previous working day to ``meeting``."""
    return MeetingWindow(start=datetime.combine(previous_working_day(meeting.date()), meeting.time()), end=meeting)


def parse_meeting_time(text: str | None, default: datetime | None) -> datetime | None:
    """A meeting time from the URL or the page's control (``YYYY-MM-DDTHH:MM``), else ``default``;
    minutes are the finest grain the meeting needs."""
    try:
        return datetime.fromisoformat(str(text)).replace(second=0, microsecond=0, tzinfo=None)
    except (TypeError, ValueError):
        return default


def default_meeting_time(now: datetime, data_last_day: date | None, at: time | None = None) -> datetime:
    """The meeting the page opens on: today's (at ``at``, the configured meeting time) on a working day,
    else the last working day's; but when the data stop before that day (a demo, or a load days old), the
    first working day after the data end, so the meeting looks at the last days there are."""
    at = at or meeting_time()
    day = latest_working_day(now.date())
    if data_last_day is not None and data_last_day < day:
        day = _working_day_after(data_last_day, 1)  # never later than ``day``, itself a working day
    return datetime.combine(day, at)


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
        "forces": list(extra.pop("forces", None) or forces_in(con)),
        **threshold_values(),
        **extra,
    }
    params = {key: value for key, value in available.items() if re.search(rf"\${key}\b", text)}
    return con.execute(text, params).df()


Forces = Sequence[str] | None


def new_incidents(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None,
                  forces: Forces = None) -> pd.DataFrame:
    """Incidents reported in the window: ``incident_id, reported_at, division_code, csp_code, risk_level,
    victim_ref, suspect_ref``."""
    return _query(con, "daily/new_incidents", window, division_code, forces=forces)


def high_risk_incidents(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None,
                        forces: Forces = None) -> pd.DataFrame:
    """High-risk incidents in the window with ``marac_referred`` (a MARAC referral for the victim from
    the incident's date, made by the meeting) and ``marac_referral_at``; unreferred first."""
    df = _query(con, "daily/high_risk", window, division_code, forces=forces)
    df["marac_referred"] = df["marac_referred"].astype(bool)
    return df


def not_referred_to_marac(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None,
                          forces: Forces = None) -> pd.DataFrame:
    """The high-risk incidents whose victim has no MARAC referral by the meeting, longest waiting first,
    with ``hours_waiting`` (from the report to the meeting)."""
    df = high_risk_incidents(con, window, division_code, forces)
    df = df[~df["marac_referred"]].sort_values(["reported_at", "incident_id"]).reset_index(drop=True)
    df["hours_waiting"] = ((window.end - df["reported_at"]) / pd.Timedelta(hours=1)).round(1)
    return df


def power_of_arrest_no_arrest(con: duckdb.DuckDBPyConnection, window: MeetingWindow,
                              division_code: str | None = None, forces: Forces = None) -> pd.DataFrame:
    """Incidents in the window with a power of arrest and no linked arrest by the meeting: the highest
    risk first, then the longest since the report."""
    return _query(con, "daily/no_arrest", window, division_code, forces=forces)


def notices_due(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None,
                forces: Forces = None) -> pd.DataFrame:
    """Notices whose order hearing deadline (48 counting hours after service, Sundays and bank holidays
    not counted) fell in the window without a hearing by then (``status`` 'missed', first), or is still
    ahead with no hearing held ('due', soonest first); with ``deadline_at`` and ``hours_left`` (negative
    when missed)."""
    return _query(con, "daily/notices", window, division_code, forces=forces,
                  horizon_start=window.start - NOTICE_HORIZON)


def dvds_needing_action(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None,
                        forces: Forces = None) -> pd.DataFrame:
    """Open DVDS applications whose initial checks are overdue (``checks_overdue``) or whose decision is
    due within the warning days or late (``decision_due_soon``; ``days_to_decision_due`` negative when
    late), the longest overdue first: ``days_overdue`` counts from the earliest deadline missed (the
    checks', when they are overdue), negative while the decision is still to come."""
    df = _query(con, "daily/dvds", window, division_code, forces=forces)
    for column in ("checks_overdue", "decision_due_soon", "decision_late"):
        df[column] = df[column].astype(bool)
    return df


def repeat_victims(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None,
                   forces: Forces = None) -> pd.DataFrame:
    """Victims with an incident in the window and at least ``daily_repeat_victim_incidents`` incidents in
    the ``lookback_days`` before the meeting: ``victim_ref, incidents_12_months, first_in_12_months,
    latest_incident_id, latest_reported_at, latest_risk_level, division_code, csp_code``, the most
    incidents first."""
    df = _query(con, "daily/repeat_victims", window, division_code, forces=forces)
    df["incidents_12_months"] = df["incidents_12_months"].astype("int64")
    return df


def action_lists(con: duckdb.DuckDBPyConnection, window: MeetingWindow, division_code: str | None = None,
                 forces: Forces = None) -> dict[str, pd.DataFrame]:
    """Every action list of the meeting, keyed and ordered as ``ACTION_LISTS``: each row needs a decision."""
    questions = {
        "notices": notices_due, "dvds": dvds_needing_action, "marac": not_referred_to_marac,
        "no_arrest": power_of_arrest_no_arrest, "repeat_victims": repeat_victims,
    }
    return {key: questions[key](con, window, division_code, forces) for key in ACTION_LISTS}


def _count_by_division(frame: pd.DataFrame, mask: pd.Series | None = None) -> pd.Series:
    rows = frame if mask is None else frame[mask]
    return rows.groupby("division_code").size()


def daily_summary(
    con: duckdb.DuckDBPyConnection,
    window: MeetingWindow,
    divisions: pd.DataFrame,
    division_code: str | None = None,
    lists: dict[str, pd.DataFrame] | None = None,
    forces: Forces = None,
) -> pd.DataFrame:
    """One row per division (``divisions``: ``division_code, division_name``, e.g. ``app.data.divisions()``;
    only the chosen one when ``division_code`` is given): the window's new incidents by risk level, each
    action list's rows (a column per ``ACTION_LISTS`` key) and the parts they are made of (hearings due
    and missed; Clare's Law checks overdue, decisions due and decisions late). The counts are the action
    lists' own rows, so a count and its list always agree. ``lists``: the same window's and division's
    ``action_lists`` when the caller has them."""
    incidents = new_incidents(con, window, division_code, forces)
    lists = lists if lists is not None else action_lists(con, window, division_code, forces)
    summary = divisions[["division_code", "division_name"]].copy()
    if division_code:
        summary = summary[summary["division_code"] == division_code]
    columns: dict[str, pd.Series] = {"new_incidents": _count_by_division(incidents)}
    for level in RISK_LEVELS:
        columns[f"new_{level}"] = _count_by_division(incidents, incidents["risk_level"] == level)
    for key in ACTION_LISTS:
        columns[key] = _count_by_division(lists[key])
    notices = lists["notices"]
    columns["notices_hearing_missed"] = _count_by_division(notices, notices["status"] == "missed")
    columns["notices_hearing_due"] = _count_by_division(notices, notices["status"] == "due")
    dvds = lists["dvds"]
    columns["dvds_checks_overdue"] = _count_by_division(dvds, dvds["checks_overdue"])
    columns["dvds_decision_late"] = _count_by_division(dvds, dvds["decision_late"])
    columns["dvds_decision_due"] = _count_by_division(dvds, dvds["decision_due_soon"] & ~dvds["decision_late"])
    for name, counts in columns.items():
        summary[name] = summary["division_code"].map(counts).fillna(0).astype("int64")
    return summary.reset_index(drop=True)

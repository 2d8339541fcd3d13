"""The daily management meeting on a small hand-made force, expected values worked by hand.

The meeting under test is Tuesday 6 May 2025 at 08:00; Monday 5 May 2025 was the Early May bank holiday.
Since issue 10 "since the last meeting" runs from the previous working day's meeting, so Tuesday's
meeting looks back to Friday 2 May 08:00 (96 hours; the window's own test). The lists' rules are tested
over the 24 hours from Monday 08:00 (``MONDAY_TO_TUESDAY``, given explicitly), the window their hand
values were worked for.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from daperf.db import connect_memory
from etl.marts import build_marts
from tests.metrics.records import insert_rows, person
from metrics.daily import (
    ACTION_LISTS,
    MeetingWindow,
    action_lists,
    daily_summary,
    dvds_needing_action,
    high_risk_incidents,
    meeting_window,
    new_incidents,
    not_referred_to_marac,
    notices_due,
    power_of_arrest_no_arrest,
    repeat_victims,
)

FORCE = "E23000028"
TUESDAY = datetime(2025, 5, 6, 8, 0)
MONDAY_TO_TUESDAY = MeetingWindow(datetime(2025, 5, 5, 8, 0), TUESDAY)
DIVISIONS = pd.DataFrame({"division_code": ["D1", "D2"], "division_name": ["North", "South"]})




def incident(incident_id, division, reported, risk, victim, power=None):
    return {"incident_id": incident_id, "force_code": FORCE, "reported_at": reported, "division_code": division,
            "csp_code": "C" + division, "victim_id": person(victim), "suspect_id": person("S" + incident_id),
            "relationship": "partner", "risk_level": risk, "power_of_arrest": power}


def notice(notice_id, division, served, *, hearing=None, outcome=None):
    return {"notice_id": notice_id, "force_code": FORCE, "scheme": "dvpn", "suspect_id": person("S" + notice_id),
            "victim_id": person("V" + notice_id), "division_code": division, "csp_code": "C" + division,
            "served_at": served, "hearing_at": hearing, "order_outcome": outcome}


def application(application_id, division, received, *, checks=None, decision=None, decision_at=None):
    return {"application_id": application_id, "force_code": FORCE, "route": "right_to_ask", "received_at": received,
            "division_code": division, "csp_code": "C" + division, "subject_id": person("S" + application_id),
            "potential_victim_id": person("V" + application_id), "initial_checks_at": checks,
            "decision": decision, "decision_at": decision_at}


@pytest.fixture(scope="module")
def con():
    con = connect_memory()
    insert_rows(con, "incidents", [
        incident("H1", "D1", datetime(2025, 5, 5, 10, 0), "high", "VA", power=True),
        incident("H2", "D1", datetime(2025, 5, 5, 20, 0), "high", "VB", power=True),
        incident("H3", "D2", datetime(2025, 5, 6, 7, 59), "medium", "VC", power=True),
        incident("H4", "D2", datetime(2025, 5, 5, 7, 59), "high", "VD", power=True),   # before the window
        incident("H5", "D2", datetime(2025, 5, 6, 8, 0), "high", "VE", power=True),    # at the meeting: after
        incident("H6", "D1", datetime(2025, 5, 5, 12, 0), "standard", "VR"),
        incident("H7", "D2", datetime(2025, 5, 5, 9, 0), "not_assessed", "VS", power=False),
        # VR's history: exactly 365 days before the meeting (counts), and January
        incident("R1", "D2", datetime(2024, 5, 6, 8, 0), "medium", "VR"),
        incident("R2", "D1", datetime(2025, 1, 1, 9, 0), "medium", "VR"),
        # VS's history: a minute more than 365 days before (does not count), and February
        incident("R3", "D2", datetime(2024, 5, 6, 7, 59), "medium", "VS"),
        incident("R4", "D2", datetime(2025, 2, 1, 9, 0), "medium", "VS"),
        # for the Monday meeting of 12 May: Saturday 10 May
        incident("W1", "D1", datetime(2025, 5, 10, 12, 0), "standard", "VW"),
    ])
    insert_rows(con, "arrests", [
        {"arrest_id": "A2", "force_code": FORCE, "incident_id": "H2", "suspect_id": person("SH2"),
         "arrested_at": datetime(2025, 5, 5, 22, 0), "division_code": "D1"},
        # after the meeting: H3 still has no arrest at 08:00
        {"arrest_id": "A3", "force_code": FORCE, "incident_id": "H3", "suspect_id": person("SH3"),
         "arrested_at": datetime(2025, 5, 6, 9, 0), "division_code": "D2"},
    ])
    insert_rows(con, "marac", [
        {"case_id": "M1", "force_code": FORCE, "csp_code": "CD1", "victim_id": person("VA"),
         "referral_at": datetime(2025, 5, 5, 15, 0), "referring_agency": "police"},
        # VB's referral predates the incident's date: not a referral for it
        {"case_id": "M2", "force_code": FORCE, "csp_code": "CD1", "victim_id": person("VB"),
         "referral_at": datetime(2025, 5, 4, 15, 0), "referring_agency": "police"},
    ])
    insert_rows(con, "protective_orders", [
        notice("P1", "D1", datetime(2025, 5, 2, 18, 0)),                                   # Friday 18:00
        notice("P2", "D2", datetime(2025, 5, 5, 9, 0), hearing=datetime(2025, 5, 7, 14, 0)),  # bank holiday
        notice("P3", "D2", datetime(2025, 5, 3, 10, 0), hearing=datetime(2025, 5, 6, 7, 0)),  # heard already
        notice("P4", "D1", datetime(2025, 5, 2, 9, 0), outcome="not_applied"),
        notice("P5", "D1", datetime(2025, 5, 1, 10, 0)),                                   # missed last week
    ])
    insert_rows(con, "dvds", [
        application("Q1", "D1", datetime(2025, 5, 5, 7, 0)),                                # 25 h, no checks
        application("Q2", "D1", datetime(2025, 5, 5, 9, 0)),                                # 23 h
        application("Q3", "D2", datetime(2025, 4, 10, 8, 0), checks=datetime(2025, 4, 10, 12, 0), decision="pending"),
        application("Q4", "D2", datetime(2025, 4, 15, 8, 0), checks=datetime(2025, 4, 15, 12, 0)),
        application("Q5", "D1", datetime(2025, 4, 1, 8, 0), checks=datetime(2025, 4, 1, 12, 0),
                    decision="disclosure", decision_at=datetime(2025, 4, 20, 10, 0)),
        application("Q6", "D1", datetime(2025, 4, 1, 8, 0), checks=datetime(2025, 4, 1, 12, 0)),
        application("Q7", "D2", datetime(2025, 5, 5, 7, 0), checks=datetime(2025, 5, 6, 9, 0)),  # checks after
    ])
    yield con
    con.close()


def test_meeting_window_runs_from_the_previous_working_days_meeting():
    monday = meeting_window(datetime(2025, 5, 12, 8, 0))
    assert (monday.start, monday.end, monday.hours) == (datetime(2025, 5, 9, 8, 0), datetime(2025, 5, 12, 8, 0), 72)
    # Tuesday after the Early May bank holiday: back to Friday 2 May 08:00, 96 hours
    tuesday = meeting_window(TUESDAY)
    assert (tuesday.start, tuesday.hours) == (datetime(2025, 5, 2, 8, 0), 96)
    wednesday = meeting_window(datetime(2025, 5, 7, 9, 30))
    assert (wednesday.start, wednesday.hours) == (datetime(2025, 5, 6, 9, 30), 24)
    # a meeting called on a Sunday looks back to Friday's
    assert meeting_window(datetime(2025, 5, 11, 8, 0)).hours == 48


def test_working_days():
    from datetime import date

    from metrics.daily import is_working_day, latest_working_day, previous_working_day

    assert not is_working_day(date(2025, 5, 5))     # Early May bank holiday
    assert not is_working_day(date(2025, 5, 10))    # Saturday
    assert is_working_day(date(2025, 5, 6))
    assert previous_working_day(date(2025, 5, 6)) == date(2025, 5, 2)
    # Christmas 2026: Friday 25, Saturday 26 (Boxing Day) and its substitute Monday 28 December
    assert previous_working_day(date(2026, 12, 29)) == date(2026, 12, 24)
    assert latest_working_day(date(2026, 12, 28)) == date(2026, 12, 24)
    assert latest_working_day(date(2026, 12, 29)) == date(2026, 12, 29)


def test_tuesday_after_the_bank_holiday_covers_the_long_weekend(con):
    # Fri 2 May 08:00 <= reported < Tue 6 May 08:00: H4 (Mon 07:59) now in; H5 (Tue 08:00) and W1 (10 May) not
    df = new_incidents(con, meeting_window(TUESDAY))
    assert sorted(df["incident_id"]) == ["H1", "H2", "H3", "H4", "H6", "H7"]


def test_monday_meeting_covers_the_weekend(con):
    # W1 (Saturday 12:00) is in Monday's 72 hours, not in Tuesday 13 May's 24
    assert new_incidents(con, meeting_window(datetime(2025, 5, 12, 8, 0)))["incident_id"].tolist() == ["W1"]
    assert new_incidents(con, meeting_window(datetime(2025, 5, 13, 8, 0))).empty


def test_new_incidents_in_window(con):
    df = new_incidents(con, MONDAY_TO_TUESDAY)
    # 05-05 08:00 <= reported < 05-06 08:00: H1 H2 H6 (D1), H3 H7 (D2); not H4 (07:59 Mon), H5 (08:00 Tue)
    assert sorted(df["incident_id"]) == ["H1", "H2", "H3", "H6", "H7"]
    assert df.loc[df["incident_id"] == "H1", "victim_ref"].item() == person("VA")[:12]


def test_high_risk_and_marac_referral(con):
    df = high_risk_incidents(con, MONDAY_TO_TUESDAY)
    # H2's victim was referred the day before the incident only: not referred; H1's the same afternoon
    assert list(zip(df["incident_id"], df["marac_referred"])) == [("H2", False), ("H1", True)]
    assert df.loc[df["incident_id"] == "H1", "marac_referral_at"].item() == pd.Timestamp(2025, 5, 5, 15, 0)


def test_power_of_arrest_with_no_arrest_by_the_meeting(con):
    df = power_of_arrest_no_arrest(con, MONDAY_TO_TUESDAY)
    # H1 no arrest; H2 arrested 22:00; H3 arrested 09:00 Tuesday, after the meeting; H6 H7 no power
    assert df["incident_id"].tolist() == ["H1", "H3"]
    # H1 reported 05-05 10:00, meeting 05-06 08:00: 22 hours
    assert df.loc[df["incident_id"] == "H1", "hours_since_report"].item() == 22.0


def test_notice_served_friday_evening_before_a_bank_holiday_monday(con):
    df = notices_due(con, MONDAY_TO_TUESDAY).set_index("notice_id")
    # P1 served Fri 2 May 18:00: Fri 18:00-24:00 = 6 h, Sat 24 h (30), Sun and bank-holiday Mon not counted,
    # Tue 18 h more reaches 48: deadline Tue 6 May 18:00, 10 hours after the meeting.
    assert df.loc["P1", "deadline_at"] == pd.Timestamp(2025, 5, 6, 18, 0)
    assert (df.loc["P1", "status"], df.loc["P1", "hours_left"]) == ("due", 10.0)
    # P2 served on the bank holiday 09:00: the clock starts Tue 00:00, 48 h later is Thu 8 May 00:00;
    # its hearing is listed for Wed 14:00, not yet held.
    assert df.loc["P2", "deadline_at"] == pd.Timestamp(2025, 5, 8, 0, 0)
    assert df.loc["P2", "status"] == "due"
    # P3 heard Tue 07:00 (done); P4 no order applied for; P5's deadline (Sat 3 May 10:00) passed before the window
    assert sorted(df.index) == ["P1", "P2"]
    assert notices_due(con, MONDAY_TO_TUESDAY, "D2").index.size == 1


def test_notice_deadline_missed_at_the_next_meeting(con):
    df = notices_due(con, meeting_window(datetime(2025, 5, 7, 8, 0))).set_index("notice_id")
    # Wednesday's window is Tue 08:00 - Wed 08:00: P1's deadline Tue 18:00 passed with no hearing (-14 h);
    # P2 still due (Thu 00:00, hearing Wed 14:00)
    assert (df.loc["P1", "status"], df.loc["P1", "hours_left"]) == ("missed", -14.0)
    assert df.loc["P2", "status"] == "due"


def test_dvds_checks_overdue_and_decisions_due(con):
    df = dvds_needing_action(con, MONDAY_TO_TUESDAY).set_index("application_id")
    # Q1 25 h old, no checks; Q7's checks came after the meeting; Q2 only 23 h old
    assert sorted(df.index[df["checks_overdue"]]) == ["Q1", "Q7"]
    # Q3 received 10 Apr: due 8 May, inside the 5-day warning, 2.0 days left; Q6 received 1 Apr: due 29 Apr,
    # 7 days late; Q4 (due 13 May) not yet in the warning; Q5 decided
    assert sorted(df.index[df["decision_due_soon"]]) == ["Q3", "Q6"]
    assert df.index[df["decision_late"]].tolist() == ["Q6"]
    assert df.loc["Q3", "days_to_decision_due"] == 2.0
    assert df.loc["Q6", "days_to_decision_due"] == -7.0
    assert df.loc["Q1", "hours_since_received"] == 25.0
    assert "Q2" not in df.index and "Q4" not in df.index and "Q5" not in df.index
    # Longest overdue first, from the earliest deadline missed: Q6's decision (29 Apr 08:00, 7 days);
    # Q1's and Q7's checks (due Tue 07:00, an hour: 0.0 days to one place); Q3's decision still 2 days off.
    assert df.index.tolist() == ["Q6", "Q1", "Q7", "Q3"]
    assert df["days_overdue"].tolist() == [7.0, 0.0, 0.0, -2.0]


def test_high_risk_victims_not_yet_referred(con):
    df = not_referred_to_marac(con, MONDAY_TO_TUESDAY)
    # H1's victim was referred the same afternoon; H2's only the day before the incident: H2, reported
    # Mon 20:00, has waited 12 hours by the meeting
    assert df["incident_id"].tolist() == ["H2"]
    assert df["hours_waiting"].tolist() == [12.0]


def test_repeat_victims_three_in_twelve_months(con):
    df = repeat_victims(con, MONDAY_TO_TUESDAY)
    # VR: H6 + R1 (exactly 365 days before the meeting) + R2 = 3; VS: H7 + R4 = 2 (R3 a minute too early)
    assert df["victim_ref"].tolist() == [person("VR")[:12]]
    assert df["incidents_12_months"].tolist() == [3]
    assert df["latest_incident_id"].tolist() == ["H6"]


def test_summary_counts_per_division(con):
    summary = daily_summary(con, MONDAY_TO_TUESDAY, DIVISIONS).set_index("division_code")
    # D1: hearing P1 due; Clare's Law Q1 (checks) and Q6 (decision late); H2 not referred; H1 no arrest; VR
    # D2: hearing P2 due; Q7 (checks) and Q3 (decision due in 2 days); H3 no arrest
    assert summary.loc["D1"].drop("division_name").to_dict() == {
        "new_incidents": 3, "new_high": 2, "new_medium": 0, "new_standard": 1, "new_not_assessed": 0,
        "notices": 1, "dvds": 2, "marac": 1, "no_arrest": 1, "repeat_victims": 1,
        "notices_hearing_missed": 0, "notices_hearing_due": 1,
        "dvds_checks_overdue": 1, "dvds_decision_late": 1, "dvds_decision_due": 0}
    assert summary.loc["D2"].drop("division_name").to_dict() == {
        "new_incidents": 2, "new_high": 0, "new_medium": 1, "new_standard": 0, "new_not_assessed": 1,
        "notices": 1, "dvds": 2, "marac": 0, "no_arrest": 1, "repeat_victims": 0,
        "notices_hearing_missed": 0, "notices_hearing_due": 1,
        "dvds_checks_overdue": 1, "dvds_decision_late": 0, "dvds_decision_due": 1}
    only_d2 = daily_summary(con, MONDAY_TO_TUESDAY, DIVISIONS, "D2")
    assert only_d2["division_code"].tolist() == ["D2"]


def test_summary_counts_are_the_lists_rows(con):
    lists = action_lists(con, MONDAY_TO_TUESDAY)
    summary = daily_summary(con, MONDAY_TO_TUESDAY, DIVISIONS)  # the summary asks for its own lists
    assert list(lists) == list(ACTION_LISTS) == ["notices", "dvds", "marac", "no_arrest", "repeat_victims"]
    # By hand, D1 + D2 (test_summary_counts_per_division): notices P1 + P2; Clare's Law Q1, Q6 + Q7, Q3;
    # not referred to MARAC H2 + none; no arrest H1 + H3; repeat victims VR + none.
    totals = {"notices": 2, "dvds": 4, "marac": 1, "no_arrest": 2, "repeat_victims": 1}
    for key, frame in lists.items():
        assert summary[key].sum() == totals[key] == len(frame), key


def test_action_lists_hold_no_full_person_id(con):
    lists = action_lists(con, MONDAY_TO_TUESDAY)
    assert set(lists) == set(ACTION_LISTS)
    full_ids = {person(label) for label in ("VA", "VB", "VC", "VR", "VS", "SH1", "SH2", "SH3")}
    for frame in lists.values():
        assert not full_ids & set(frame.astype(str).to_numpy().ravel())
        assert not {"victim_id", "suspect_id", "subject_id"} & set(frame.columns)


def test_meeting_time_from_text_and_default(monkeypatch):
    from datetime import date

    from metrics.daily import default_meeting_time, parse_meeting_time

    fallback = datetime(2025, 5, 6, 8, 0)
    assert parse_meeting_time("2025-05-12T08:30", fallback) == datetime(2025, 5, 12, 8, 30)
    assert parse_meeting_time("not a time", fallback) == fallback
    assert parse_meeting_time(None, fallback) == fallback
    assert parse_meeting_time("2025-13-01T08:00", None) is None
    monday = datetime(2026, 11, 23, 10, 55, 31)
    # data up to yesterday: this morning's meeting, Monday 23 November 08:00 (not the moment the page opens)
    assert default_meeting_time(monday, date(2026, 11, 22)) == datetime(2026, 11, 23, 8, 0)
    assert default_meeting_time(monday, None) == datetime(2026, 11, 23, 8, 0)
    # data ending Saturday 31 October: the first meeting after, Monday 2 November 08:00
    assert default_meeting_time(monday, date(2026, 10, 31)) == datetime(2026, 11, 2, 8, 0)
    # on a Saturday: Friday's meeting; with data ending Wednesday, Thursday's
    saturday = datetime(2026, 11, 28, 11, 0)
    assert default_meeting_time(saturday, date(2026, 11, 27)) == datetime(2026, 11, 27, 8, 0)
    assert default_meeting_time(saturday, date(2026, 11, 25)) == datetime(2026, 11, 26, 8, 0)
    # on the Boxing Day substitute bank holiday: Christmas Eve's
    assert default_meeting_time(datetime(2026, 12, 28, 9, 0), None) == datetime(2026, 12, 24, 8, 0)
    # the force's own meeting time
    monkeypatch.setenv("DAPERF_MEETING_TIME", "09:30")
    assert default_meeting_time(monday, None) == datetime(2026, 11, 23, 9, 30)
    monkeypatch.setenv("DAPERF_MEETING_TIME", "half past nine")
    with pytest.raises(ValueError, match="DAPERF_MEETING_TIME"):
        default_meeting_time(monday, None)


def test_notice_deadline_agrees_with_the_hearing_within_48h_metric():
    """The daily list runs the statutory clock forward from service; order_heard_within_48h_rate counts
    the hours from service to hearing. A hearing at the listed deadline must count as in time, and one a
    minute later must not."""
    from datetime import timedelta

    from metrics.compute import compute

    con = connect_memory()
    insert_rows(con, "divisions", [{"force_code": FORCE, "division_code": "D1", "division_name": "North"}])
    insert_rows(con, "csps", [{"csp_code": "CD1", "csp_name": "Alpha", "force_code": FORCE, "division_code": "D1"}])
    served = {"X1": datetime(2025, 5, 2, 18, 0), "X2": datetime(2025, 5, 2, 18, 0),   # Friday evening
              "X3": datetime(2025, 5, 5, 9, 0), "X4": datetime(2025, 5, 5, 9, 0)}      # bank holiday morning
    insert_rows(con, "protective_orders", [notice(n, "D1", at) for n, at in served.items()])
    deadlines = notices_due(con, MONDAY_TO_TUESDAY).set_index("notice_id")["deadline_at"]
    late = {"X2", "X4"}
    for notice_id in served:
        hearing = deadlines[notice_id].to_pydatetime() + (timedelta(minutes=1) if notice_id in late else timedelta(0))
        con.execute("UPDATE protective_orders SET hearing_at = $h, order_applied_at = $a, order_outcome = 'granted' "
                    "WHERE notice_id = $n", {"h": hearing, "a": served[notice_id], "n": notice_id})
    build_marts(con)
    row = compute(con, "force", datetime(2025, 5, 1).date(), datetime(2025, 5, 31).date(),
                  metric_ids=["order_heard_within_48h_rate"], breakdowns=False).iloc[0]
    # heard at the deadline: X1, X3 (2) of 4 heard
    assert (row["numerator"], row["denominator"]) == (2, 4)
    con.close()

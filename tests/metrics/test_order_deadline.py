"""The 48-hour order rule has one home (fact_notices.hearing_deadline_at, sql/marts/fact_notices.sql); the metric
order_heard_within_48h_rate and the daily meeting's notices list must agree on it at the boundary:
a hearing exactly at the deadline is in time, one a minute later is not.

Non-counting days used below (England and Wales): Sun 4 May 2025, Mon 5 May 2025 (Early May bank
holiday), Sun 11 May 2025; Thu 25 and Fri 26 Dec 2025 (Christmas, Boxing Day), Sun 28 Dec 2025.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from daperf.db import connect_memory
from tests.metrics.records import insert_rows, person
from reference.calendar import non_counting_days
from metrics.compute import compute
from metrics.daily import meeting_window, notices_due

FORCE = "E23000028"
MINUTE = timedelta(minutes=1)

# served_at -> the deadline worked by hand (48 counting hours)
DEADLINES = {
    # a weekend: Fri 18:00-24:00 6 h, Sat 24 h (30), Sun not counted, Mon 00:00-18:00 18 h (48)
    "weekend": (datetime(2025, 5, 9, 18, 0), datetime(2025, 5, 12, 18, 0)),
    # a weekend and a bank holiday: Fri 6 h, Sat 24 h (30), Sun and Mon 5 May not counted, Tue 18 h (48)
    "bank_holiday": (datetime(2025, 5, 2, 18, 0), datetime(2025, 5, 6, 18, 0)),
    # Christmas: Wed 24 Dec 12:00-24:00 12 h, Thu and Fri not counted, Sat 24 h (36), Sun not counted,
    # Mon 29 Dec 00:00-12:00 12 h (48)
    "christmas": (datetime(2025, 12, 24, 12, 0), datetime(2025, 12, 29, 12, 0)),
    # the hours run out at midnight before Sunday: Fri 2 May 24 h, Sat 24 h (48) at Sun 00:00; the clock
    # stands still through Sunday and the bank holiday, so the deadline is Tue 6 May 00:00
    "midnight": (datetime(2025, 5, 2, 0, 0), datetime(2025, 5, 6, 0, 0)),
}




def notice(notice_id: str, served: datetime, hearing: datetime) -> dict:
    return {"notice_id": notice_id, "force_code": FORCE, "scheme": "dvpn", "suspect_id": person("S" + notice_id),
            "victim_id": person("V" + notice_id), "division_code": "D1", "csp_code": "CD1",
            "served_at": served, "order_applied_at": served, "hearing_at": hearing, "order_outcome": "granted"}


@pytest.fixture()
def con():
    con = connect_memory()
    insert_rows(con, "divisions", [{"force_code": FORCE, "division_code": "D1", "division_name": "North"}])
    insert_rows(con, "csps", [{"csp_code": "CD1", "csp_name": "Alpha", "force_code": FORCE, "division_code": "D1"}])
    yield con
    con.close()


@pytest.mark.parametrize("case", sorted(DEADLINES))
def test_the_deadline_column_runs_the_clock_by_hand(con, case):
    served, deadline = DEADLINES[case]
    insert_rows(con, "protective_orders", [notice("N1", served, deadline)])
    got = con.execute("SELECT hearing_deadline_at FROM fact_notices WHERE notice_id = 'N1'").fetchall()[0][0]
    assert got == deadline


def test_a_notice_served_on_a_day_that_does_not_count_starts_the_clock_at_the_next_counting_day(con):
    # Served Sun 4 May 2025 15:00: Sunday and the bank holiday Monday do not count; the 48 hours run from
    # Tue 6 May 00:00 to Thu 8 May 00:00.
    insert_rows(con, "protective_orders", [notice("N2", datetime(2025, 5, 4, 15, 0), None)])
    got = con.execute("SELECT hearing_deadline_at FROM fact_notices WHERE notice_id = 'N2'").fetchall()[0][0]
    assert got == datetime(2025, 5, 8, 0, 0)
    # The days that do not count are England and Wales's: Sundays and bank holidays.
    assert {date(2025, 5, 4), date(2025, 5, 5)} <= set(non_counting_days(date(2025, 5, 1), date(2025, 5, 31)))


@pytest.mark.parametrize("case", sorted(DEADLINES))
def test_metric_and_daily_list_agree_at_the_deadline_and_a_minute_after(con, case):
    served, deadline = DEADLINES[case]
    insert_rows(con, "protective_orders", [notice("ON_TIME", served, deadline),
                                           notice("LATE", served, deadline + MINUTE)])
    # The metric: of the 2 heard, 1 at the deadline is in time.
    month = served.date().replace(day=1)
    row = compute(con, "force", month, (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date(),
                  metric_ids=["order_heard_within_48h_rate"], breakdowns=False).iloc[0]
    assert (row["numerator"], row["denominator"]) == (1, 2)
    # The daily list at the first meeting after the deadline (its window holds the deadline): the same
    # deadline, the late hearing missed, the one at the deadline not listed.
    listed = notices_due(con, meeting_window(deadline + timedelta(hours=8))).set_index("notice_id")
    assert list(listed.index) == ["LATE"]
    assert listed.loc["LATE", "status"] == "missed"
    assert listed.loc["LATE", "deadline_at"] == pd.Timestamp(deadline)


def test_a_hearing_on_the_sunday_the_clock_stands_still_is_in_time(con):
    # Served Fri 2 May 00:00: 48 counting hours are used up at Sun 00:00; a hearing at Sun 12:00 has
    # 48 counting hours behind it, so it is in time, and so is one on the bank holiday Monday at 23:59.
    served, deadline = DEADLINES["midnight"]
    insert_rows(con, "protective_orders", [notice("SUNDAY", served, datetime(2025, 5, 4, 12, 0)),
                                           notice("MONDAY", served, datetime(2025, 5, 5, 23, 59))])
    row = compute(con, "force", date(2025, 5, 1), date(2025, 5, 31),
                  metric_ids=["order_heard_within_48h_rate"], breakdowns=False).iloc[0]
    assert (row["numerator"], row["denominator"]) == (2, 2)
    assert notices_due(con, meeting_window(deadline + timedelta(hours=8))).empty

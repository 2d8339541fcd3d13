"""The days a statutory clock skips, and the reporting periods."""
from __future__ import annotations

from datetime import date

import pytest

from reference.calendar import bank_holidays, non_counting_days
from metrics.periods import (add_months, days_in_period, default_period, months_in_period, parse_day,
                             previous_period)


def test_sundays_and_bank_holidays_do_not_count():
    # Early May 2025: Sunday 4th and the bank holiday Monday 5th; Saturday 3rd counts.
    assert non_counting_days(date(2025, 5, 3), date(2025, 5, 6)) == [date(2025, 5, 4), date(2025, 5, 5)]
    # Christmas 2025: Christmas Day (Thu), Boxing Day (Fri), Sunday 28th.
    assert non_counting_days(date(2025, 12, 24), date(2025, 12, 29)) == [
        date(2025, 12, 25), date(2025, 12, 26), date(2025, 12, 28)]


def test_england_and_wales_bank_holidays():
    # 2025: New Year, Good Friday 18 Apr, Easter Monday 21 Apr, 5 May, 26 May, 25 Aug, 25 and 26 Dec.
    assert bank_holidays(date(2025, 1, 1), date(2025, 12, 31)) == [
        date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5), date(2025, 5, 26),
        date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26)]
    # St Andrew's Day is Scotland's, not England and Wales's.
    assert date(2025, 12, 1) not in bank_holidays(date(2025, 11, 1), date(2025, 12, 31))


def test_default_period_is_the_last_twelve_complete_months():
    assert default_period(date(2026, 11, 23)) == (date(2025, 11, 1), date(2026, 10, 31))
    assert default_period(date(2026, 1, 1)) == (date(2025, 1, 1), date(2025, 12, 31))


def test_previous_period_has_the_same_length():
    assert previous_period(date(2025, 11, 1), date(2026, 10, 31)) == (date(2024, 11, 1), date(2025, 10, 31))
    # Whole months map to whole months: Mar-Apr before May-Jun.
    assert previous_period(date(2025, 5, 1), date(2025, 6, 30)) == (date(2025, 3, 1), date(2025, 4, 30))
    # Any other range: the same number of days (10) just before.
    assert previous_period(date(2025, 5, 11), date(2025, 5, 20)) == (date(2025, 5, 1), date(2025, 5, 10))


def test_month_helpers():
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 1)
    assert add_months(date(2025, 1, 31), -1) == date(2024, 12, 1)
    assert months_in_period(date(2025, 1, 15), date(2025, 3, 1)) == [date(2025, 1, 1), date(2025, 2, 1),
                                                                     date(2025, 3, 1)]
    assert days_in_period(date(2025, 1, 1), date(2025, 6, 30)) == 181
    with pytest.raises(ValueError, match="before it starts"):
        days_in_period(date(2025, 2, 1), date(2025, 1, 1))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day("31/03/2025")

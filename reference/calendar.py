"""Which days a statutory clock does not count: Sundays and England and Wales bank holidays.

A DVPN's order must be heard within 48 hours of service, "excluding Sundays and bank holidays" (Crime and
Security Act 2010 s.27). This module says which days are excluded and writes the calendar dimension the
marts are built on (``calendar_frame``); the deadline itself is computed once, at load, into
``fact_notices.hearing_deadline_at`` (``sql/marts/fact_notices.sql``), and every reader (the metric
``order_heard_within_48h_rate``, the daily meeting's hearings list) reads that column.

Bank holidays are England's (``holidays`` subdivision ENG), which includes Good Friday and Christmas Day;
Wales has the same days, so they serve the forces of both nations.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
import pandas as pd

SUNDAY = 6  # date.weekday()


def bank_holidays(first: date, last: date) -> list[date]:
    """England and Wales bank holidays from ``first`` to ``last`` inclusive."""
    return list(_bank_holidays(first, last))


def non_counting_days(first: date, last: date) -> list[date]:
    """Sundays and bank holidays from ``first`` to ``last`` inclusive, in order, each once."""
    return list(_non_counting_days(first, last))


@lru_cache(maxsize=64)  # building the holiday calendar is slow next to a query; the days never change
def _bank_holidays(first: date, last: date) -> tuple[date, ...]:
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
    return tuple(sorted(day for day in calendar if first <= day <= last))


@lru_cache(maxsize=64)
def _non_counting_days(first: date, last: date) -> tuple[date, ...]:
    sundays = {first + timedelta(days=offset)
               for offset in range((last - first).days + 1)
               if (first + timedelta(days=offset)).weekday() == SUNDAY}
    return tuple(sorted(sundays | set(_bank_holidays(first, last))))


def financial_year_start(day: date) -> date:
    """1 April of the financial year (April to March) that ``day`` falls in."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def calendar_frame(first: date, last: date) -> pd.DataFrame:
    """One row per day from ``first`` to ``last``: ``day, month, is_bank_holiday, is_counting_day`` and
    ``counting_day_number`` (the running count of counting days up to and including the day, so the
    n-th counting day after any day is found by number), ``financial_year`` (its first day) and
    ``financial_quarter`` (the first day of its quarter of the financial year)."""
    days = pd.date_range(first, last, freq="D")
    bank = set(_bank_holidays(first, last))
    is_bank = days.map(lambda d: d.date() in bank).to_numpy(dtype=bool)
    counting = (days.day_of_week != SUNDAY) & ~is_bank
    fy_year = days.year - (days.month < 4).astype(int)
    quarter_month = ((days.month - 4) % 12) // 3 * 3 + 4
    quarter_year = fy_year + (quarter_month > 12).astype(int)
    return pd.DataFrame({
        "day": days.date,
        "month": days.to_period("M").to_timestamp().date,
        "is_bank_holiday": is_bank,
        "is_counting_day": counting,
        "counting_day_number": counting.cumsum(),
        "financial_year": pd.to_datetime({"year": fy_year, "month": 4, "day": 1}).dt.date,
        "financial_quarter": pd.to_datetime({"year": quarter_year, "month": (quarter_month - 1) % 12 + 1,
                                             "day": 1}).dt.date,
    })

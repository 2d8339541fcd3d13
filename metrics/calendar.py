"""Which days a statutory clock does not count: Sundays and England and Wales bank holidays.

A DVPN's order must be heard within 48 hours of service, "excluding Sundays and bank holidays" (Crime and
Security Act 2010 s.27). This module says which days are excluded; the clock itself lives once, in the
TEMP macro ``order_deadline(served_at, hours, non_counting_days)`` of ``sql/marts/order_deadline.sql``,
which runs the counting hours forward from service to the deadline. Both users call it with these days
bound as ``$non_counting_days`` and count a hearing in time when ``hearing_at <= deadline``:
``sql/metrics/protective_orders.sql`` (order_heard_within_48h_rate; the macro is created by
``metrics.compute.prepare``) and ``sql/daily/notices.sql`` (the meeting's due / missed notices; created by
``metrics.daily.notices_due``). Pass a range of days that reaches at least 17 days past the last service
date: 48 counting hours never span more than that.

Bank holidays are England's (``holidays`` subdivision ENG), which includes Good Friday and Christmas Day;
Wales has the same days, so they serve the forces of both nations.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

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

"""Reporting periods: inclusive date ranges, the default rolling year, the period before, months."""
from __future__ import annotations

from datetime import date, timedelta


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def default_period(today: date) -> tuple[date, date]:
    """The rolling 12 months ending with the last complete month before ``today``."""
    last_day = month_start(today) - timedelta(days=1)
    return add_months(last_day, -11), last_day


def previous_period(period_from: date, period_to: date) -> tuple[date, date]:
    """The period of the same length immediately before.

    Whole months map to whole months (Mar–Feb before Mar–Feb), so a rolling year is compared with the
    year before it; any other range maps to the same number of days.
    """
    if period_from.day == 1 and period_to == month_end(period_to):
        months = (period_to.year - period_from.year) * 12 + period_to.month - period_from.month + 1
        return add_months(period_from, -months), period_from - timedelta(days=1)
    days = (period_to - period_from).days + 1
    return period_from - timedelta(days=days), period_from - timedelta(days=1)


def days_in_period(period_from: date, period_to: date) -> int:
    """Days in an inclusive period."""
    if period_to < period_from:
        raise ValueError(f"Period ends ({period_to}) before it starts ({period_from}).")
    return (period_to - period_from).days + 1


def months_in_period(period_from: date, period_to: date) -> list[date]:
    """The first day of every calendar month the period touches."""
    months, month = [], month_start(period_from)
    while month <= period_to:
        months.append(month)
        month = add_months(month, 1)
    return months


def is_whole_months(period_from: date, period_to: date) -> bool:
    """Whether the period runs from the first of a month to the last day of a month."""
    return period_from.day == 1 and period_to == month_end(period_to)


def whole_months(period_from: date, period_to: date) -> int | None:
    """How many whole calendar months the period is, or None when it is not whole months."""
    if not is_whole_months(period_from, period_to):
        return None
    return (period_to.year - period_from.year) * 12 + period_to.month - period_from.month + 1


DAYS_PER_YEAR = 365.25


def annualising_factor(period_from: date, period_to: date) -> float:
    """What a count over the period is multiplied by to be a count a year: 1 for exactly 12 whole
    calendar months (a financial year, a rolling year: as published), else 365.25 / days in the period."""
    if whole_months(period_from, period_to) == 12:
        return 1.0
    return DAYS_PER_YEAR / days_in_period(period_from, period_to)


def parse_day(text: str) -> date:
    """A YYYY-MM-DD day, with a message a user can act on."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date: use YYYY-MM-DD, e.g. 2025-03-31.") from exc

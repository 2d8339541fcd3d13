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


def data_coverage(period_from: date, period_to: date, first_day: date, last_day: date) -> str:
    """How much of an inclusive period the data cover, the data running from ``first_day`` to
    ``last_day``: ``"whole"`` (every day of the period is inside the data), ``"part"`` (some days are)
    or ``"none"``. The one rule for empty and partial periods and months: a period with no data shows no
    figures; a month only partly inside the data (the first and last month of a load, typically) is
    marked and left out of control limits, because its count covers only some of its days."""
    if period_to < first_day or period_from > last_day:
        return "none"
    if first_day <= period_from and period_to <= last_day:
        return "whole"
    return "part"


def month_coverage(month: date, first_day: date, last_day: date) -> str:
    """``data_coverage`` of the calendar month ``month`` falls in."""
    return data_coverage(month_start(month), month_end(month), first_day, last_day)


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


def financial_year_of(day: date) -> date:
    """1 April of the financial year (April to March) that ``day`` falls in."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def reporting_periods(first_day: date, last_day: date) -> list[tuple[str, date, date]]:
    """The fixed reporting periods a partnership or public audience may choose (disclosure control: no
    overlapping periods other than quarters inside their financial year), newest first: every whole
    financial year (April to March) and every quarter of it (April-June, July-September, October-December,
    January-March) lying wholly inside ``first_day`` .. ``last_day``. Each is (key, from, to) with keys
    like ``2025-26`` and ``2025-26-Q1``."""
    periods: list[tuple[str, date, date]] = []
    year = financial_year_of(first_day)
    while year <= last_day:
        key = f"{year.year}-{(year.year + 1) % 100:02d}"
        year_end = add_months(year, 12) - timedelta(days=1)
        if first_day <= year and year_end <= last_day:
            periods.append((key, year, year_end))
        for quarter in range(4):
            start = add_months(year, 3 * quarter)
            end = add_months(start, 3) - timedelta(days=1)
            if first_day <= start and end <= last_day:
                periods.append((f"{key}-Q{quarter + 1}", start, end))
        year = add_months(year, 12)
    return sorted(periods, key=lambda p: (p[2], p[2] - p[1]), reverse=True)


def describe_reporting_period(key: str) -> str:
    """``2025-26`` -> "Financial year 2025 to 2026"; ``2025-26-Q1`` -> "April to June 2025"."""
    parts = key.split("-")
    start_year = int(parts[0])
    if len(parts) == 2:
        return f"Financial year {start_year} to {start_year + 1}"
    quarter = int(parts[2][1])
    start = add_months(date(start_year, 4, 1), 3 * (quarter - 1))
    end = add_months(start, 2)
    return f"{start:%B} to {end:%B %Y}"

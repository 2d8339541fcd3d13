"""How every number and date is written for a person: the one formatting module, used by the pages, the
CSV and Excel exports and the scrutiny pack.

- proportions as percentages to one decimal place ("34.8%"), rates to one decimal place with thousands
  separators ("1,234.5"), counts as whole numbers with separators ("1,590"); a missing value as an en
  dash; a suppression mark ("<5", "[c]") as it is;
- changes with their sign and never a negative zero ("+1.2 percentage points", "no change");
- dates and times as people write them ("Mon 30 Nov 2026 09:14", "30 November 2026"), and spans of time as
  people say them ("22 hours", "3 days").
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from metrics.registry import Metric

MISSING = "–"


def is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _no_negative_zero(text: str) -> str:
    # "-0.0" and "-0%" are rounding artefacts of a tiny fall: shown as zero without a sign.
    stripped = text.lstrip("+-")
    if stripped.replace("0", "").replace(".", "").replace(",", "").strip("% ") == "":
        return stripped
    return text


def format_number(value: Any, *, percent: bool, decimals: int = 1) -> str:
    """Proportions as percentages, rates to ``decimals`` places, whole numbers with thousands
    separators; a missing value as an en dash, a suppression mark as it is."""
    if isinstance(value, str):
        return value
    if is_missing(value):
        return MISSING
    value = float(value)
    if percent:
        return _no_negative_zero(f"{value * 100:.{decimals}f}%")
    if value.is_integer():
        return f"{int(value):,}"
    return _no_negative_zero(f"{value:,.{decimals}f}")


def is_percent(metric: Metric) -> bool:
    return metric.kind == "proportion"


def format_value(metric: Metric, value: Any) -> str:
    return format_number(value, percent=is_percent(metric))


def format_count(value: Any) -> str:
    """A count (numerator or denominator): whole, with separators; a suppression mark as it is."""
    if isinstance(value, str):
        return value
    if is_missing(value):
        return ""
    return f"{int(round(float(value))):,}"


def format_interval(metric: Metric, low: Any, high: Any) -> str | None:
    if metric.kind != "proportion" or is_missing(low) or is_missing(high) or isinstance(low, str):
        return None
    return f"95% interval {format_number(low, percent=True)} to {format_number(high, percent=True)}"


def format_reference(metric: Metric) -> str | None:
    if metric.reference_note:
        return metric.reference_note
    value = metric.reference_value
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return " / ".join(format_number(v, percent=is_percent(metric)) for v in value)
    return format_number(value, percent=is_percent(metric))


def format_change(metric: Metric, change: Any, relative: Any = None) -> str:
    """The change in the metric's own units: percentage points for a proportion, with the relative change
    for counts and rates; "no change" when it rounds to nothing."""
    if is_missing(change):
        return "No comparison with the previous period."
    if metric.kind == "proportion":
        text = _no_negative_zero(f"{change * 100:+.1f}")
        return "No change" if text.strip("+-") in ("0.0", "0") else f"{text} percentage points"
    text = _no_negative_zero(f"{change:+,.1f}" if metric.kind == "rate" else f"{change:+,.0f}")
    if text.strip("+-") in ("0", "0.0"):
        return "No change"
    if not is_missing(relative) and np.isfinite(relative):
        text += f" ({_no_negative_zero(f'{relative * 100:+.1f}')}%)"
    return text


def format_date(value: date | datetime | None, *, with_day: bool = True) -> str:
    """A day as "30 November 2026" (with the weekday, "Mon 30 Nov 2026", when ``with_day``)."""
    if is_missing(value):
        return ""
    value = pd.Timestamp(value)
    return f"{value:%a} {value.day} {value:%b %Y}" if with_day else f"{value.day} {value:%B %Y}"


def format_datetime(value: date | datetime | None, *, with_year: bool = False) -> str:
    """A moment as "Mon 30 Nov 09:14" (and the year, when ``with_year``)."""
    if is_missing(value):
        return ""
    value = pd.Timestamp(value)
    year = f" {value:%Y}" if with_year else ""
    return f"{value:%a} {value.day} {value:%b}{year} {value:%H:%M}"


def format_duration(hours: Any) -> str:
    """A span of time as people say it, whole units only: "45 minutes", "22 hours", "3 days" (hours up to
    two days, then days); a missing value as an en dash. The sign is the caller's words ("ago", "late")."""
    if is_missing(hours):
        return MISSING
    hours = abs(float(hours))
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return f"{minutes} minute" + ("" if minutes == 1 else "s")
    if hours < 48:
        whole = round(hours)
        return f"{whole} hour" + ("" if whole == 1 else "s")
    return f"{round(hours / 24):,} days"


def format_period(period_from: date, period_to: date) -> str:
    """A period of months as "November 2025 to October 2026"; any other as its first and last days."""
    if period_from.day == 1 and (pd.Timestamp(period_to) + pd.offsets.Day(1)).day == 1:
        if (period_from.year, period_from.month) == (period_to.year, period_to.month):
            return f"{period_from:%B %Y}"
        return f"{period_from:%B %Y} to {period_to:%B %Y}"
    return f"{period_from.day} {period_from:%B %Y} to {period_to.day} {period_to:%B %Y}"


def file_name_words(text: str) -> str:
    """A download's file name from words or codes: lower case, each run of anything but letters and digits
    one hyphen ("Maldon", "no_arrest" -> "maldon", "no-arrest"), so no name carries an underscore code."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "download"

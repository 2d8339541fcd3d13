"""The fixed reporting periods a partnership or public audience is offered (financial years and their
quarters: ``metrics.periods.reporting_periods``), and the view an address or the controls ask for.

Disclosure control holds across periods that never overlap but as a year and its quarters, so the
partnership page and the scrutiny pack show only these; an address with any other months falls back,
visibly, to the latest financial year.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app import data
from metrics.periods import describe_reporting_period, reporting_periods


@dataclass(frozen=True)
class View:
    """What the page shows: a reporting period (its key, e.g. ``2025-26``) and a partnership."""
    key: str | None
    period_from: date | None
    period_to: date | None
    csp: str | None
    notices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return describe_reporting_period(self.key) if self.key else ""

    @property
    def in_a_sentence(self) -> str:
        """The label inside a sentence ("financial year 2025 to 2026", "April to June 2025")."""
        text = self.label
        return text[0].lower() + text[1:] if text.startswith("Financial") else text


def periods() -> list[tuple[str, date, date]]:
    """The reporting periods the data wholly cover, newest first."""
    months = data.data_months()
    return reporting_periods(months.first_day, months.last_day) if months is not None else []


def _latest_year(offered: list[tuple[str, date, date]]) -> tuple[str, date, date] | None:
    return next((p for p in offered if "-Q" not in p[0]), offered[0] if offered else None)


def _month(text: str | None) -> date | None:
    try:
        return date.fromisoformat(f"{text}-01") if text else None
    except ValueError:
        return None


def resolve(key: str | None, csp: str | None, from_month: str | None = None, to_month: str | None = None) -> View:
    """The view an address or the controls ask for: a reporting period by its key; a from/to that is
    exactly a reporting period as that period; anything else the latest financial year, with a notice
    saying so. A partnership not in the data is dropped, also with a notice."""
    offered = periods()
    by_key = {k: (k, f, t) for k, f, t in offered}
    latest = _latest_year(offered)
    notices: list[str] = []
    chosen = by_key.get(key or "")
    if chosen is None and (from_month or to_month):
        start, end = _month(from_month), _month(to_month)
        chosen = next((p for p in offered if start == p[1] and end == p[2].replace(day=1)), None)
        if chosen is None and latest is not None:
            notices.append(f"Partnership figures are given for whole financial years and their quarters only, so "
                           f"that figures for overlapping periods cannot be set against each other: showing "
                           f"{describe_reporting_period(latest[0])} instead of the months asked for.")
    elif chosen is None and key and latest is not None:
        notices.append(f"There is no reporting period “{key}” in this data: showing "
                       f"{describe_reporting_period(latest[0])} instead.")
    chosen = chosen or latest
    if csp and csp not in set(data.csps()["csp_code"]):
        notices.append(f"There is no partnership “{csp}” in this data: choose one from the list.")
        csp = None
    if chosen is None:
        return View(None, None, None, csp or None, tuple(notices))
    return View(chosen[0], chosen[1], chosen[2], csp or None, tuple(notices))

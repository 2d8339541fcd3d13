"""Comparisons, worked out from the export-format rows of ``metrics.compute`` (the app only draws them):

- ``period_change(metric, now, before)``: the change on the previous period in the metric's own units and
  whether it is more than chance (``metrics.stats.compare_periods``);
- ``rest_of_unit(metric, whole, part)``: a division against the rest of its force (pooled: numerators and
  denominators subtracted, never a mean of rates) with the same test;
- ``funnel(metric, units, target_row, period)``: units on a funnel plot against a pooled value, with the
  exposure in which numerator / exposure is the metric's value;
- ``value_scale(metric, period)``: value = numerator / denominator x this.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from metrics.formatting import format_value, is_missing
from metrics.periods import annualising_factor
from metrics.registry import Metric
from metrics.stats import compare_periods, funnel_limits, funnel_position


def number(value: Any) -> float | None:
    """A shown number (None for a suppression mark or a missing value)."""
    if isinstance(value, str) or is_missing(value):
        return None
    return float(value)


def value_scale(metric: Metric, period_from: date, period_to: date) -> float:
    """value = numerator / denominator x this (per 100 / 1,000 / 10,000, annualised for population
    rates unless the period is 12 whole months)."""
    if metric.kind != "rate":
        return 1.0
    return (metric.per or 1) * (annualising_factor(period_from, period_to) if metric.annualised else 1.0)


@dataclass(frozen=True)
class Change:
    change: float | None            # in the metric's value units
    relative: float | None          # change / before
    significant: bool
    direction: str                  # better, worse, change (no direction is better) or none
    test: str                       # the test used, or "none"

    @property
    def comparable(self) -> bool:
        return self.change is not None


NO_CHANGE = Change(None, None, False, "none", "none")


def _direction(metric: Metric, change: float, significant: bool) -> str:
    if not significant:
        return "none"
    if metric.better == "higher":
        return "better" if change > 0 else "worse"
    if metric.better == "lower":
        return "better" if change < 0 else "worse"
    return "change"


def period_change(metric: Metric, now: pd.Series | None, before: pd.Series | None) -> Change:
    """This period's row against the one before (rows of ``compute``; suppressed rows may carry marks,
    and then there is nothing to compare)."""
    if now is None or before is None:
        return NO_CHANGE
    values = [number(now.get("numerator")), number(now.get("denominator")), number(before.get("numerator")),
              number(before.get("denominator"))]
    value_now, value_before = number(now.get("value")), number(before.get("value"))
    if values[0] is None or values[2] is None or value_now is None or value_before is None:
        return NO_CHANGE
    if metric.kind != "count" and (values[1] is None or values[3] is None):
        return NO_CHANGE
    test = compare_periods(values[0], values[1] if metric.kind != "count" else None, values[2],
                           values[3] if metric.kind != "count" else None, metric.kind)
    # The test works per unit of the denominator; the change is shown in the metric's own units (per
    # 1,000 a year, ...), straight from the two values.
    change = value_now - value_before
    relative = change / value_before if value_before else None
    significant = bool(test["significant"])
    return Change(change, relative, significant, _direction(metric, change, significant), test["test"])


@dataclass(frozen=True)
class RestOf:
    value: float | None
    numerator: float
    denominator: float | None
    significant: bool
    higher: bool | None


def rest_of_unit(metric: Metric, whole: pd.Series | None, part: pd.Series | None, scale: float) -> RestOf | None:
    """The whole (a force) without the part (one of its divisions), and whether the part differs from the
    rest more than chance would (the period test, with the rest in place of the earlier period)."""
    if whole is None or part is None:
        return None
    whole_num, part_num = number(whole.get("numerator")), number(part.get("numerator"))
    if whole_num is None or part_num is None:
        return None
    numerator = whole_num - part_num
    if metric.kind == "count":
        return RestOf(numerator, numerator, None, False, None)
    whole_den, part_den = number(whole.get("denominator")), number(part.get("denominator"))
    if whole_den is None or part_den is None or whole_den - part_den <= 0 or part_den <= 0:
        return None
    denominator = whole_den - part_den
    test = compare_periods(part_num, part_den, numerator, denominator, metric.kind)
    return RestOf(numerator / denominator * scale, numerator, denominator, bool(test["significant"]),
                  bool(test["change"] > 0) if test["significant"] else None)


def rest_text(metric: Metric, rest: RestOf, what: str = "this division") -> str:
    shown = format_value(metric, rest.value)
    if not rest.significant:
        return f"Rest of the force: {shown}; no significant difference."
    return f"Rest of the force: {shown}; {what} is significantly {'higher' if rest.higher else 'lower'}."


@dataclass
class Funnel:
    units: pd.DataFrame       # the rows given, with x (exposure on the chart's scale) and position
    limits: pd.DataFrame      # funnel_limits, with denominator on the units' scale
    target: float


def exposure_scale(metric: Metric, period_from: date, period_to: date) -> float:
    """Denominator units -> exposure units in which numerator / exposure equals the metric's value."""
    if metric.kind == "proportion":
        return 1.0
    return 1.0 / value_scale(metric, period_from, period_to)


def funnel(metric: Metric, units: pd.DataFrame, target_row: pd.Series | None, period_from: date,
           period_to: date) -> Funnel | None:
    """Units (export rows with numerator and denominator) against the target row's pooled value; None for a
    count (units of different sizes are not compared on a count) or when there is nothing to compare."""
    if metric.kind == "count" or target_row is None or number(target_row.get("value")) is None:
        return None
    units = units[units["denominator"].map(lambda v: number(v) is not None and number(v) > 0)].copy()
    if units.empty:
        return None
    scale = exposure_scale(metric, period_from, period_to)
    exposure = units["denominator"].astype(float).to_numpy() * scale
    target = float(target_row["value"])
    limits = funnel_limits(target, exposure, metric.kind)
    limits["denominator"] = limits["denominator"] / scale
    units["position"] = funnel_position(units["numerator"].astype(float).to_numpy(), exposure, target, metric.kind)
    return Funnel(units.reset_index(drop=True), limits, target)


__all__ = ["Change", "Funnel", "RestOf", "funnel", "number", "period_change", "rest_of_unit", "rest_text",
           "value_scale", "exposure_scale", "NO_CHANGE"]

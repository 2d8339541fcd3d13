"""What the strategic pages show, composed from the metrics layer (no Dash here, so it is unit-tested).

Every function that returns data takes the level and unit it is about; the pages check the policy first
(``authorise``) and pass ``suppressed=True`` for audiences that must only see suppressed numbers.
Queries go through ``app.data.cached`` so the same question is asked of DuckDB once per database version.

- ``authorise(level, unit_code) -> (Principal, suppressed)``: raises ``Forbidden`` when not allowed.
- ``headline_frame(level, period_from, period_to, unit_codes=None)``: every metric's headline rows.
- ``breakdown_frame(metric_id, level, unit_code, period_from, period_to)``: one metric's breakdown rows.
- ``monthly_spc(metric_id, level, unit_code, period_from, period_to)``: the monthly series with SPC limits.
- ``tile_summaries(level, unit_code, period_from, period_to, suppressed=...)``: the nine indicator tiles.
- ``funnel_data(metric_id, level, period_from, period_to)``: units, limits and the force value.
- formatting: ``format_value``, ``format_interval``, ``format_change``, ``format_reference``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from app import data
from app.auth.context import current_principal
from app.auth.policy import Principal, can_see_aggregates, must_suppress, require
from app.figures import format_number
from metrics import compute as metric_compute
from metrics.periods import previous_period
from metrics.profile import victim_profile
from metrics.registry import INDICATORS, METRICS, Indicator, Metric
from metrics.stats import COUNTING_RULES_CHANGE, compare_periods, funnel_limits, funnel_position, spc_table
from metrics.suppression import suppress

LEVEL_NAMES = {"force": "force", "division": "division", "csp": "partnership"}
# Columns of the export format a suppressed frame keeps (``suppress`` reads these).
EXPORT_COLUMNS = ["metric_id", "level", "unit_code", "unit_name", "period_from", "period_to", "breakdown",
                  "breakdown_value", "numerator", "denominator", "value", "ci_low", "ci_high"]
CRIME_EVENT_DATES = ("crime_recorded_at", "outcome_at")


def authorise(level: str, unit_code: str | None) -> tuple[Principal, bool]:
    """The signed-in principal, if they may see aggregates for this unit, and whether to suppress."""
    principal = current_principal()
    require(can_see_aggregates(principal, level, unit_code), f"{LEVEL_NAMES[level]} figures for {unit_code or 'the force'}")
    return principal, must_suppress(principal)


# --- questions, cached per database version -----------------------------------------------------

@data.cached
def headline_frame(level: str, period_from: date, period_to: date, unit_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Headline rows (no breakdowns) of every metric for the level's units."""
    return metric_compute.compute(
        data.connection(), level, period_from, period_to,
        unit_codes=list(unit_codes) if unit_codes else None, breakdowns=False,
    )


@data.cached
def breakdown_frame(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date) -> pd.DataFrame:
    frame = metric_compute.compute(
        data.connection(), level, period_from, period_to, metric_ids=[metric_id],
        unit_codes=[unit_code] if unit_code else None, breakdowns=True,
    )
    return frame[frame["breakdown"].notna()].reset_index(drop=True)


@data.cached
def suppressed_victim_profile(csp_code: str, period_from: date, period_to: date) -> pd.DataFrame:
    """The partnership's victim profile beside its residents, suppressed (the partnership view's rule)."""
    return victim_profile(data.connection(), "csp", csp_code, period_from, period_to, suppress_small_numbers=True)


def is_crime_series(metric: Metric) -> bool:
    """Series the June 2023 counting-rules change affects: crimes and what is counted from them."""
    return metric.event_date in CRIME_EVENT_DATES or "crime" in (metric.denominator or "") or "crime" in metric.event_date


@data.cached
def _headline_monthly_frames(level: str, unit_code: str | None, period_from: date, period_to: date) -> pd.DataFrame:
    """The nine tiles' monthly series in one pass (``metrics.compute.monthly_series``)."""
    return metric_compute.monthly_series(data.connection(), HEADLINE_IDS, level, unit_code, period_from, period_to)


@data.cached
def monthly_frame(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date) -> pd.DataFrame:
    if metric_id in HEADLINE_IDS:  # asked for with the other tiles' series: computed together
        frames = _headline_monthly_frames(level, unit_code, period_from, period_to)
        return frames[frames["metric_id"] == metric_id].drop(columns="metric_id").reset_index(drop=True)
    return metric_compute.monthly(data.connection(), metric_id, level, unit_code, period_from, period_to)


def series_unit(level: str, unit_code: str | None) -> str:
    """The unit code a monthly series is asked for (the force's own code at force level)."""
    return data.force_unit()[0] if level == "force" or not unit_code else unit_code


def monthly_spc(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date) -> pd.DataFrame:
    """The monthly series with its SPC limits; crime series in two phases either side of June 2023."""
    metric = METRICS[metric_id]
    series = monthly_frame(metric_id, level, series_unit(level, unit_code), period_from, period_to)
    series = series[series["value"].notna()] if metric.kind != "count" else series
    # Months before the first record in the database are not zeros: they are months with no data.
    months = data.data_months()
    if months is not None:
        series = series[pd.to_datetime(series["month"]) >= pd.Timestamp(months.first_month)]
    phase = COUNTING_RULES_CHANGE if is_crime_series(metric) else None
    return spc_table(series, metric.kind, phase_start=phase)


def monthly_suppressed(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date) -> bool:
    """True when any month of the series would show a suppressed number (the chart is then withheld)."""
    series = monthly_frame(metric_id, level, series_unit(level, unit_code), period_from, period_to)
    frame = series.assign(metric_id=metric_id, level=level, unit_code=unit_code, period_from=series["month"],
                          period_to=series["month"], breakdown=None, breakdown_value=None)
    return bool(suppress(frame)["suppressed"].any())


# --- formatting ---------------------------------------------------------------------------------

def is_percent(metric: Metric) -> bool:
    return metric.kind == "proportion"


def format_value(metric: Metric, value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return format_number(float(value), percent=is_percent(metric))


def format_interval(metric: Metric, low: Any, high: Any) -> str | None:
    if metric.kind != "proportion" or low is None or high is None:
        return None
    if any(isinstance(v, float) and np.isnan(v) for v in (low, high)):
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


def format_change(metric: Metric, comparison: dict) -> str:
    change = comparison.get("change")
    if change is None or (isinstance(change, float) and np.isnan(change)):
        return "No comparison with the previous period."
    if metric.kind == "proportion":
        text = f"{change * 100:+.1f} percentage points"
    else:
        relative = comparison.get("relative_change")
        text = f"{change:+,.2f}" if metric.kind == "rate" else f"{change:+,.0f}"
        if relative is not None and not np.isnan(relative):
            text += f" ({relative * 100:+.1f}%)"
    verdict = "a significant change" if comparison.get("significant") else "not a significant change"
    return f"{text} on the previous period: {verdict}."


def change_direction(metric: Metric, comparison: dict) -> str:
    """``better``, ``worse`` or ``no significant change`` (``change`` when better is neither/toward)."""
    if not comparison.get("significant"):
        return "no significant change"
    change = comparison["change"]
    if metric.better == "higher":
        return "better" if change > 0 else "worse"
    if metric.better == "lower":
        return "better" if change < 0 else "worse"
    return "change"


# --- tiles --------------------------------------------------------------------------------------

@dataclass
class TileSummary:
    indicator: Indicator
    metric: Metric
    value: Any                # number, or "<5" / "[c]" / None when suppressed
    value_text: str
    interval_text: str | None
    change_text: str
    direction: str
    reference_text: str | None
    spc: pd.DataFrame | None  # None when withheld by suppression
    numerator: Any
    denominator: Any


def _row(frame: pd.DataFrame, metric_id: str, unit_code: str | None) -> pd.Series | None:
    rows = frame[frame["metric_id"] == metric_id]
    if unit_code is not None and "unit_code" in rows:
        rows = rows[rows["unit_code"] == unit_code]
    if "breakdown" in rows:
        rows = rows[rows["breakdown"].isna()]
    return rows.iloc[0] if len(rows) else None


def unit_headline(level: str, unit_code: str | None, period_from: date, period_to: date, *, suppressed: bool) -> pd.DataFrame:
    """Headline rows for one unit (the force when level is force), suppressed when asked."""
    frame = headline_frame(level, period_from, period_to, (unit_code,) if unit_code else None)
    if unit_code:
        frame = frame[frame["unit_code"] == unit_code]
    frame = frame.reset_index(drop=True)
    return suppress(frame) if suppressed else frame


HEADLINE_IDS = tuple(indicator.headline for indicator in INDICATORS)


@data.cached
def indicator_headlines(level: str, period_from: date, period_to: date, unit_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Headline rows of the nine indicators' headline metrics only (the tiles ask for nothing else)."""
    return metric_compute.compute(
        data.connection(), level, period_from, period_to, metric_ids=list(HEADLINE_IDS),
        unit_codes=list(unit_codes) if unit_codes else None, breakdowns=False,
    )


def _tile_rows(level: str, unit_code: str | None, period_from: date, period_to: date, *, suppressed: bool) -> pd.DataFrame:
    frame = indicator_headlines(level, period_from, period_to, (unit_code,) if unit_code else None)
    if unit_code:
        frame = frame[frame["unit_code"] == unit_code]
    frame = frame.reset_index(drop=True)
    return suppress(frame) if suppressed else frame


def tile_summaries(level: str, unit_code: str | None, period_from: date, period_to: date, *, suppressed: bool) -> list[TileSummary]:
    before_from, before_to = previous_period(period_from, period_to)
    now = _tile_rows(level, unit_code, period_from, period_to, suppressed=suppressed)
    before = _tile_rows(level, unit_code, before_from, before_to, suppressed=suppressed)
    tiles = []
    for indicator in INDICATORS:
        metric = METRICS[indicator.headline]
        row_now = _row(now, metric.id, None)
        row_before = _row(before, metric.id, None)
        value = row_now["value"] if row_now is not None else None
        numerator = row_now["numerator"] if row_now is not None else None
        denominator = row_now["denominator"] if row_now is not None else None
        hidden = row_now is None or (suppressed and bool(row_now.get("suppressed")))
        hidden_before = row_before is None or (suppressed and bool(row_before.get("suppressed")))
        if hidden or hidden_before:
            comparison: dict = {"change": np.nan, "significant": False}
        else:
            comparison = compare_periods(
                _number(row_now["numerator"]), _number(row_now["denominator"]),
                _number(row_before["numerator"]), _number(row_before["denominator"]), metric.kind,
            )
            if metric.kind == "rate":
                # The test works per unit of the denominator; the change is shown in the metric's own units
                # (per 1,000 a year, ...), straight from the two values.
                now_value, before_value = float(row_now["value"]), float(row_before["value"])
                comparison["change"] = now_value - before_value
                comparison["relative_change"] = comparison["change"] / before_value if before_value else np.nan
        spc = None
        if not (suppressed and monthly_suppressed(metric.id, level, unit_code, before_from, period_to)):
            spc = monthly_spc(metric.id, level, unit_code, before_from, period_to)
        if value is None and row_now is not None and suppressed and row_now.get("suppressed"):
            value_text = "withheld"
        else:
            value_text = format_value(metric, value)
        tiles.append(TileSummary(
            indicator=indicator, metric=metric, value=value, value_text=value_text,
            interval_text=None if hidden and suppressed else format_interval(
                metric, row_now.get("ci_low") if row_now is not None else None,
                row_now.get("ci_high") if row_now is not None else None),
            change_text=format_change(metric, comparison) if not (hidden or hidden_before)
            else "Change withheld: small numbers.",
            direction=change_direction(metric, comparison),
            reference_text=format_reference(metric), spc=spc, numerator=numerator, denominator=denominator,
        ))
    return tiles


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    return float(value)


def value_scale(metric: Metric, period_from: date, period_to: date) -> float:
    """value = numerator / denominator x this (the metrics layer's convention: per 100/1,000/10,000,
    annualised for population rates)."""
    if metric.kind != "rate":
        return 1.0
    days = (period_to - period_from).days + 1
    return (metric.per or 1) * (metric_compute.DAYS_PER_YEAR / days if metric.annualised else 1.0)


# --- a division against the rest of the force ------------------------------------------------

@dataclass
class RestOfForce:
    value: float | None
    numerator: float
    denominator: float | None
    text: str  # e.g. "Rest of force: 45.1% — this division is significantly higher"


def rest_of_force(metric_id: str, division_code: str, period_from: date, period_to: date) -> RestOfForce | None:
    """The force without the division (pooled: numerators and denominators subtracted, never a mean of
    rates), and whether the division differs from it more than chance would (the same tests as
    ``compare_periods``, with the rest of the force in place of the earlier period)."""
    metric = METRICS[metric_id]
    force = _row(headline_frame("force", period_from, period_to, None), metric_id, None)
    unit = _row(headline_frame("division", period_from, period_to, (division_code,)), metric_id, division_code)
    if force is None or unit is None or pd.isna(force["numerator"]) or pd.isna(unit["numerator"]):
        return None
    numerator = float(force["numerator"]) - float(unit["numerator"])
    if metric.kind == "count":
        return RestOfForce(numerator, numerator, None, f"Rest of force: {format_value(metric, numerator)}")
    if pd.isna(force["denominator"]) or pd.isna(unit["denominator"]):
        return None
    denominator = float(force["denominator"]) - float(unit["denominator"])
    if denominator <= 0:
        return None
    value = numerator / denominator * value_scale(metric, period_from, period_to)
    test = compare_periods(float(unit["numerator"]), float(unit["denominator"]), numerator, denominator, metric.kind)
    if test["significant"]:
        verdict = "this division is significantly " + ("higher" if test["change"] > 0 else "lower")
    else:
        verdict = "no significant difference"
    return RestOfForce(value, numerator, denominator, f"Rest of force: {format_value(metric, value)}; {verdict}")


# --- funnel -------------------------------------------------------------------------------------

@dataclass
class FunnelData:
    units: pd.DataFrame       # unit_code, unit_name, numerator, denominator, value, x (chart's x), position
    limits: pd.DataFrame      # funnel_limits, with x on the chart's scale
    target: float
    x_title: str


def _exposure_scale(metric: Metric, period_from: date, period_to: date) -> float:
    """Denominator units -> exposure units in which numerator / exposure equals the metric's value."""
    if metric.kind == "proportion":
        return 1.0
    per = metric.per or 1
    years = ((period_to - period_from).days + 1) / 365.25 if metric.annualised else 1.0
    return years / per


def funnel_data(metric_id: str, level: str, period_from: date, period_to: date, *, suppressed: bool = False) -> FunnelData | None:
    """The level's units against the force on a funnel plot; None for counts (nothing to compare)."""
    metric = METRICS[metric_id]
    if metric.kind == "count":
        return None
    units = headline_frame(level, period_from, period_to, None)
    units = units[(units["metric_id"] == metric_id) & units["denominator"].notna()].reset_index(drop=True)
    force = _row(headline_frame("force", period_from, period_to, None), metric_id, None)
    if force is None or units.empty or pd.isna(force["value"]):
        return None
    scale = _exposure_scale(metric, period_from, period_to)
    exposure = units["denominator"].astype(float) * scale
    target = float(force["value"])
    limits = funnel_limits(target, exposure, metric.kind)
    limits["denominator"] = limits["denominator"] / scale
    units["position"] = funnel_position(units["numerator"].astype(float), exposure, target, metric.kind)
    if suppressed:
        shown = suppress(units[[c for c in EXPORT_COLUMNS if c in units.columns]])
        units = units.assign(value=shown["value"], numerator=shown["numerator"])
        units = units[units["value"].map(lambda v: v is not None and not isinstance(v, str) and not pd.isna(v))]
    x_title = "Cases (denominator)" if metric.kind == "proportion" else (metric.denominator or "base")
    return FunnelData(units=units.reset_index(drop=True), limits=limits, target=target, x_title=x_title)


def display_frame(frame: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """A frame as a table shows it: readable column names, values formatted, intervals as text."""
    out = pd.DataFrame()
    for column, title in (("unit_name", "Unit"), ("breakdown", "Breakdown"), ("breakdown_value", "Category")):
        if column in frame and frame[column].notna().any():
            out[title] = frame[column].astype(object).where(frame[column].notna(), "")
    out["Numerator"] = frame["numerator"].map(lambda v: count_text(v))
    if metric.kind != "count":
        out["Denominator"] = frame["denominator"].map(lambda v: count_text(v, decimals=metric.kind == "rate"))
    out["Value"] = frame["value"].map(lambda v: format_value(metric, v) if not _blank(v) else "withheld")
    if metric.kind == "proportion" and "ci_low" in frame:
        out["95% interval"] = [
            format_interval(metric, lo, hi) or "" for lo, hi in zip(frame["ci_low"], frame["ci_high"])
        ]
    return out.reset_index(drop=True)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def count_text(value: Any, decimals: bool = False) -> str:
    if isinstance(value, str):
        return value
    if _blank(value):
        return ""
    return format_number(float(value), percent=False) if decimals else f"{int(round(float(value))):,}"


"""What the strategic pages ask the metrics layer, cached per database version (no Dash here).

Every function that returns data takes the level and unit it is about; the pages check the policy first
(``authorise``) and pass ``suppressed=True`` for audiences that must only see protected numbers. The
answers come from ``metrics`` (values, comparisons, funnels, formatting); this module only asks, caches
(``app.data.cached``) and shapes what a tile needs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from app import data
from app.auth.context import current_principal
from app.auth.policy import Principal, can_see_aggregates, must_suppress, require
from metrics import compute as metric_compute
from metrics.comparison import Change, Funnel, RestOf, funnel, period_change, rest_of_unit, value_scale
from metrics.formatting import (
    format_change,
    format_count,
    format_interval,
    format_reference,
    format_value,
    is_percent,
)
from metrics.periods import previous_period
from metrics.profile import victim_profile
from metrics.registry import HEADLINE_IDS, INDICATORS, METRICS, Indicator, Metric
from metrics.stats import COUNTING_RULES_CHANGE, spc_table
from metrics.suppression import suppress
from reference.vocabulary import breakdown_label, breakdown_name, label

LEVEL_NAMES = {"force": "force", "division": "division", "csp": "partnership"}
EXPORT_COLUMNS = list(metric_compute.COLUMNS)
__all__ = ["authorise", "headline_frame", "breakdown_frame", "monthly_spc", "tile_summaries", "funnel_data",
           "display_frame", "format_value", "format_interval", "format_reference", "format_change", "is_percent",
           "suppress", "value_scale"]


def authorise(level: str, unit_code: str | None) -> tuple[Principal, bool]:
    """The signed-in principal, if they may see aggregates for this unit, and whether to suppress."""
    principal = current_principal()
    require(can_see_aggregates(principal, level, unit_code), f"{LEVEL_NAMES[level]} figures for {unit_code or 'the force'}")
    return principal, must_suppress(principal)


# --- questions, cached per database version -----------------------------------------------------

@data.cached
def headline_frame(level: str, period_from: date, period_to: date, unit_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Headline rows (no breakdowns) of every metric for the level's units."""
    return metric_compute.compute(data.connection(), level, period_from, period_to,
                                  unit_codes=list(unit_codes) if unit_codes else None, breakdowns=False)


@data.cached
def breakdown_frame(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date) -> pd.DataFrame:
    frame = metric_compute.compute(data.connection(), level, period_from, period_to, metric_ids=[metric_id],
                                   unit_codes=[unit_code] if unit_code else None, breakdowns=True)
    return frame[frame["breakdown"].notna()].reset_index(drop=True)


@data.cached
def suppressed_victim_profile(csp_code: str, period_from: date, period_to: date) -> pd.DataFrame:
    """The partnership's victim profile beside its residents, suppressed (the partnership view's rule)."""
    return victim_profile(data.connection(), "csp", csp_code, period_from, period_to, suppress_small_numbers=True)


def is_crime_series(metric: Metric) -> bool:
    return metric.crime_series


@data.cached
def _headline_monthly_frames(level: str, unit_code: str, period_from: date, period_to: date) -> pd.DataFrame:
    """The nine tiles' monthly series in one pass."""
    return metric_compute.monthly_series(data.connection(), HEADLINE_IDS, level, unit_code, period_from, period_to)


@data.cached
def monthly_frame(metric_id: str, level: str, unit_code: str, period_from: date, period_to: date) -> pd.DataFrame:
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
    phase = COUNTING_RULES_CHANGE if metric.crime_series else None
    return spc_table(series, metric.kind, phase_start=phase)


def monthly_suppressed(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date) -> bool:
    """True when any month of the series would show a suppressed number (the chart is then withheld)."""
    series = monthly_frame(metric_id, level, series_unit(level, unit_code), period_from, period_to)
    frame = series.assign(metric_id=metric_id, level=level, unit_code=unit_code, period_from=series["month"],
                          period_to=series["month"], breakdown=None, breakdown_value=None)
    return bool(suppress(frame)["suppressed"].any())


# --- tiles --------------------------------------------------------------------------------------

@dataclass
class TileSummary:
    indicator: Indicator
    metric: Metric
    value: Any                # number, or "<5" / "[c]" / None when suppressed
    value_text: str
    interval_text: str | None
    change: Change
    change_text: str
    direction: str
    reference_text: str | None
    spc: pd.DataFrame | None  # None when withheld by suppression
    numerator: Any
    denominator: Any


DIRECTION_WORDS = {"better": "better", "worse": "worse", "change": "change", "none": "no significant change"}


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


@data.cached
def indicator_headlines(level: str, period_from: date, period_to: date, unit_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Headline rows of the nine indicators' headline metrics only (the tiles ask for nothing else)."""
    return metric_compute.compute(data.connection(), level, period_from, period_to, metric_ids=list(HEADLINE_IDS),
                                  unit_codes=list(unit_codes) if unit_codes else None, breakdowns=False)


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
        row_now, row_before = _row(now, metric.id, None), _row(before, metric.id, None)
        hidden = row_now is None or (suppressed and bool(row_now.get("suppressed")))
        change = period_change(metric, row_now, row_before)
        spc = None
        if not (suppressed and monthly_suppressed(metric.id, level, unit_code, before_from, period_to)):
            spc = monthly_spc(metric.id, level, unit_code, before_from, period_to)
        value = row_now["value"] if row_now is not None else None
        tiles.append(TileSummary(
            indicator=indicator, metric=metric, value=value,
            value_text="withheld" if hidden and suppressed and value is None else format_value(metric, value),
            interval_text=None if hidden and suppressed else format_interval(
                metric, row_now.get("ci_low") if row_now is not None else None,
                row_now.get("ci_high") if row_now is not None else None),
            change=change,
            change_text=(format_change(metric, change.change, change.relative) + " on the previous period: "
                         + ("a significant change." if change.significant else "not a significant change.")
                         if change.comparable else ("Change withheld: small numbers." if suppressed
                                                    else "No comparison with the previous period.")),
            direction=DIRECTION_WORDS[change.direction],
            reference_text=format_reference(metric), spc=spc,
            numerator=row_now["numerator"] if row_now is not None else None,
            denominator=row_now["denominator"] if row_now is not None else None,
        ))
    return tiles


# --- a division against the rest of the force ------------------------------------------------

def rest_of_force(metric_id: str, division_code: str, period_from: date, period_to: date) -> RestOf | None:
    """The force without the division, and whether the division differs from it more than chance."""
    metric = METRICS[metric_id]
    force = _row(headline_frame("force", period_from, period_to, None), metric_id, None)
    unit = _row(headline_frame("division", period_from, period_to, (division_code,)), metric_id, division_code)
    return rest_of_unit(metric, force, unit, value_scale(metric, period_from, period_to))


# --- funnel -------------------------------------------------------------------------------------

def funnel_data(metric_id: str, level: str, period_from: date, period_to: date, *, suppressed: bool = False) -> Funnel | None:
    """The level's units against the force on a funnel plot; None for counts (nothing to compare)."""
    metric = METRICS[metric_id]
    units = headline_frame(level, period_from, period_to, None)
    units = units[units["metric_id"] == metric_id].reset_index(drop=True)
    force = _row(headline_frame("force", period_from, period_to, None), metric_id, None)
    result = funnel(metric, units, force, period_from, period_to)
    if result is None or not suppressed:
        return result
    shown = suppress(result.units[[c for c in EXPORT_COLUMNS if c in result.units.columns]])
    kept = result.units.assign(value=shown["value"], numerator=shown["numerator"])
    kept = kept[kept["value"].map(lambda v: v is not None and not isinstance(v, str) and not pd.isna(v))]
    return Funnel(kept.reset_index(drop=True), result.limits, result.target)


def display_frame(frame: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """A frame as a table shows it: plain headings, values formatted, categories in words."""
    out = pd.DataFrame()
    if "unit_name" in frame and frame["unit_name"].notna().any():
        out["Area"] = frame["unit_name"].astype(object).where(frame["unit_name"].notna(), "")
    if "breakdown" in frame and frame["breakdown"].notna().any():
        out["Breakdown"] = [breakdown_name(b) if isinstance(b, str) else "" for b in frame["breakdown"]]
        out["Category"] = [breakdown_label(b, v) if isinstance(b, str) else "" for b, v in
                           zip(frame["breakdown"], frame["breakdown_value"])]
    out["Count"] = frame["numerator"].map(format_count)
    if metric.kind != "count":
        out["Out of"] = frame["denominator"].map(format_count)
    out["Value"] = frame["value"].map(lambda v: format_value(metric, v) if not _blank(v) else "withheld")
    if metric.kind == "proportion" and "ci_low" in frame:
        out["95% interval"] = [format_interval(metric, lo, hi) or "" for lo, hi in zip(frame["ci_low"], frame["ci_high"])]
    return out.reset_index(drop=True)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def count_text(value: Any, decimals: bool = False) -> str:
    return format_count(value)


def level_label(level: str) -> str:
    return label("level", level)

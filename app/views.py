"""What the strategic pages ask the metrics layer, cached per database version (no Dash here).

Every function that returns data takes the level and unit it is about; the pages take them, and
``suppressed`` and ``forces`` (``forces_of(scope)``), from the request's scope. The answers come from
``metrics`` (values, comparisons, funnels, formatting); this module only asks, caches (``app.data.cached``)
and shapes what a tile needs:

- ``coverage(from, to) -> Coverage``: how much of the period, and of the one before, the data cover
  (``metrics.periods.data_coverage``), and the words for it: a notice, or why there is no comparison.
- ``monthly_spc``: the monthly series with limits, part months marked (``metrics.stats.spc_table``).
- ``spc_signal``, ``signal_text``, ``disagreement_text``, ``direction_word``: what the chart says about
  the period, and why it and the period test differ when they do.
- ``tile_summaries``, ``rest_of_force``, ``funnel_data``; ``display_frame``, ``spc_display_frame``,
  ``ordered_breakdown``: tables as people read them; ``thresholds_shown``: the built thresholds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from app import data
from app.auth.context import current_principal
from app.auth.policy import Principal, can_see_aggregates, must_suppress, require
from metrics import compute as metric_compute
from metrics.comparison import (
    NO_CHANGE,
    Change,
    Funnel,
    RestOf,
    funnel,
    period_change,
    rest_of_unit,
    value_scale,
)
from metrics.formatting import (
    format_change,
    format_count,
    format_date,
    format_interval,
    format_number,
    format_period,
    format_reference,
    format_value,
    is_percent,
)
from metrics.periods import data_coverage, month_end, previous_period
from metrics.profile import victim_profile
from metrics.registry import HEADLINE_IDS, INDICATORS, METRICS, Indicator, Metric
from metrics.stats import COUNTING_RULES_CHANGE, spc_table
from metrics.suppression import suppress
from reference.vocabulary import BREAKDOWNS, breakdown_label, breakdown_name, codes, label

LEVEL_NAMES = {"force": "force", "division": "division", "csp": "partnership"}
EXPORT_COLUMNS = list(metric_compute.COLUMNS)
__all__ = ["authorise", "headline_frame", "breakdown_frame", "monthly_spc", "tile_summaries", "funnel_data",
           "display_frame", "format_value", "format_interval", "format_reference", "format_change", "is_percent",
           "suppress", "value_scale", "coverage", "Coverage", "spc_signal", "SpcSignal", "spc_display_frame"]
Forces = tuple[str, ...] | None  # the scope's forces, as a cache key (``forces_of``)


def forces_of(scope: Any) -> Forces:
    """The ``forces`` argument of the cached questions for a scope (``app.auth.scope.Scope``)."""
    return tuple(scope.forces) if scope.forces else None


def authorise(level: str, unit_code: str | None) -> tuple[Principal, bool]:
    """The signed-in principal, if they may see aggregates for this unit, and whether to suppress."""
    principal = current_principal()
    require(can_see_aggregates(principal, level, unit_code), f"{LEVEL_NAMES[level]} figures for {unit_code or 'the force'}")
    return principal, must_suppress(principal)


# --- questions, cached per database version -----------------------------------------------------

def _forces(forces: Forces) -> list[str] | None:
    return list(forces) if forces else None


def with_data(period_from: date, period_to: date) -> tuple[date, date]:
    """The part of a period the data cover, which its figures are worked out over: a period running past the
    data (a saved link to months not loaded yet) has its counts from the days with data, and its rates a
    year annualised over those days, not over months with nothing in them (``Coverage.notice`` says so).
    A period wholly inside the data, or wholly outside, is itself."""
    span = data_span()
    if span is None:
        return period_from, period_to
    start, end = max(period_from, span[0]), min(period_to, span[1])
    return (start, end) if start <= end else (period_from, period_to)


@data.cached
def headline_frame(level: str, period_from: date, period_to: date, unit_codes: tuple[str, ...] | None = None,
                   forces: Forces = None, metric_ids: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Headline rows (no breakdowns) of every metric (or of ``metric_ids``) for the level's units, over the
    part of the period with data (``with_data``)."""
    period_from, period_to = with_data(period_from, period_to)
    return metric_compute.compute(data.connection(), level, period_from, period_to,
                                  metric_ids=list(metric_ids) if metric_ids else None,
                                  unit_codes=list(unit_codes) if unit_codes else None, breakdowns=False,
                                  forces=_forces(forces))


@data.cached
def breakdown_frame(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date,
                    forces: Forces = None) -> pd.DataFrame:
    period_from, period_to = with_data(period_from, period_to)
    frame = metric_compute.compute(data.connection(), level, period_from, period_to, metric_ids=[metric_id],
                                   unit_codes=[unit_code] if unit_code else None, breakdowns=True,
                                   forces=_forces(forces))
    return frame[frame["breakdown"].notna()].reset_index(drop=True)


@data.cached
def suppressed_victim_profile(csp_code: str, period_from: date, period_to: date) -> pd.DataFrame:
    """The partnership's victim profile beside its residents, suppressed (the partnership view's rule)."""
    return victim_profile(data.connection(), "csp", csp_code, period_from, period_to, suppress_small_numbers=True)


def is_crime_series(metric: Metric) -> bool:
    return metric.crime_series


@data.cached
def _headline_monthly_frames(level: str, unit_code: str, period_from: date, period_to: date) -> pd.DataFrame:
    """The nine tiles' monthly series in one pass. A month's figures do not depend on the period around it
    when it lies wholly inside (each month is a period of its own), so a period of whole months within the
    data's months is cut from the unit's whole series, asked once; any other period is asked for itself."""
    months = data.data_months()
    if (months is not None and period_from.day == 1 and period_to == month_end(period_to)
            and months.first_month <= period_from and period_to <= month_end(months.last_month)):
        whole = _headline_monthly_whole(level, unit_code)
        inside = [period_from <= month <= period_to for month in whole["month"]]
        return whole[inside].reset_index(drop=True)
    return metric_compute.monthly_series(data.connection(), HEADLINE_IDS, level, unit_code, period_from, period_to)


@data.cached
def _headline_monthly_whole(level: str, unit_code: str) -> pd.DataFrame:
    """The nine tiles' monthly series over every month of the data."""
    months = data.data_months()
    return metric_compute.monthly_series(data.connection(), HEADLINE_IDS, level, unit_code, months.first_month,
                                         month_end(months.last_month))


@data.cached
def monthly_frame(metric_id: str, level: str, unit_code: str, period_from: date, period_to: date) -> pd.DataFrame:
    if metric_id in HEADLINE_IDS:  # asked for with the other tiles' series: computed together
        frames = _headline_monthly_frames(level, unit_code, period_from, period_to)
        return frames[frames["metric_id"] == metric_id].drop(columns="metric_id").reset_index(drop=True)
    return metric_compute.monthly(data.connection(), metric_id, level, unit_code, period_from, period_to)


def series_unit(level: str, unit_code: str | None, forces: Forces = None) -> str:
    """The unit code a monthly series is asked for (the force's own code at force level)."""
    if level == "force" or not unit_code:
        return forces[0] if forces else data.force_unit()[0]
    return unit_code


def data_span() -> tuple[date, date] | None:
    """The first and last day of the data (None before any load)."""
    months = data.data_months()
    return (months.first_day, months.last_day) if months is not None else None


def monthly_spc(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date,
                forces: Forces = None) -> pd.DataFrame:
    """The monthly series with its SPC limits; crime series in two phases either side of June 2023. Months
    with no data are left out and months only partly inside the data are marked ``partial`` and kept out
    of the limits (``metrics.stats.spc_table`` with the data's span)."""
    metric = METRICS[metric_id]
    series = monthly_frame(metric_id, level, series_unit(level, unit_code, forces), period_from, period_to)
    series = series[series["value"].notna()] if metric.kind != "count" else series
    phase = COUNTING_RULES_CHANGE if metric.crime_series else None
    return spc_table(series, metric.kind, phase_start=phase, data_span=data_span())


def monthly_suppressed(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date,
                       forces: Forces = None) -> bool:
    """True when any month of the series would show a suppressed number (the chart is then withheld)."""
    series = monthly_frame(metric_id, level, series_unit(level, unit_code, forces), period_from, period_to)
    frame = series.assign(metric_id=metric_id, level=level, unit_code=unit_code, period_from=series["month"],
                          period_to=series["month"], breakdown=None, breakdown_value=None)
    return bool(suppress(frame)["suppressed"].any())


# --- how much of a period the data cover ------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    """How much of a period, and of the period before it, the data cover (``metrics.periods.data_coverage``:
    whole, part or none), with the words a page shows about it."""
    period_from: date
    period_to: date
    period: str
    previous: str
    first_day: date | None
    last_day: date | None

    @property
    def empty(self) -> bool:
        return self.period == "none"

    @property
    def comparable(self) -> bool:
        """A change on the previous period means something only when both are wholly inside the data."""
        return self.period == "whole" and self.previous == "whole"

    def span(self) -> str:
        """"the data run from ... to ..." (a period with data only)."""
        return f"the data run from {format_date(self.first_day)} to {format_date(self.last_day)}"

    def notice(self) -> str | None:
        """What a page says before its figures: nothing for a period wholly inside the data."""
        period = format_period(self.period_from, self.period_to)
        if self.period == "none":
            if self.first_day is None:
                return f"No data for {period}: nothing has been loaded yet."
            return (f"No data for {period}: {self.span()}. Nothing is shown for this period; choose months "
                    "inside those dates.")
        if self.period == "part":
            return (f"Only part of {period} has data ({self.span()}): its counts, and the rates a year worked "
                    "from them, cover only the days with data, and it is not compared with the period before.")
        return None

    def no_comparison_reason(self) -> str | None:
        """Why there is no change on the previous period, or None when there is one to show."""
        if self.period != "whole":
            return "No comparison with the previous period: part of this period has no data."
        if self.previous != "whole":
            before = format_period(*previous_period(self.period_from, self.period_to))
            return (f"No comparison with the previous period: the data do not cover all of it ({before}).")
        return None


def coverage(period_from: date, period_to: date) -> Coverage:
    span = data_span()
    if span is None:
        return Coverage(period_from, period_to, "none", "none", None, None)
    before = previous_period(period_from, period_to)
    return Coverage(period_from, period_to, data_coverage(period_from, period_to, *span),
                    data_coverage(*before, *span), *span)


# --- what the monthly chart says about a period ------------------------------------------------------

SIGNAL_WORDS = {
    "beyond_limits": "outside the control limits",
    "run": "a run of 7 or more months on one side of the centre line",
    "trend": "a trend of 6 or more months each higher (or each lower) than the one before",
}
SIGNAL_SHORT = {"beyond_limits": "outside the limits", "run": "a run on one side of the centre", "trend": "a trend"}


@dataclass(frozen=True)
class SpcSignal:
    """The special-cause months of a monthly SPC series that fall in a period, and which rules flag them."""
    months: tuple[pd.Timestamp, ...]
    rules: tuple[str, ...]          # keys of SIGNAL_WORDS, in that order
    partial_months: tuple[pd.Timestamp, ...]

    @property
    def special_cause(self) -> bool:
        return bool(self.months)


def spc_signal(spc: pd.DataFrame | None, period_from: date, period_to: date) -> SpcSignal | None:
    """The period's special-cause months in ``spc`` (None when there is no chart: withheld or empty)."""
    if spc is None or spc.empty:
        return None
    months = pd.to_datetime(spc["month"])
    inside = ((months >= pd.Timestamp(period_from)) & (months <= pd.Timestamp(period_to))).to_numpy()
    flagged = inside & spc["special_cause"].to_numpy().astype(bool)
    rules = tuple(rule for rule in SIGNAL_WORDS if rule in spc and (flagged & spc[rule].to_numpy().astype(bool)).any())
    partial = inside & spc["partial"].to_numpy().astype(bool) if "partial" in spc else np.zeros(len(spc), dtype=bool)
    return SpcSignal(tuple(months[flagged]), rules, tuple(months[partial]))


def month_ranges(months: tuple[pd.Timestamp, ...]) -> str:
    """Months in words, consecutive ones as a range: "Jan 2026", "May 2026 to Oct 2026 and Dec 2026"."""
    ranges: list[list[pd.Timestamp]] = []
    for month in sorted(months):
        if ranges and (month.year * 12 + month.month) - (ranges[-1][-1].year * 12 + ranges[-1][-1].month) == 1:
            ranges[-1].append(month)
        else:
            ranges.append([month])
    words = [f"{r[0]:%b %Y}" if len(r) == 1 else f"{r[0]:%b %Y} to {r[-1]:%b %Y}" for r in ranges]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def signal_text(signal: SpcSignal | None) -> str | None:
    """What the monthly chart says about the period, in a sentence."""
    if signal is None:
        return None
    if not signal.special_cause:
        return "Monthly chart: no special-cause month in this period."
    count = len(signal.months)
    rules = " and ".join(SIGNAL_SHORT[rule] for rule in signal.rules)
    return (f"Monthly chart: special cause in {count} month{'s' if count != 1 else ''} of this period "
            f"({month_ranges(signal.months)}: {rules}).")


def disagreement_text(change: Change, signal: SpcSignal | None) -> str | None:
    """Why the period test and the monthly chart seem to disagree, when they do; else None."""
    if signal is None or not change.comparable:
        return None
    if signal.special_cause and not change.significant:
        return ("Why they differ: the comparison tests the two periods' totals; the chart picks up a shift "
                "within the months that the totals do not (yet) show.")
    if change.significant and not signal.special_cause:
        return ("Why they differ: the two periods' totals differ by more than chance, but no single month "
                "stands out: the change is spread across the period.")
    return None


# --- tiles --------------------------------------------------------------------------------------

def lookback_text(metric: Metric, period_from: date) -> str | None:
    """For a repeat measure over a period starting within a look-back of the data's first day: that its
    earliest records had less history to find an earlier incident in, so the figure runs low."""
    span = data_span()
    if not metric.looks_back or span is None:
        return None
    days = int(threshold_value("lookback_days"))
    whole_from = span[0] + timedelta(days=days)
    if period_from >= whole_from:
        return None
    return (f"Runs low: the data start on {format_date(span[0])}, so records before {format_date(whole_from)} "
            f"have less than the {days} days of history looked back over for an earlier incident.")


@dataclass
class TileSummary:
    indicator: Indicator
    metric: Metric
    value: Any                # number, or "<5" / "[c]" / None when suppressed
    value_text: str
    interval_text: str | None
    change: Change
    change_text: str
    direction: str | None     # the badge (DIRECTION_WORDS), or None when there is no comparison
    reference_text: str | None
    spc: pd.DataFrame | None  # None when withheld by suppression
    numerator: Any
    denominator: Any
    signal_text: str | None = None
    disagreement_text: str | None = None
    lookback_text: str | None = None


DIRECTION_WORDS = {"better": "better", "worse": "worse", "higher": "higher", "lower": "lower",
                   "none": "no significant change"}


def direction_word(change: Change) -> str | None:
    """The badge of the period test: better or worse where a direction is better, higher or lower where
    none is, "no significant change"; None when there is nothing to compare."""
    if not change.comparable:
        return None
    if change.direction == "change":
        return "higher" if (change.change or 0) > 0 else "lower"
    return DIRECTION_WORDS[change.direction]


def _row(frame: pd.DataFrame, metric_id: str, unit_code: str | None) -> pd.Series | None:
    rows = frame[frame["metric_id"] == metric_id]
    if unit_code is not None and "unit_code" in rows:
        rows = rows[rows["unit_code"] == unit_code]
    if "breakdown" in rows:
        rows = rows[rows["breakdown"].isna()]
    return rows.iloc[0] if len(rows) else None


def _headline_rows(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Each metric's first headline row (``_row`` of every metric at once)."""
    if "breakdown" in frame:
        frame = frame[frame["breakdown"].isna()]
    rows: dict[str, pd.Series] = {}
    for _, row in frame.iterrows():
        rows.setdefault(row["metric_id"], row)
    return rows


@data.cached
def unit_headline(level: str, unit_code: str | None, period_from: date, period_to: date, *, suppressed: bool,
                  forces: Forces = None) -> pd.DataFrame:
    """Headline rows for one unit (the force when level is force), suppressed when asked."""
    frame = headline_frame(level, period_from, period_to, (unit_code,) if unit_code else None, forces)
    if unit_code:
        frame = frame[frame["unit_code"] == unit_code]
    frame = frame.reset_index(drop=True)
    return suppress(frame) if suppressed else frame


def indicator_headlines(level: str, period_from: date, period_to: date, unit_codes: tuple[str, ...] | None = None,
                        forces: Forces = None) -> pd.DataFrame:
    """Headline rows of the nine indicators' headline metrics only (the tiles ask for nothing else): the
    question the tiles' comparators ask too (``app.compare_components``), so one query answers both."""
    return headline_frame(level, period_from, period_to, unit_codes, forces, tuple(HEADLINE_IDS))


def _tile_rows(level: str, unit_code: str | None, period_from: date, period_to: date, *, suppressed: bool,
               forces: Forces = None) -> pd.DataFrame:
    frame = indicator_headlines(level, period_from, period_to, (unit_code,) if unit_code else None, forces)
    if unit_code:
        frame = frame[frame["unit_code"] == unit_code]
    frame = frame.reset_index(drop=True)
    return suppress(frame) if suppressed else frame


def _change_text(metric: Metric, change: Change, cover: Coverage, suppressed: bool) -> str:
    reason = cover.no_comparison_reason()
    if reason:
        return reason
    if not change.comparable:
        return "Change withheld: small numbers." if suppressed else "No comparison with the previous period."
    text = format_change(metric, change.change, change.relative)
    if text == "No change" and not change.significant:
        return "Against the previous period: no change."
    verdict = "a significant change." if change.significant else "not a significant change."
    return f"Against the previous period: {text}, {verdict}"


def tile_summaries(level: str, unit_code: str | None, period_from: date, period_to: date, *, suppressed: bool,
                   forces: Forces = None) -> list[TileSummary]:
    """The nine tiles for a period the data cover at least in part (the caller shows ``coverage``'s
    notice instead of tiles for a period with no data)."""
    cover = coverage(period_from, period_to)
    before_from, before_to = previous_period(period_from, period_to)
    now = _headline_rows(_tile_rows(level, unit_code, period_from, period_to, suppressed=suppressed, forces=forces))
    before = _headline_rows(_tile_rows(level, unit_code, before_from, before_to, suppressed=suppressed, forces=forces))
    tiles = []
    for indicator in INDICATORS:
        metric = METRICS[indicator.headline]
        row_now, row_before = now.get(metric.id), before.get(metric.id)
        hidden = row_now is None or (suppressed and bool(row_now.get("suppressed")))
        change = period_change(metric, row_now, row_before) if cover.comparable else NO_CHANGE
        spc = None
        if not (suppressed and monthly_suppressed(metric.id, level, unit_code, before_from, period_to, forces)):
            spc = monthly_spc(metric.id, level, unit_code, before_from, period_to, forces)
        signal = spc_signal(spc, period_from, period_to)
        value = row_now["value"] if row_now is not None else None
        tiles.append(TileSummary(
            indicator=indicator, metric=metric, value=value,
            value_text="withheld" if hidden and suppressed and value is None else format_value(metric, value),
            interval_text=None if hidden and suppressed else format_interval(
                metric, row_now.get("ci_low") if row_now is not None else None,
                row_now.get("ci_high") if row_now is not None else None),
            change=change,
            change_text=_change_text(metric, change, cover, suppressed),
            direction=direction_word(change),
            reference_text=format_reference(metric), spc=spc,
            numerator=row_now["numerator"] if row_now is not None else None,
            denominator=row_now["denominator"] if row_now is not None else None,
            signal_text=signal_text(signal),
            disagreement_text=disagreement_text(change, signal),
            lookback_text=lookback_text(metric, period_from),
        ))
    return tiles


# --- a division against the rest of the force ------------------------------------------------

def rest_of_force(metric_id: str, division_code: str, period_from: date, period_to: date,
                  forces: Forces = None) -> RestOf | None:
    """The force without the division, and whether the division differs from it more than chance."""
    metric = METRICS[metric_id]
    # The tiles' own questions (nine metrics, already asked for the tiles) where they hold the metric.
    frame = indicator_headlines if metric_id in HEADLINE_IDS else headline_frame
    force = _row(frame("force", period_from, period_to, None, forces), metric_id, None)
    unit = _row(frame("division", period_from, period_to, (division_code,), forces), metric_id, division_code)
    return rest_of_unit(metric, force, unit, value_scale(metric, period_from, period_to))


# --- funnel -------------------------------------------------------------------------------------

def funnel_data(metric_id: str, level: str, period_from: date, period_to: date, *, suppressed: bool = False,
                forces: Forces = None) -> Funnel | None:
    """The level's units against the force on a funnel plot; None for counts (nothing to compare)."""
    metric = METRICS[metric_id]
    units = headline_frame(level, period_from, period_to, None, forces)
    units = units[units["metric_id"] == metric_id].reset_index(drop=True)
    force = _row(headline_frame("force", period_from, period_to, None, forces), metric_id, None)
    result = funnel(metric, units, force, *with_data(period_from, period_to))
    if result is None or not suppressed:
        return result
    shown = suppress(result.units[[c for c in EXPORT_COLUMNS if c in result.units.columns]])
    kept = result.units.assign(value=shown["value"], numerator=shown["numerator"])
    kept = kept[kept["value"].map(lambda v: v is not None and not isinstance(v, str) and not pd.isna(v))]
    return Funnel(kept.reset_index(drop=True), result.limits, result.target)


def display_frame(frame: pd.DataFrame, metric: Metric, *, with_area: bool = True) -> pd.DataFrame:
    """A frame as a table shows it: plain headings, values formatted, categories in words (``with_area``:
    a column naming each row's area, pointless when every row is the same one)."""
    out = pd.DataFrame()
    if with_area and "unit_name" in frame and frame["unit_name"].notna().any():
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


def spc_display_frame(spc: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """A monthly SPC series as its table view shows it: months and numbers written out, the signals and
    part months in words."""
    def shown(value: Any) -> str:
        return "" if _blank(value) else format_value(metric, value)

    def signal(row: pd.Series) -> str:
        if bool(row.get("partial")):
            return "Part month: not assessed"
        rules = [SIGNAL_WORDS[rule] for rule in SIGNAL_WORDS if bool(row.get(rule))]
        return "Special cause: " + "; ".join(rules) if rules else "Common cause"

    out = pd.DataFrame({"Month": [f"{m:%B %Y}" for m in pd.to_datetime(spc["month"])]})
    out["Count"] = spc["numerator"].map(format_count)
    if metric.kind != "count":
        out["Out of"] = spc["denominator"].map(format_count)
    out["Value"] = spc["value"].map(shown)
    out["Centre line"] = spc["centre"].map(shown)
    out["Lower limit"] = spc["lcl"].map(shown)
    out["Upper limit"] = spc["ucl"].map(shown)
    out["Signal"] = [signal(row) for _, row in spc.iterrows()]
    return out


def ordered_breakdown(frame: pd.DataFrame, breakdown: str) -> pd.DataFrame:
    """A breakdown's rows in the vocabulary's order, each with its category in words (``label``)."""
    order = {code: i for i, code in enumerate(codes(breakdown))} if breakdown in BREAKDOWNS else {}
    out = frame.assign(label=[breakdown_label(breakdown, v) for v in frame["breakdown_value"]],
                       _order=[order.get(v, len(order)) for v in frame["breakdown_value"]])
    return out.sort_values(["_order", "label"], kind="stable").drop(columns="_order").reset_index(drop=True)


# --- the thresholds the figures were built with ------------------------------------------------

@dataclass(frozen=True)
class ThresholdShown:
    label: str
    value_text: str
    source: str
    note: str


def _threshold_value_text(key: str, value: Any, unit: str) -> str:
    """A threshold's value in words: "365 days", "28% to 40%", "50%, 65% and 80%"."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    percent = unit == "proportion"
    shown = [format_number(v, percent=percent, decimals=0 if percent else 1) for v in values]
    text = (" to ".join(shown) if key.endswith("_band") and len(shown) == 2
            else shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1])
    return text if percent else f"{text} {unit}"


def thresholds_shown() -> list[ThresholdShown]:
    """The thresholds the marts were built with (``etl.marts.built_settings``), each with its label, value,
    source and note; the configured ones before any load."""
    from daperf.config import thresholds

    configured = thresholds()
    built = built_thresholds() if data.database_ready() else {}
    settings = built or {key: {"value": item.value, "unit": item.unit, "source": item.source}
                         for key, item in configured.items()}
    order = {key: i for i, key in enumerate(configured)}  # the settings file's order, not the stored one
    shown = []
    for key, entry in sorted(settings.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        known = configured.get(key)
        label = entry.get("label") or (known.label if known and known.label else key.replace("_", " ").capitalize())
        shown.append(ThresholdShown(label, _threshold_value_text(key, entry.get("value"), entry.get("unit", "")),
                                    entry.get("source", ""), entry.get("note") or (known.note if known else "")))
    return shown


def threshold_value(key: str) -> Any:
    """A threshold as the marts were built with it (what /definitions shows), else as configured."""
    built = (built_thresholds() if data.database_ready() else {}).get(key) or {}
    if built.get("value") is not None:
        return built["value"]
    from daperf.config import thresholds

    return thresholds()[key].value


@data.cached
def built_thresholds() -> dict:
    """``etl.marts.built_settings`` of the database (key -> value, unit, source)."""
    from etl.marts import built_settings

    return built_settings(data.connection())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def level_label(level: str) -> str:
    return label("level", level)

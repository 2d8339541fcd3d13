"""The registry's metrics for a level and a period, in the export format of the catalogue.

``compute(con, level, period_from, period_to, ...)`` asks the compiler (``metrics.compiler``) for every
measure the metrics need, then turns numerators and denominators into values as the registry's
conventions say: a count is its numerator; a proportion is numerator / denominator with a 95% Wilson
interval; a rate is numerator / denominator x per, a population rate annualised unless the period is 12
whole months (``metrics.periods.annualising_factor``). Units pool: a level's numerators and denominators
sum to the force's, so a rate for a group of units is the sum of numerators over the sum of
denominators, never a mean of rates. Every unit of the level gets a headline row for every metric (zero
where nothing happened); breakdown rows follow for the breakdowns each metric allows.

``monthly_series`` gives several metrics month by month for one unit (each month a period of its own).
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

import duckdb
import numpy as np
import pandas as pd

from metrics.compiler import count_measures
from metrics.periods import annualising_factor, days_in_period, month_end, months_in_period, parse_day
from metrics.registry import LEVELS, METRICS, Measure, Metric, all_measures
from metrics.stats import wilson_interval
from metrics.units import level_units

COLUMNS = ["metric_id", "level", "unit_code", "unit_name", "period_from", "period_to", "breakdown",
           "breakdown_value", "numerator", "denominator", "value", "ci_low", "ci_high"]
MONTHLY_COLUMNS = ["month", "numerator", "denominator", "value"]


def _as_day(value: date | str) -> date:
    if isinstance(value, str):
        return parse_day(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _check(level: str, period_from: date, period_to: date, metric_ids: Iterable[str] | None) -> list[str]:
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}: use one of {', '.join(LEVELS)}.")
    days_in_period(period_from, period_to)
    ids = list(dict.fromkeys(metric_ids)) if metric_ids is not None else list(METRICS)
    unknown = [mid for mid in ids if mid not in METRICS]
    if unknown:
        raise KeyError(f"Unknown metric id(s): {', '.join(unknown)}")
    return ids


def _long(counts: pd.DataFrame, metrics: list[Metric], units: pd.DataFrame, *, breakdown_rows: bool) -> pd.DataFrame:
    """One row per metric and counted key with numerator and denominator (population rates: the unit's
    population)."""
    parts = []
    for metric in metrics:
        rows = counts
        if breakdown_rows:
            rows = rows[rows["breakdown"].isin(metric.breakdowns)]
        if rows.empty:
            continue
        if breakdown_rows:  # a breakdown lists the categories holding a case of the metric's own measures
            rows = rows[(rows[[m.key for m in metric.measures]].fillna(0.0) > 0).any(axis=1)]
            if rows.empty:
                continue
        numerator = rows[metric.numerator.key].fillna(0.0).to_numpy(dtype=float)
        if isinstance(metric.denominator, Measure):
            denominator = rows[metric.denominator.key].fillna(0.0).to_numpy(dtype=float)
        elif metric.population:
            if breakdown_rows:  # a population is not broken down
                continue
            denominator = np.full(len(rows), np.nan)  # the unit's population, set on the grid
        else:
            denominator = np.full(len(rows), np.nan)
        parts.append(pd.DataFrame({
            "metric_id": metric.id, "unit_code": rows["unit_code"].to_numpy(), "month": rows["month"].to_numpy(),
            "breakdown": rows["breakdown"].to_numpy(), "breakdown_value": rows["breakdown_value"].to_numpy(),
            "numerator": numerator, "denominator": denominator,
        }))
    if not parts:
        return pd.DataFrame(columns=["metric_id", "unit_code", "month", "breakdown", "breakdown_value",
                                     "numerator", "denominator"])
    return pd.concat(parts, ignore_index=True)


def _headline_grid(rows: pd.DataFrame, metrics: list[Metric], unit_codes: list[str], months: list,
                   units: pd.DataFrame) -> pd.DataFrame:
    """Every metric, unit and month a headline row: zero numerator (and denominator) where nothing
    happened; a population rate's denominator is the unit's population whatever happened (unknown when
    the reference tables do not give it)."""
    grid = pd.MultiIndex.from_product([[m.id for m in metrics], unit_codes, months],
                                      names=["metric_id", "unit_code", "month"])
    filled = rows.set_index(["metric_id", "unit_code", "month"]).reindex(grid).reset_index()
    filled["breakdown"] = None
    filled["breakdown_value"] = None
    filled["numerator"] = filled["numerator"].fillna(0.0)
    filled["denominator"] = filled["denominator"].fillna(0.0)
    population = units.set_index("unit_code")
    for metric in metrics:
        if metric.population:
            chosen = filled["metric_id"] == metric.id
            filled.loc[chosen, "denominator"] = filled.loc[chosen, "unit_code"].map(
                population[metric.population]).astype(float)
    return filled


def _values(rows: pd.DataFrame, factor: np.ndarray) -> pd.DataFrame:
    """value (and a Wilson interval for proportions) from numerator and denominator."""
    out = rows.copy()
    kind = out["metric_id"].map({mid: m.kind for mid, m in METRICS.items()}).to_numpy()
    per = out["metric_id"].map({mid: m.per or 1 for mid, m in METRICS.items()}).to_numpy(dtype=float)
    annualised = out["metric_id"].map({mid: m.annualised for mid, m in METRICS.items()}).to_numpy(dtype=bool)
    num = out["numerator"].to_numpy(dtype=float)
    den = out["denominator"].to_numpy(dtype=float)
    scale = np.where(annualised, factor, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / den, np.nan)
    out["value"] = np.where(kind == "count", num, np.where(kind == "rate", ratio * per * scale, ratio))
    out["ci_low"] = np.nan
    out["ci_high"] = np.nan
    proportion = kind == "proportion"
    if proportion.any():
        low, high = wilson_interval(num[proportion], den[proportion])
        out.loc[proportion, "ci_low"] = low
        out.loc[proportion, "ci_high"] = high
    counts = kind == "count"
    out.loc[counts, "denominator"] = np.nan
    out["numerator"] = pd.array(np.round(num), dtype="Int64")
    out["denominator"] = pd.array(np.round(out["denominator"].to_numpy(dtype=float)), dtype="Float64").astype("Int64")
    return out


def _unit_list(units: pd.DataFrame, counts: pd.DataFrame, unit_codes: list[str] | None) -> list[str]:
    found = set(units["unit_code"].dropna()) | set(counts["unit_code"].dropna())
    if unit_codes is not None:
        found &= set(unit_codes)
    return sorted(found)


def compute(con: duckdb.DuckDBPyConnection, level: str, period_from: date | str, period_to: date | str, *,
            metric_ids: Iterable[str] | None = None, unit_codes: Iterable[str] | None = None,
            breakdowns: bool = True, forces: Iterable[str] | None = None, source: str = "auto") -> pd.DataFrame:
    """Every metric asked for (all by default) for every unit of ``level`` over an inclusive period.

    Columns: ``COLUMNS``. One headline row per metric and unit (breakdown and breakdown_value null), then
    one per breakdown value the metric allows (``breakdowns=False`` skips them). ``unit_codes`` keeps only
    those units; ``forces`` only those forces' units. ``source``: see ``metrics.compiler.count_measures``.
    """
    period_from, period_to = _as_day(period_from), _as_day(period_to)
    ids = _check(level, period_from, period_to, metric_ids)
    if not ids:
        return pd.DataFrame(columns=COLUMNS)
    metrics = [METRICS[mid] for mid in ids]
    unit_codes = list(unit_codes) if unit_codes is not None else None
    units = level_units(con, level, forces)
    counts = count_measures(con, all_measures(ids), level, period_from, period_to, unit_codes=unit_codes,
                            forces=forces, source=source)
    wanted_units = _unit_list(units, counts, unit_codes)
    headline = _headline_grid(_long(counts, metrics, units, breakdown_rows=False), metrics, wanted_units,
                              [None], units)
    parts = [headline]
    with_breakdowns = [m for m in metrics if m.breakdowns]
    if breakdowns and with_breakdowns:
        names = sorted({b for m in with_breakdowns for b in m.breakdowns})
        detail = count_measures(con, all_measures([m.id for m in with_breakdowns]), level, period_from, period_to,
                                breakdowns=names, unit_codes=unit_codes, forces=forces, source="facts")
        detail = detail[detail["breakdown"].notna() & detail["unit_code"].isin(wanted_units)]
        parts.append(_long(detail, with_breakdowns, units, breakdown_rows=True))
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True)
    out = _values(rows, np.full(len(rows), annualising_factor(period_from, period_to)))
    names = units.set_index("unit_code")["unit_name"]
    out["unit_name"] = out["unit_code"].map(names).fillna(out["unit_code"])
    out["level"] = level
    out["period_from"] = period_from
    out["period_to"] = period_to
    order = {mid: i for i, mid in enumerate(METRICS)}
    out["_order"] = out["metric_id"].map(order)
    out["_is_breakdown"] = out["breakdown"].notna()
    out = out.sort_values(["_order", "unit_code", "_is_breakdown", "breakdown", "breakdown_value"],
                          na_position="first", kind="stable")
    return out[COLUMNS].reset_index(drop=True)


def monthly_series(con: duckdb.DuckDBPyConnection, metric_ids: Iterable[str], level: str, unit_code: str,
                   period_from: date | str, period_to: date | str, *, source: str = "auto") -> pd.DataFrame:
    """Several metrics month by month for one unit: columns ``metric_id, month, numerator, denominator,
    value`` (by metric in the order given, then by month). Each month is a period of its own (the part of
    it inside the period), so a population rate is annualised per month."""
    period_from, period_to = _as_day(period_from), _as_day(period_to)
    ids = _check(level, period_from, period_to, metric_ids)
    metrics = [METRICS[mid] for mid in ids]
    units = level_units(con, level)
    counts = count_measures(con, all_measures(ids), level, period_from, period_to, by_month=True,
                            unit_codes=[unit_code], source=source)
    if unit_code not in set(units["unit_code"]) and unit_code not in set(counts["unit_code"]):
        raise KeyError(f"No {level} {unit_code!r} in the reference tables or the data.")
    months = months_in_period(period_from, period_to)
    rows = _headline_grid(_long(counts, metrics, units, breakdown_rows=False), metrics, [unit_code], months, units)
    factor = {m: annualising_factor(max(m, period_from), min(month_end(m), period_to)) for m in months}
    out = _values(rows, rows["month"].map(factor).to_numpy(dtype=float))
    out["_order"] = out["metric_id"].map({mid: i for i, mid in enumerate(ids)})
    out = out.sort_values(["_order", "month"], kind="stable")
    return out[["metric_id", *MONTHLY_COLUMNS]].reset_index(drop=True)


def monthly(con: duckdb.DuckDBPyConnection, metric_id: str, level: str, unit_code: str,
            period_from: date | str, period_to: date | str, *, source: str = "auto") -> pd.DataFrame:
    """One metric month by month for one unit (columns ``month, numerator, denominator, value``)."""
    return monthly_series(con, [metric_id], level, unit_code, period_from, period_to, source=source)[MONTHLY_COLUMNS]


__all__ = ["compute", "monthly", "monthly_series", "level_units", "LEVELS", "COLUMNS"]

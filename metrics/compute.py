"""The registry's metrics for a level and a period, in the export format of the catalogue.

``compute(con, level, period_from, period_to, ...)`` asks the compiler (``metrics.compiler.counts_sql``)
for every measure the metrics need and, in the same DuckDB query, pairs them into each metric's numerator and
denominator; ``_valued`` then turns them into values as the registry's conventions say, with the one home of
each rule: a count is its numerator; a proportion is numerator / denominator with a 95% Wilson interval
(``metrics.stats.wilson_interval``); a rate is numerator / denominator x ``metrics.comparison.value_scale``
(per 1,000 and so on, a population rate annualised unless the period is 12 whole months). Units pool: a
level's numerators and denominators sum to the force's, so a rate for a group of units is the sum of
numerators over the sum of denominators, never a mean of rates. Every unit of the level gets a headline row
for every metric (zero where nothing happened); breakdown rows follow for the categories holding a case of
each metric's own measures, for the breakdowns it allows.

``monthly_series`` gives several metrics month by month for one unit (each month a period of its own: the
part of it inside the period, annualised as such).
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

import duckdb
import numpy as np
import pandas as pd

from metrics.comparison import value_scale
from metrics.compiler import KEY_COLUMNS, NO_MONTH, NO_MONTH_SQL, counts_sql
from metrics.periods import days_in_period, month_end, months_in_period, parse_day
from metrics.registry import LEVELS, METRICS, Measure, Metric, all_measures
from metrics.stats import wilson_interval
from metrics.units import level_units

COLUMNS = ["metric_id", "level", "unit_code", "unit_name", "period_from", "period_to", "breakdown",
           "breakdown_value", "numerator", "denominator", "value", "ci_low", "ci_high"]
MONTHLY_COLUMNS = ["month", "numerator", "denominator", "value"]
_POPULATIONS = ("population", "population_16plus", "population_female_16plus")


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


def _metric_rows(metrics: list[Metric], *, breakdown_rows: bool) -> str:
    """One SELECT per metric over ``counts``: its numerator and denominator on each key (ids and breakdown
    names are the registry's identifiers, never input)."""
    selects = []
    for order, metric in enumerate(metrics):
        numerator = f'"{metric.numerator.key}"'
        if isinstance(metric.denominator, Measure):
            denominator = f'"{metric.denominator.key}"'
        else:
            denominator = "CAST(NULL AS DOUBLE)"  # a count; a population comes from the units
        if breakdown_rows:
            if not metric.breakdowns or metric.population:
                continue
            allowed = ", ".join(f"'{b}'" for b in metric.breakdowns)
            holds = " OR ".join(f'coalesce("{m.key}", 0) > 0' for m in metric.measures)
            where = f"breakdown_key IN ({allowed}) AND ({holds})"
        else:
            where = "breakdown_key = ''"
        selects.append(f"SELECT '{metric.id}' AS metric_id, {order} AS metric_order, {', '.join(KEY_COLUMNS)}, "
                       f"coalesce({numerator}, 0) AS numerator, coalesce({denominator}, 0) AS denominator "
                       f"FROM counts WHERE {where}")
    return " UNION ALL ".join(selects) if selects else ""


def _metric_table(metrics: list[Metric]) -> str:
    rows = ", ".join(
        f"('{m.id}', {i}, '{m.kind}', {float(m.per or 1)}, {str(m.annualised).lower()}, "
        f"{repr(m.population) if m.population else 'NULL'})" for i, m in enumerate(metrics))
    return f"SELECT * FROM (VALUES {rows}) AS t(metric_id, metric_order, kind, per, annualised, population)"


def _export_sql(counts: str, metrics: list[Metric], *, breakdowns: bool, months: bool, unit_filter: bool) -> str:
    """Every metric's numerator and denominator (a population for a population rate) per unit, month and
    breakdown value, from the compiled counts, in one query; ``_valued`` turns them into values."""
    population = "CASE m.population " + " ".join(f"WHEN '{p}' THEN u.{p}" for p in _POPULATIONS) + " END"
    headline_rows = _metric_rows(metrics, breakdown_rows=False)
    detail_rows = _metric_rows(metrics, breakdown_rows=True) if breakdowns else ""
    unit_clause = " AND unit_code IN (SELECT unnest($unit_codes))" if unit_filter else ""
    month_keys = "SELECT unnest($months) AS month_key" if months else f"SELECT {NO_MONTH_SQL} AS month_key"
    detail = (" UNION ALL SELECT d.metric_id, d.metric_order, d.unit_code, d.month_key, d.breakdown_key, d.value_key, "
              "d.numerator, d.denominator FROM detail AS d JOIN units USING (unit_code)") if detail_rows else ""
    return f"""
WITH counts AS MATERIALIZED ({counts}),
metrics AS ({_metric_table(metrics)}),
units AS MATERIALIZED (
    SELECT unit_code, unit_name, {', '.join(_POPULATIONS)} FROM dim_units
    WHERE level = $level AND (CAST($forces AS VARCHAR[]) IS NULL OR list_contains($forces, force_code)){unit_clause}
    UNION ALL
    SELECT DISTINCT unit_code, NULL, NULL, NULL, NULL FROM counts
    WHERE unit_code NOT IN (SELECT unit_code FROM dim_units WHERE level = $level){unit_clause}
),
months AS ({month_keys}),
headline AS ({headline_rows}),
{"detail AS (" + detail_rows + ")," if detail_rows else ""}
rows AS (
    SELECT m.metric_id, m.metric_order, u.unit_code, mo.month_key, '' AS breakdown_key, '' AS value_key,
           coalesce(h.numerator, 0) AS numerator,
           CASE WHEN m.population IS NOT NULL THEN {population} ELSE coalesce(h.denominator, 0) END AS denominator
    FROM metrics AS m CROSS JOIN units AS u CROSS JOIN months AS mo
    LEFT JOIN headline AS h ON h.metric_id = m.metric_id AND h.unit_code = u.unit_code AND h.month_key = mo.month_key
    {detail}
)
SELECT r.metric_id, r.unit_code, u.unit_name, r.month_key,
       nullif(r.breakdown_key, '') AS breakdown,
       CASE WHEN r.breakdown_key <> '' THEN r.value_key END AS breakdown_value,
       r.numerator, r.denominator
FROM rows AS r
LEFT JOIN units AS u USING (unit_code)
ORDER BY r.metric_order, r.unit_code, r.month_key, r.breakdown_key <> '', r.breakdown_key, r.value_key
"""


def _valued(frame: pd.DataFrame, period_from: date, period_to: date) -> pd.DataFrame:
    """``value``, ``ci_low`` and ``ci_high`` from numerator and denominator, by the registry's conventions
    (``metrics.comparison.value_scale`` for rates, ``metrics.stats.wilson_interval`` for proportions). A
    month row is a period of its own: the part of its month inside the period."""
    kind = frame["metric_id"].map({metric_id: metric.kind for metric_id, metric in METRICS.items()}).to_numpy()
    num = frame["numerator"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float, na_value=np.nan)
    # One scale per metric and month (a few hundred), spread to the rows (hundreds of thousands).
    groups = frame.groupby(["metric_id", "month_key"], sort=False)
    spans = []
    for metric_id, month in groups.size().index:
        month = pd.Timestamp(month).date()
        span = ((period_from, period_to) if month == NO_MONTH
                else (max(month, period_from), min(month_end(month), period_to)))
        spans.append(value_scale(METRICS[metric_id], *span))
    scale = np.asarray(spans, dtype=float)[groups.ngroup().to_numpy()] if len(frame) else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / den, np.nan)
    frame["value"] = np.where(kind == "count", num, ratio * scale)
    frame["ci_low"] = np.nan
    frame["ci_high"] = np.nan
    proportion = kind == "proportion"
    if proportion.any():
        low, high = wilson_interval(num[proportion], den[proportion])
        frame.loc[proportion, "ci_low"] = low
        frame.loc[proportion, "ci_high"] = high
    frame.loc[kind == "count", "denominator"] = np.nan
    return frame


def _run(con: duckdb.DuckDBPyConnection, metrics: list[Metric], level: str, period_from: date, period_to: date, *,
         breakdowns: bool, by_month: bool, unit_codes: list[str] | None, forces: list[str] | None,
         source: str) -> pd.DataFrame:
    names = sorted({b for m in metrics for b in m.breakdowns}) if breakdowns else []
    measures = all_measures([m.id for m in metrics])
    # The categories are asked of the same marts as the headline, joined on the same keys.
    counts, params = counts_sql(con, measures, level, period_from, period_to, by_month=by_month, breakdowns=names,
                                unit_codes=unit_codes, forces=forces, source=source)
    text = _export_sql(counts, metrics, breakdowns=bool(names), months=by_month, unit_filter=unit_codes is not None)
    params = {**params, "level": level, "forces": forces}
    if by_month:
        params["months"] = months_in_period(period_from, period_to)
    if unit_codes is not None:
        params["unit_codes"] = unit_codes
    frame = _valued(con.execute(text, {k: v for k, v in params.items() if f"${k}" in text}).df(), period_from,
                    period_to)
    frame["numerator"] = pd.array(frame["numerator"].round(), dtype="Float64").astype("Int64")
    frame["denominator"] = pd.array(frame["denominator"].round(), dtype="Float64").astype("Int64")
    for column in ("breakdown", "breakdown_value"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    frame["unit_name"] = frame["unit_name"].astype(object).where(frame["unit_name"].notna(), frame["unit_code"])
    return frame


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
    frame = _run(con, [METRICS[mid] for mid in ids], level, period_from, period_to, breakdowns=breakdowns,
                 by_month=False, unit_codes=list(unit_codes) if unit_codes is not None else None,
                 forces=list(forces) if forces is not None else None, source=source)
    frame["level"] = level
    frame["period_from"] = period_from
    frame["period_to"] = period_to
    return frame[COLUMNS]


def monthly_series(con: duckdb.DuckDBPyConnection, metric_ids: Iterable[str], level: str, unit_code: str,
                   period_from: date | str, period_to: date | str, *, source: str = "auto") -> pd.DataFrame:
    """Several metrics month by month for one unit: columns ``metric_id, month, numerator, denominator,
    value`` (by metric in the order given, then by month)."""
    period_from, period_to = _as_day(period_from), _as_day(period_to)
    ids = _check(level, period_from, period_to, metric_ids)
    frame = _run(con, [METRICS[mid] for mid in ids], level, period_from, period_to, breakdowns=False, by_month=True,
                 unit_codes=[unit_code], forces=None, source=source)
    if frame.empty and unit_code not in set(level_units(con, level)["unit_code"]):
        raise KeyError(f"No {level} {unit_code!r} in the reference tables or the data.")
    frame["month"] = [pd.Timestamp(m).date() for m in frame["month_key"]]
    return frame[["metric_id", *MONTHLY_COLUMNS]].reset_index(drop=True)


def monthly(con: duckdb.DuckDBPyConnection, metric_id: str, level: str, unit_code: str,
            period_from: date | str, period_to: date | str, *, source: str = "auto") -> pd.DataFrame:
    """One metric month by month for one unit (columns ``month, numerator, denominator, value``)."""
    return monthly_series(con, [metric_id], level, unit_code, period_from, period_to, source=source)[MONTHLY_COLUMNS]


__all__ = ["compute", "monthly", "monthly_series", "level_units", "LEVELS", "COLUMNS"]

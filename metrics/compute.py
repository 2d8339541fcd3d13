"""Compute the registry's metrics for a level and a period, in the export format of the catalogue.

Each SQL file in ``sql/metrics/`` counts a family of metrics in one query, at the grain of force,
division and CSP (numerators and denominators as ``<id>__num`` / ``<id>__den`` columns);
``sql/metrics/rollup.sql`` sums those counts to the units of a level. This module binds the parameters,
reshapes the columns into one row per metric, unit and breakdown, and turns numerators and denominators
into values (the conventions are in ``metrics.registry``'s docstring). Units pool: a level's numerators
and denominators sum to the force's, so a rate for a group of units is the sum of numerators over the
sum of denominators, never a mean of rates.

Speed: the look-back flags are a TEMP table per connection, rebuilt when the incidents change; a
family's counts are cached under a fingerprint of all the data and every parameter, so the three levels
(and the monthly series of a family's metrics) share one query.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from datetime import date
from typing import Iterable

import duckdb
import numpy as np
import pandas as pd

from daperf.sqlfiles import sql
from metrics.calendar import non_counting_days
from metrics.config import threshold_values
from metrics.periods import days_in_period, month_end, months_in_period, parse_day
from metrics.registry import METRICS, Metric
from metrics.stats import wilson_interval

LEVELS = ("force", "division", "csp")
DAYS_PER_YEAR = 365.25  # annualising convention: count x 365.25 / days in the period
COLUMNS = ["metric_id", "level", "unit_code", "unit_name", "period_from", "period_to", "breakdown",
           "breakdown_value", "numerator", "denominator", "value", "ci_low", "ci_high"]
MONTHLY_COLUMNS = ["month", "numerator", "denominator", "value"]
_KEYS = ["metric_id", "unit_code", "month", "breakdown", "breakdown_value"]
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


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
    ids = list(metric_ids) if metric_ids is not None else list(METRICS)
    unknown = [mid for mid in ids if mid not in METRICS]
    if unknown:
        raise KeyError(f"Unknown metric id(s): {', '.join(unknown)}")
    return ids


def _parameters_of(name: str, available: dict) -> dict:
    """Exactly the parameters sql/<name>.sql names (DuckDB refuses any others)."""
    wanted = dict.fromkeys(_PARAMETER.findall(sql(name)))
    missing = [key for key in wanted if key not in available]
    if missing:
        raise KeyError(f"sql/{name}.sql needs parameter(s) {', '.join(missing)}")
    return {key: available[key] for key in wanted}


def _run(con: duckdb.DuckDBPyConnection, name: str, available: dict) -> pd.DataFrame:
    """Run sql/<name>.sql binding exactly the parameters it names."""
    return con.execute(sql(name), _parameters_of(name, available)).df()


def _prepare(con: duckdb.DuckDBPyConnection) -> str:
    """Make the marts ready (see ``prepare``) and return the fingerprint of the data they stand on."""
    fingerprint = "|".join(_run(con, "marts/fingerprint", {}).iloc[0].astype(str))
    lookback_days = threshold_values()["lookback_days"]
    flags_key = f"{fingerprint.split('|')[0]}|{lookback_days}"
    try:
        built = _run(con, "marts/incident_flags_built", {})["cache_key"].iloc[0]
    except duckdb.CatalogException:  # first use on this connection
        built = None
    if built != flags_key:
        _run(con, "marts/incident_flags", {"lookback_days": lookback_days, "cache_key": flags_key})
        con.execute(sql("marts/facts"))  # after the flags: its macros bind to the table
    return fingerprint


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the marts the metric queries stand on: TEMP macros, and the incidents' look-back flags
    as a TEMP table for this connection, rebuilt only when the incidents (or the look-back) change."""
    _prepare(con)


# A family's counts at the force / division / CSP grain, per data fingerprint and parameters: the three
# levels, and every metric of a family's monthly series, share one query. A hit needs identical data.
_FAMILY_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_FAMILY_CACHE_SIZE = 64
_FAMILY_CACHE_LOCK = threading.Lock()


def _family_counts(con, family: str, parameters: dict, fingerprint: str) -> pd.DataFrame:
    """sql/metrics/<family>.sql's counts; ``parameters`` holds every threshold (the look-back among them
    shapes the flags the query reads), so any change of data or threshold misses the cache."""
    key = (fingerprint, family, tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                             for k, v in parameters.items())))
    with _FAMILY_CACHE_LOCK:
        if key in _FAMILY_CACHE:
            _FAMILY_CACHE.move_to_end(key)
            return _FAMILY_CACHE[key]
    counts = _run(con, f"metrics/{family}", parameters)  # binds only the parameters the file names
    with _FAMILY_CACHE_LOCK:
        _FAMILY_CACHE[key] = counts
        while len(_FAMILY_CACHE) > _FAMILY_CACHE_SIZE:
            _FAMILY_CACHE.popitem(last=False)
    return counts


def _rollup(con, counts: pd.DataFrame, level: str) -> pd.DataFrame:
    """The family's counts summed to the units of ``level`` (sql/metrics/rollup.sql)."""
    con.register("family_rows", counts)
    try:
        return _run(con, "metrics/rollup", {"level": level})
    finally:
        con.unregister("family_rows")


def level_units(con: duckdb.DuckDBPyConnection, level: str, *, prepared: bool = False) -> pd.DataFrame:
    """unit_code, unit_name and populations of every unit of a level in the reference tables."""
    if not prepared:
        prepare(con)
    return _run(con, "marts/level_units", {"level": level})


def _long_frame(con, level, period_from, period_to, ids, *, breakdowns: bool, by_month: bool) -> pd.DataFrame:
    """One row per metric, unit, month and breakdown with numerator and denominator, before values.

    ``month`` is the first of the month when ``by_month``, else ``period_from`` on every row.
    """
    fingerprint = _prepare(con)
    wanted = [METRICS[mid] for mid in ids]
    counted = {m.numerator_of or m.id for m in wanted}  # population rates are counted by their count metric
    families: dict[str, list[Metric]] = {}
    for mid in counted:
        families.setdefault(METRICS[mid].sql, []).append(METRICS[mid])
    parameters = {
        **threshold_values(),
        "period_from": period_from, "period_to": period_to,
        "by_month": by_month, "with_breakdowns": breakdowns,
        # A hearing can fall after the period: cover the year after too.
        "non_counting_days": non_counting_days(date(period_from.year, 1, 1), date(period_to.year + 1, 12, 31)),
    }
    columns: dict[str, list[np.ndarray]] = {name: [] for name in (*_KEYS, "numerator", "denominator")}
    for family, members in sorted(families.items()):
        result = _rollup(con, _family_counts(con, family, parameters, fingerprint), level)
        keys = {name: result[name].to_numpy(dtype=object) for name in _KEYS[1:]}
        for metric in members:
            columns["metric_id"].append(np.full(len(result), metric.id, dtype=object))
            for name, values in keys.items():
                columns[name].append(values)
            columns["numerator"].append(result[f"{metric.id}__num"].to_numpy(dtype=float))
            den = f"{metric.id}__den"
            columns["denominator"].append(result[den].to_numpy(dtype=float) if den in result
                                          else np.full(len(result), np.nan))
    rows = pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})
    if by_month:
        rows["month"] = [pd.Timestamp(m).date() for m in rows["month"]]
    else:
        rows["month"] = period_from

    # Population rates: the headline rows of the count they are built on.
    derived = [rows[(rows["metric_id"] == m.numerator_of) & rows["breakdown"].isna()].assign(metric_id=m.id)
               for m in wanted if m.numerator_of]
    rows = pd.concat([rows, *derived], ignore_index=True)
    rows = rows[rows["metric_id"].isin(ids)]
    allowed = {f"{m.id}|{b}" for m in wanted for b in m.breakdowns if not m.population}
    keep = rows["breakdown"].isna() | (rows["metric_id"] + "|" + rows["breakdown"].astype(str)).isin(allowed)
    rows = rows[keep]

    # Every metric, unit and month gets a headline row: zero when nothing happened there.
    units = level_units(con, level, prepared=True)
    all_units = sorted(set(units["unit_code"].dropna()) | set(rows["unit_code"].dropna()))
    months = months_in_period(period_from, period_to) if by_month else [period_from]
    grid = pd.MultiIndex.from_product([ids, all_units, months], names=["metric_id", "unit_code", "month"])
    headline = rows[rows["breakdown"].isna()].set_index(["metric_id", "unit_code", "month"])
    headline = headline.reindex(grid).reset_index()
    headline["numerator"] = headline["numerator"].fillna(0.0)
    headline["denominator"] = headline["denominator"].fillna(0.0)
    rows = pd.concat([headline, rows[rows["breakdown"].notna()]], ignore_index=True)

    kind = rows["metric_id"].map({m.id: m.kind for m in wanted})
    rows.loc[kind == "count", "denominator"] = np.nan
    for metric in wanted:
        if metric.population:
            population = units.set_index("unit_code")[metric.population].astype(float)
            is_metric = rows["metric_id"] == metric.id
            rows.loc[is_metric, "denominator"] = rows.loc[is_metric, "unit_code"].map(population)
    names = units.set_index("unit_code")["unit_name"]
    rows["unit_name"] = rows["unit_code"].map(names).fillna(rows["unit_code"])
    return rows


def _values(rows: pd.DataFrame, period_from: date, period_to: date, *, by_month: bool) -> pd.DataFrame:
    """value (and Wilson interval for proportions) from numerator and denominator, per the registry."""
    out = rows.copy()
    kind = out["metric_id"].map({mid: m.kind for mid, m in METRICS.items()}).to_numpy()
    per = out["metric_id"].map({mid: m.per or 1 for mid, m in METRICS.items()}).to_numpy(dtype=float)
    annualised = out["metric_id"].map({mid: m.annualised for mid, m in METRICS.items()}).to_numpy(dtype=bool)
    num = out["numerator"].to_numpy(dtype=float)
    den = out["denominator"].to_numpy(dtype=float)
    if by_month:  # each month is a period of its own: the part of it inside the period
        day_count = {m: days_in_period(max(m, period_from), min(month_end(m), period_to))
                     for m in set(out["month"])}
        days = out["month"].map(day_count).to_numpy(dtype=float)
    else:
        days = np.full(len(out), float(days_in_period(period_from, period_to)))
    scale = np.where(annualised, DAYS_PER_YEAR / days, 1.0)
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
    out["numerator"] = pd.array(np.round(num), dtype="Int64")
    out["denominator"] = pd.array(np.round(den), dtype="Float64").astype("Int64")
    return out


def compute(con: duckdb.DuckDBPyConnection, level: str, period_from: date | str, period_to: date | str, *,
            metric_ids: Iterable[str] | None = None, unit_codes: Iterable[str] | None = None,
            breakdowns: bool = True) -> pd.DataFrame:
    """Every metric asked for (all by default) for every unit of ``level`` over an inclusive period.

    Columns: metric_id, level, unit_code, unit_name, period_from, period_to, breakdown, breakdown_value,
    numerator, denominator, value, ci_low, ci_high. One headline row per metric and unit (breakdown and
    breakdown_value null), then one per breakdown value the metric allows (``breakdowns=False`` skips
    them). ``unit_codes`` keeps only those units.
    """
    period_from, period_to = _as_day(period_from), _as_day(period_to)
    ids = _check(level, period_from, period_to, metric_ids)
    if not ids:
        return pd.DataFrame(columns=COLUMNS)
    long = _long_frame(con, level, period_from, period_to, ids, breakdowns=breakdowns, by_month=False)
    if unit_codes is not None:
        long = long[long["unit_code"].isin(list(unit_codes))]
    out = _values(long, period_from, period_to, by_month=False)
    out["level"] = level
    out["period_from"] = period_from
    out["period_to"] = period_to
    order = {mid: i for i, mid in enumerate(METRICS)}
    out["_order"] = out["metric_id"].map(order)
    out["_headline"] = out["breakdown"].notna()
    out = out.sort_values(["_order", "unit_code", "_headline", "breakdown", "breakdown_value"],
                          na_position="first", kind="stable")
    return out[COLUMNS].reset_index(drop=True)


def monthly(con: duckdb.DuckDBPyConnection, metric_id: str, level: str, unit_code: str,
            period_from: date | str, period_to: date | str) -> pd.DataFrame:
    """The metric month by month for one unit (columns month, numerator, denominator, value).

    Each month is computed as a period of its own (the part of it inside the period), so population
    rates are annualised per month: count x 365.25 / days in the month / (population / per).
    """
    period_from, period_to = _as_day(period_from), _as_day(period_to)
    _check(level, period_from, period_to, [metric_id])
    long = _long_frame(con, level, period_from, period_to, [metric_id], breakdowns=False, by_month=True)
    long = long[(long["unit_code"] == unit_code) & long["breakdown"].isna()]
    if long.empty:
        raise KeyError(f"No {level} {unit_code!r} in the reference tables or the data.")
    out = _values(long, period_from, period_to, by_month=True).sort_values("month")
    return out[MONTHLY_COLUMNS].reset_index(drop=True)


__all__ = ["compute", "monthly", "level_units", "prepare", "LEVELS", "COLUMNS"]

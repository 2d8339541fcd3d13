"""Compute the registry's metrics for a level and a period, in the export format of the catalogue.

Each SQL file in ``sql/metrics/`` counts a family of metrics in one query, at the grain of force,
division and CSP (numerators and denominators as ``<id>__num`` / ``<id>__den`` columns);
``sql/metrics/rollup.sql`` sums those counts to the units of a level. This module binds the parameters,
reshapes the columns into one row per metric, unit and breakdown, and turns numerators and denominators
into values (the conventions are in ``metrics.registry``'s docstring). Units pool: a level's numerators
and denominators sum to the force's, so a rate for a group of units is the sum of numerators over the
sum of denominators, never a mean of rates.

Speed: the look-back flags are a TEMP table per connection, rebuilt when the incidents change; a
family's counts are cached under a fingerprint of all the data and the parameters its SQL binds, so the
three levels (and the monthly series of a family's metrics) share one query. Headline counts of whole
months are sums of a family's month-by-month counts, taken once over every month (``_period_counts``),
so a new period, the previous one and the monthly series cost no query; distinct-person families
(``PERSON_FAMILIES``) still ask for each period.
"""
from __future__ import annotations

import re
import threading
import weakref
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


# Read-only connections whose marts are built: connection -> (data fingerprint, look-back the flags were
# built with). Their data cannot change, so a later call checks nothing in the database.
_READ_ONLY_READY: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, tuple[str, object]]" = (
    weakref.WeakKeyDictionary())


def _prepare(con: duckdb.DuckDBPyConnection) -> str:
    """Make the marts ready (see ``prepare``) and return the fingerprint of the data they stand on.

    Hashing every table costs tens of milliseconds, so on a read-only database (whose data cannot change
    under the connection) it is done once per connection and read back from the flags table after.
    """
    lookback_days = threshold_values()["lookback_days"]
    ready = _READ_ONLY_READY.get(con)
    if ready is not None and ready[1] == lookback_days:
        return ready[0]
    try:
        built_key, built_fingerprint = _run(con, "marts/incident_flags_built", {}).iloc[0]
    except duckdb.CatalogException:  # first use on this connection
        built_key, built_fingerprint = None, None
    read_only = bool(_run(con, "marts/read_only", {})["read_only"].iloc[0])
    if read_only and isinstance(built_fingerprint, str):
        fingerprint = built_fingerprint
    else:
        fingerprint = "|".join(_run(con, "marts/fingerprint", {}).iloc[0].astype(str))
    flags_key = f"{fingerprint.split('|')[0]}|{lookback_days}"
    if built_key != flags_key or built_fingerprint != fingerprint:
        _run(con, "marts/incident_flags", {"lookback_days": lookback_days, "cache_key": flags_key,
                                           "data_fingerprint": fingerprint})
        con.execute(sql("marts/facts"))  # after the flags: its macros bind to the table
        con.execute(sql("marts/order_deadline"))  # the 48-hour order rule, shared with metrics/daily.py
    if read_only:
        _READ_ONLY_READY[con] = (fingerprint, lookback_days)
    return fingerprint


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the marts the metric queries stand on: TEMP macros, and the incidents' look-back flags
    as a TEMP table for this connection, rebuilt only when the incidents (or the look-back) change."""
    _prepare(con)


# Counts per data fingerprint, family, the parameters its SQL binds and (once rolled up) level: the three
# levels, and every metric of a family, share one query. A hit needs identical data.
_COUNTS_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_COUNTS_CACHE_SIZE = 256
_COUNTS_CACHE_LOCK = threading.Lock()

# The span a family's month-by-month counts are taken over once (every record the data can hold), so
# that any period of whole months inside it is a sum of months.
MONTHS_SPAN = (date(1900, 1, 1), date(2199, 12, 31))
# Families that count distinct people (a victim or suspect once per period, at their last incident):
# a period's count is not the sum of its months', so a period needs a query of its own. Every other
# family counts records, each dated in one month, so its counts over whole months are sums of months.
PERSON_FAMILIES = frozenset({"repeat_victims", "serial_perpetrators"})


def _cached_counts(key: tuple, make) -> pd.DataFrame:
    """``make()``, kept under ``key`` (callers only read the frame)."""
    with _COUNTS_CACHE_LOCK:
        if key in _COUNTS_CACHE:
            _COUNTS_CACHE.move_to_end(key)
            return _COUNTS_CACHE[key]
    frame = make()
    with _COUNTS_CACHE_LOCK:
        _COUNTS_CACHE[key] = frame
        while len(_COUNTS_CACHE) > _COUNTS_CACHE_SIZE:
            _COUNTS_CACHE.popitem(last=False)
    return frame


def _level_counts(con, family: str, parameters: dict, fingerprint: str, level: str) -> pd.DataFrame:
    """sql/metrics/<family>.sql's counts summed to the units of ``level``. ``parameters`` holds every
    threshold; the key holds those the family binds and the look-back (which shapes the flags any
    query may read), so any change of data or of a threshold it uses misses the cache."""
    bound = _parameters_of(f"metrics/{family}", parameters)
    bound_key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in bound.items()))
    key = (fingerprint, parameters["lookback_days"], family, bound_key)
    counts = _cached_counts(key, lambda: con.execute(sql(f"metrics/{family}"), bound).df())
    return _cached_counts((*key, level), lambda: _rollup(con, counts, level))


def _whole_months(period_from: date, period_to: date) -> bool:
    return (period_from.day == 1 and period_to == month_end(period_to)
            and MONTHS_SPAN[0] <= period_from and period_to <= MONTHS_SPAN[1])


def _period_counts(con, family: str, parameters: dict, fingerprint: str, level: str, *,
                   from_months: bool) -> pd.DataFrame:
    """The family's counts at ``level`` for ``parameters``' period (by month when it says so).

    With ``from_months``, a period of whole months is cut from the family's counts month by month over
    ``MONTHS_SPAN`` (one query for every period, the previous one and the monthly series alike): the
    months inside the period, kept as months or summed per unit. Exact: each record counts in the month
    of its date, the period only selects records by that date, and the other parameters are the same.
    Distinct-person families are cut from months only when months are asked for.
    """
    period_from, period_to, by_month = parameters["period_from"], parameters["period_to"], parameters["by_month"]
    if not (from_months and not parameters["with_breakdowns"] and _whole_months(period_from, period_to)
            and (by_month or family not in PERSON_FAMILIES)):
        return _level_counts(con, family, parameters, fingerprint, level)
    span_from, span_to = MONTHS_SPAN
    if "non_counting_days" in _parameters_of(f"metrics/{family}", parameters):
        # The days not counted are drawn from the period's years (see _long_frame): scan those years
        # only; any period within the same years binds the same days, so it is cut from this scan.
        span_from, span_to = date(period_from.year, 1, 1), date(period_to.year, 12, 31)
    span = {**parameters, "period_from": span_from, "period_to": span_to, "by_month": True}
    months = _level_counts(con, family, span, fingerprint, level)
    month = pd.to_datetime(months["month"])
    inside = months[(month >= pd.Timestamp(period_from)) & (month <= pd.Timestamp(period_to))]
    if by_month:
        return inside
    # Headline rows only (no breakdowns asked for): one sum per unit. Integer counts summed as float64
    # are exact up to 2**53, far beyond any count here.
    counted = [column for column in inside.columns if column.endswith(("__num", "__den"))]
    unit_index, unit_codes = pd.factorize(inside["unit_code"])
    sums = np.zeros((len(unit_codes), len(counted)))
    np.add.at(sums, unit_index, inside[counted].to_numpy(dtype=float))
    return pd.DataFrame({"unit_code": unit_codes, "month": None, "breakdown": None, "breakdown_value": None,
                         **{column: sums[:, i] for i, column in enumerate(counted)}})


def _rollup(con, counts: pd.DataFrame, level: str) -> pd.DataFrame:
    """The family's counts summed to the units of ``level`` (sql/metrics/rollup.sql)."""
    con.register("family_rows", counts)
    try:
        return _run(con, "metrics/rollup", {"level": level})
    finally:
        con.unregister("family_rows")


def _level_units(con, level: str, fingerprint: str) -> pd.DataFrame:
    return _cached_counts((fingerprint, "level_units", level),
                          lambda: _run(con, "marts/level_units", {"level": level}))


def level_units(con: duckdb.DuckDBPyConnection, level: str, *, prepared: bool = False) -> pd.DataFrame:
    """unit_code, unit_name and populations of every unit of a level in the reference tables.
    (``prepared`` is kept for callers; the marts are checked either way, cheaply once built.)"""
    return _level_units(con, level, _prepare(con)).copy()


def _long_frame(con, level, period_from, period_to, ids, *, breakdowns: bool, by_month: bool,
                from_months: bool = True) -> pd.DataFrame:
    """One row per metric, unit, month and breakdown with numerator and denominator, before values.

    ``month`` is the first of the month when ``by_month``, else ``period_from`` on every row.
    ``from_months``: headline counts of whole months come from the families' monthly counts (see
    ``_period_counts``); False asks every family for the period itself.
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
        result = _period_counts(con, family, parameters, fingerprint, level,
                                from_months=from_months and not breakdowns)
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
    units = _level_units(con, level, fingerprint)
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
            breakdowns: bool = True, from_months: bool = True) -> pd.DataFrame:
    """Every metric asked for (all by default) for every unit of ``level`` over an inclusive period.

    Columns: metric_id, level, unit_code, unit_name, period_from, period_to, breakdown, breakdown_value,
    numerator, denominator, value, ci_low, ci_high. One headline row per metric and unit (breakdown and
    breakdown_value null), then one per breakdown value the metric allows (``breakdowns=False`` skips
    them). ``unit_codes`` keeps only those units. ``from_months=False`` computes every family for the
    period itself instead of summing cached months (the same numbers; the tests compare the two).
    """
    period_from, period_to = _as_day(period_from), _as_day(period_to)
    ids = _check(level, period_from, period_to, metric_ids)
    if not ids:
        return pd.DataFrame(columns=COLUMNS)
    long = _long_frame(con, level, period_from, period_to, ids, breakdowns=breakdowns, by_month=False,
                       from_months=from_months)
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


def monthly_series(con: duckdb.DuckDBPyConnection, metric_ids: Iterable[str], level: str, unit_code: str,
                   period_from: date | str, period_to: date | str, *, from_months: bool = True) -> pd.DataFrame:
    """``monthly`` for several metrics at once (columns metric_id, month, numerator, denominator,
    value; by metric in the order given, then by month): one pass for all, the same numbers."""
    period_from, period_to = _as_day(period_from), _as_day(period_to)
    ids = list(dict.fromkeys(_check(level, period_from, period_to, metric_ids)))
    long = _long_frame(con, level, period_from, period_to, ids, breakdowns=False, by_month=True,
                       from_months=from_months)
    long = long[(long["unit_code"] == unit_code) & long["breakdown"].isna()]
    if long.empty:
        raise KeyError(f"No {level} {unit_code!r} in the reference tables or the data.")
    out = _values(long, period_from, period_to, by_month=True)
    out["_order"] = out["metric_id"].map({mid: i for i, mid in enumerate(ids)})
    out = out.sort_values(["_order", "month"], kind="stable")
    return out[["metric_id", *MONTHLY_COLUMNS]].reset_index(drop=True)


def monthly(con: duckdb.DuckDBPyConnection, metric_id: str, level: str, unit_code: str,
            period_from: date | str, period_to: date | str, *, from_months: bool = True) -> pd.DataFrame:
    """The metric month by month for one unit (columns month, numerator, denominator, value).

    Each month is computed as a period of its own (the part of it inside the period), so population
    rates are annualised per month: count x 365.25 / days in the month / (population / per).
    ``from_months`` as for ``compute``.
    """
    series = monthly_series(con, [metric_id], level, unit_code, period_from, period_to, from_months=from_months)
    return series[MONTHLY_COLUMNS]


__all__ = ["compute", "monthly", "monthly_series", "level_units", "prepare", "LEVELS", "COLUMNS"]

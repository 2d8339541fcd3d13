"""The one compiler: from the registry's measure declarations to SQL over the marts.

``count_measures(con, measures, level, period_from, period_to, ...)`` returns one row per unit of the
level (and month, and breakdown value, when asked) with one column per measure (named by ``Measure.key``).
It writes one query per group of measures that share a fact and an event date (records) or a fact, an
event date and a person column (people):

- records: ``count(*) FILTER (WHERE <flags>)`` or ``sum(<column>) FILTER (WHERE <flags>)`` over the rows
  whose event date falls in the period, grouped by the level's unit column (and month, and each breakdown
  column as a grouping set of its own);
- people: each person (per force) once per period (or month), placed at the unit and breakdown values of
  their last record in it (ties broken by the record id), counted when any of their records has the flags.

For a period of whole months with no breakdowns, additive measures are read from ``mart_monthly`` (built
at load by ``build_monthly_mart``, the same compiled counts month by month at the finest grain: force,
division and partnership), so the answer is a sum of months; ``source="facts"`` asks the facts instead,
and the tests hold the two equal.

Identifiers in the SQL come from the registry's declarations (checked as plain column names when a
``Measure`` is made); every value (dates, codes, units) is a bound parameter.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd

from metrics.periods import is_whole_months
from metrics.registry import FACTS, LEVELS, Fact, Measure, all_measures

KEYS = ["unit_code", "month", "breakdown", "breakdown_value"]
GRAIN = ["force_code", "division_code", "csp_code"]
MONTHLY_MART = "mart_monthly"


def _where(measure: Measure) -> str:
    return " AND ".join(measure.where) if measure.where else "true"


def _aggregate(measure: Measure) -> str:
    if measure.sum_of:
        return f'coalesce(sum({measure.sum_of}) FILTER (WHERE {_where(measure)}), 0) AS "{measure.key}"'
    return f'count(*) FILTER (WHERE {_where(measure)}) AS "{measure.key}"'


def _group(measures: Iterable[Measure]) -> dict[tuple, list[Measure]]:
    groups: dict[tuple, list[Measure]] = defaultdict(list)
    for measure in measures:
        groups[(measure.fact, measure.date, measure.distinct)].append(measure)
    return groups


def _breakdown_columns(fact: Fact, breakdowns: Sequence[str]) -> list[tuple[str, str]]:
    return [(b, fact.breakdowns[b]) for b in breakdowns if b in fact.breakdowns]


def _grouping(unit: str, month: bool, breakdowns: list[tuple[str, str]]) -> tuple[str, str, str]:
    """GROUP BY clause and the breakdown name / value expressions over grouping sets."""
    base = [unit] + (["month"] if month else [])
    if not breakdowns:
        return "GROUP BY " + ", ".join(base), "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)"
    sets = [f"({', '.join(base)})"] + [f"({', '.join(base + [column])})" for _, column in breakdowns]
    name = "CASE " + " ".join(f"WHEN grouping({c}) = 0 THEN '{b}'" for b, c in breakdowns) + " END"
    value = "CASE " + " ".join(f"WHEN grouping({c}) = 0 THEN CAST({c} AS VARCHAR)" for _, c in breakdowns) + " END"
    return f"GROUP BY GROUPING SETS ({', '.join(sets)})", name, value


def _filters(fact: Fact, date_column: str, unit: str, *, bounded: bool, units: bool, forces: bool) -> str:
    clauses = [f"{date_column} IS NOT NULL"]
    if bounded:
        clauses.append(f"{date_column} >= $period_start AND {date_column} < $period_end")
    if forces:
        clauses.append("force_code IN (SELECT unnest($forces))")
    if units:
        clauses.append(f"{unit} IN (SELECT unnest($unit_codes))")
    return " AND ".join(clauses)


def records_sql(fact: Fact, date_column: str, measures: Sequence[Measure], unit: str, *, month: bool,
                breakdowns: list[tuple[str, str]], bounded: bool, units: bool, forces: bool) -> str:
    """Counts of records (and sums) of one fact by one date, grouped by ``unit`` (a column, or several
    for the monthly mart's grain)."""
    month_expr = f"CAST(date_trunc('month', {date_column}) AS DATE)" if month else "CAST(NULL AS DATE)"
    group_by, name, value = _grouping(unit, month, breakdowns)
    unit_select = unit if "," in unit else f"{unit} AS unit_code"
    return (
        f"SELECT {unit_select}, {month_expr} AS month, {name} AS breakdown, {value} AS breakdown_value, "
        + ", ".join(_aggregate(m) for m in measures)
        + f" FROM {fact.table}"
        + f" WHERE {_filters(fact, date_column, unit, bounded=bounded, units=units and ',' not in unit, forces=forces)}"
        + ("" if "," in unit else f" AND {unit} IS NOT NULL")
        + f" {group_by}"
    )


def people_sql(fact: Fact, date_column: str, person: str, measures: Sequence[Measure], unit: str, *,
               month: bool, breakdowns: list[tuple[str, str]], units: bool, forces: bool) -> str:
    """Distinct people of one fact by one date, each placed at their last record of the period."""
    order = f"({date_column}, {fact.record_id})"
    month_expr = f"CAST(date_trunc('month', {date_column}) AS DATE)" if month else "CAST(NULL AS DATE)"
    placed = [f"arg_max({unit}, {order}) AS unit_code"] + [
        f"arg_max({column}, {order}) AS {column}" for _, column in breakdowns
    ]
    flags = [f'bool_or({_where(m)}) AS "{m.key}"' for m in measures]
    people = (
        f"SELECT force_code, {person}, {month_expr} AS month, " + ", ".join(placed + flags)
        + f" FROM {fact.table}"
        + f" WHERE {_filters(fact, date_column, unit, bounded=True, units=False, forces=forces)}"
        + f" AND {person} IS NOT NULL GROUP BY force_code, {person}, month"
    )
    group_by, name, value = _grouping("unit_code", month, breakdowns)
    counted = ", ".join(f'count(*) FILTER (WHERE "{m.key}") AS "{m.key}"' for m in measures)
    unit_filter = " AND unit_code IN (SELECT unnest($unit_codes))" if units else ""
    return (
        f"WITH people AS ({people}) "
        f"SELECT unit_code, {'month' if month else 'CAST(NULL AS DATE) AS month'}, {name} AS breakdown, "
        f"{value} AS breakdown_value, {counted} "
        f"FROM people WHERE unit_code IS NOT NULL{unit_filter} {group_by}"
    )


def _bounds(period_from: date, period_to: date) -> dict:
    return {"period_start": pd.Timestamp(period_from), "period_end": pd.Timestamp(period_to + timedelta(days=1))}


def _monthly_mart_sql(measures: Sequence[Measure], level: str, *, by_month: bool, units: bool,
                      forces: bool) -> str:
    unit = FACTS["incidents"].units[level]
    month = "month" if by_month else "CAST(NULL AS DATE)"
    clauses = ["measure IN (SELECT unnest($measures))", "month >= $month_start AND month <= $month_end",
               f"{unit} IS NOT NULL"]
    if forces:
        clauses.append("force_code IN (SELECT unnest($forces))")
    if units:
        clauses.append(f"{unit} IN (SELECT unnest($unit_codes))")
    return (f"SELECT {unit} AS unit_code, {month} AS month, measure, sum(n) AS n FROM {MONTHLY_MART} "
            f"WHERE {' AND '.join(clauses)} GROUP BY ALL")


def _from_monthly_mart(con, measures, level, period_from, period_to, *, by_month, unit_codes, forces) -> pd.DataFrame:
    text = _monthly_mart_sql(measures, level, by_month=by_month, units=unit_codes is not None,
                             forces=forces is not None)
    params = {"measures": [m.key for m in measures], "month_start": period_from, "month_end": period_to}
    if unit_codes is not None:
        params["unit_codes"] = list(unit_codes)
    if forces is not None:
        params["forces"] = list(forces)
    long = con.execute(text, params).df()
    if long.empty:
        return pd.DataFrame(columns=KEYS + [m.key for m in measures])
    wide = long.pivot_table(index=["unit_code", "month"], columns="measure", values="n", aggfunc="sum",
                            dropna=False).reset_index()
    wide.columns.name = None
    wide["breakdown"] = None
    wide["breakdown_value"] = None
    for measure in measures:
        if measure.key not in wide:
            wide[measure.key] = 0.0
    return wide[KEYS + [m.key for m in measures]]


def count_measures(con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], level: str, period_from: date,
                   period_to: date, *, by_month: bool = False, breakdowns: Sequence[str] = (),
                   unit_codes: Iterable[str] | None = None, forces: Iterable[str] | None = None,
                   source: str = "auto") -> pd.DataFrame:
    """One row per unit (and month, and breakdown value) with each measure's count; see the module doc.

    ``month`` is the first of the month when ``by_month``, else null. ``breakdown`` and
    ``breakdown_value`` are null on the headline rows. ``source``: ``auto`` (the monthly mart where it
    can answer), ``facts`` or ``mart`` (tests).
    """
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}: use one of {', '.join(LEVELS)}.")
    unit_codes = list(unit_codes) if unit_codes is not None else None
    forces = list(forces) if forces is not None else None
    frames: list[pd.DataFrame] = []
    from_mart = (source == "mart" or (source == "auto" and not breakdowns and is_whole_months(period_from, period_to)))
    additive = [m for m in measures if m.additive]
    if from_mart and additive and _has_monthly_mart(con):
        frames.append(_from_monthly_mart(con, additive, level, period_from, period_to, by_month=by_month,
                                         unit_codes=unit_codes, forces=forces))
        remaining = [m for m in measures if not m.additive]
    else:
        remaining = list(measures)
    params = {**_bounds(period_from, period_to)}
    if unit_codes is not None:
        params["unit_codes"] = unit_codes
    if forces is not None:
        params["forces"] = forces
    for (fact_name, date_column, person), members in _group(remaining).items():
        fact = FACTS[fact_name]
        unit = fact.units[level]
        columns = _breakdown_columns(fact, breakdowns)
        if person is None:
            text = records_sql(fact, date_column, members, unit, month=by_month, breakdowns=columns, bounded=True,
                               units=unit_codes is not None, forces=forces is not None)
        else:
            text = people_sql(fact, date_column, person, members, unit, month=by_month, breakdowns=columns,
                              units=unit_codes is not None, forces=forces is not None)
        used = {k: v for k, v in params.items() if f"${k}" in text}
        frames.append(con.execute(text, used).df())
    return merge_counts(frames, [m.key for m in measures])


def _has_monthly_mart(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $name AND database_name = current_database()",
        {"name": MONTHLY_MART}).fetchall()[0][0])


def merge_counts(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Outer-join per-group frames on the keys. A measure with no row for a key is NaN there (nothing of
    its fact and date had that key): callers count it as 0 on headline rows and leave out breakdown rows
    that none of a metric's measures produced."""
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame(columns=KEYS + columns)
    merged = None
    for frame in frames:
        frame = frame.copy()
        for key in KEYS:
            frame[key] = frame[key].astype(object).where(frame[key].notna(), None)
        frame["month"] = [None if m is None else pd.Timestamp(m).date() for m in frame["month"]]
        merged = frame if merged is None else merged.merge(frame, on=KEYS, how="outer")
    for column in columns:
        if column not in merged:
            merged[column] = np.nan
    merged[columns] = merged[columns].astype(float)
    return merged[KEYS + columns].reset_index(drop=True)


# --- the monthly mart, built at load ---------------------------------------------------------------

def build_monthly_mart(con: duckdb.DuckDBPyConnection) -> None:
    """``mart_monthly``: every additive measure of the registry, per force, division, partnership and month
    (long: ``force_code, division_code, csp_code, month, measure, n``; only months with something counted)."""
    selects = []
    for (fact_name, date_column, person), members in _group(m for m in all_measures() if m.additive).items():
        fact = FACTS[fact_name]
        counted = records_sql(fact, date_column, members, ", ".join(GRAIN), month=True, breakdowns=[],
                              bounded=False, units=False, forces=False)
        columns = ", ".join(f'"{m.key}"' for m in members)
        selects.append(
            f"SELECT force_code, division_code, csp_code, month, measure, n FROM "
            f"(UNPIVOT ({counted}) ON {columns} INTO NAME measure VALUE n) WHERE n <> 0"
        )
    con.execute(f"CREATE OR REPLACE TABLE {MONTHLY_MART} AS " + " UNION ALL ".join(selects)
                + " ORDER BY measure, month")

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

For a period of whole months, additive measures are read from the monthly marts (``mart_monthly_<fact>_<date>``,
built at load by ``build_monthly_mart``: the same compiled counts month by month at the finest grain —
force, division and partnership — for the headline and every breakdown value), so the answer is a sum of
months; ``source="facts"`` asks the facts instead, and the tests hold the two equal.

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
from metrics.units import has_tables

KEYS = ["unit_code", "month", "breakdown", "breakdown_value"]
GRAIN = ["force_code", "division_code", "csp_code"]
MONTHLY_MART = "mart_monthly"  # the prefix of the monthly marts' names


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


def people_table(fact: str, person: str, date_column: str) -> str:
    """The people mart of one fact, person column and event date."""
    return f"mart_people_{fact}_{person}_{date_column}"


def _last_column(measure: Measure) -> str:
    return f"last_{measure.key}"


def people_mart_sql(fact: Fact, date_column: str, person: str, measures: Sequence[Measure]) -> str:
    """One row per record of a person (per force), in the order of its event date and record id, with the
    date of the person's next record (``next_at``) and, for each measure's flags, the date of the person's
    latest record up to this one that has them. A person is then counted in a period at the one record of
    theirs in it whose next record falls after the period, and has a flagged record in the period when that
    latest flagged date is not before the period's start: a filtered count, no grouping by person."""
    order = f"PARTITION BY force_code, {person} ORDER BY {date_column}, {fact.record_id}"
    bands = ", ".join(dict.fromkeys(fact.breakdowns.values()))
    latest = ", ".join(
        f'max(CASE WHEN {_where(m)} THEN {date_column} END) OVER (people ROWS BETWEEN UNBOUNDED PRECEDING AND '
        f'CURRENT ROW) AS "{_last_column(m)}"' for m in measures if m.where)
    return (
        f"SELECT force_code, division_code, csp_code{', ' + bands if bands else ''}, "
        f"{date_column} AS event_at, lead({date_column}) OVER people AS next_at{', ' + latest if latest else ''} "
        f"FROM {fact.table} WHERE {date_column} IS NOT NULL AND {person} IS NOT NULL "
        f"WINDOW people AS ({order}) ORDER BY event_at"
    )


def people_mart_counts_sql(fact: Fact, date_column: str, person: str, measures: Sequence[Measure], unit: str, *,
                           month: bool, breakdowns: list[tuple[str, str]], units: bool, forces: bool) -> str:
    """Distinct people counted from the people mart (see ``people_mart_sql``)."""
    month_expr = "CAST(date_trunc('month', event_at) AS DATE)" if month else "CAST(NULL AS DATE)"
    if month:  # each month is a period of its own: its part inside the period
        start = "greatest(CAST(date_trunc('month', event_at) AS TIMESTAMP), $period_start)"
        end = "least(CAST(date_trunc('month', event_at) AS TIMESTAMP) + INTERVAL 1 MONTH, $period_end)"
    else:
        start, end = "$period_start", "$period_end"
    last_in_period = f"(next_at IS NULL OR next_at >= {end})"
    counted = ", ".join(
        f'count(*) FILTER (WHERE {last_in_period}'
        + (f' AND "{_last_column(m)}" >= {start}' if m.where else "") + f') AS "{m.key}"' for m in measures)
    clauses = ["event_at >= $period_start AND event_at < $period_end", f"{unit} IS NOT NULL"]
    if forces:
        clauses.append("force_code IN (SELECT unnest($forces))")
    if units:
        clauses.append(f"{unit} IN (SELECT unnest($unit_codes))")
    group_by, name, value = _grouping(unit, month, breakdowns)
    return (f"SELECT {unit} AS unit_code, {month_expr} AS month, {name} AS breakdown, {value} AS breakdown_value, "
            f"{counted} FROM {people_table(fact.name, person, date_column)} WHERE {' AND '.join(clauses)} "
            f"{group_by}")


def _bounds(period_from: date, period_to: date) -> dict:
    return {"period_start": pd.Timestamp(period_from), "period_end": pd.Timestamp(period_to + timedelta(days=1))}


def monthly_table(fact: str, date_column: str) -> str:
    """The monthly mart of one fact and event date (an identifier made of declared names)."""
    return f"{MONTHLY_MART}_{fact}_{date_column}"


def _monthly_mart_sql(fact: Fact, date_column: str, measures: Sequence[Measure], level: str, *, by_month: bool,
                      breakdowns: bool, units: bool, forces: bool) -> str:
    unit = fact.units[level]
    month = "month" if by_month else "CAST(NULL AS DATE)"
    clauses = ["month >= $month_start AND month <= $month_end", f"{unit} IS NOT NULL",
               "(breakdown IS NULL OR breakdown IN (SELECT unnest($breakdowns)))" if breakdowns else "breakdown IS NULL"]
    if forces:
        clauses.append("force_code IN (SELECT unnest($forces))")
    if units:
        clauses.append(f"{unit} IN (SELECT unnest($unit_codes))")
    sums = ", ".join(f'sum("{m.key}") AS "{m.key}"' for m in measures)
    return (f"SELECT {unit} AS unit_code, {month} AS month, breakdown, breakdown_value, {sums} "
            f"FROM {monthly_table(fact.name, date_column)} WHERE {' AND '.join(clauses)} GROUP BY ALL")


def _monthly_mart_params(period_from: date, period_to: date, breakdowns: Sequence[str]) -> dict:
    return {"month_start": period_from, "month_end": period_to, "breakdowns": list(breakdowns)}


# Keys made comparable for joins (NULL never equals NULL in a join): sentinels, turned back at the end.
NO_MONTH = date(1, 1, 1)  # the month key of a row for the whole period
NO_MONTH_SQL = f"DATE '{NO_MONTH.isoformat()}'"
_KEYED = ("unit_code, coalesce(month, " + NO_MONTH_SQL + ") AS month_key, coalesce(breakdown, '') AS breakdown_key, "
          "coalesce(breakdown_value, '') AS value_key")
KEY_COLUMNS = ("unit_code", "month_key", "breakdown_key", "value_key")


def counts_sql(con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], level: str, period_from: date,
               period_to: date, *, by_month: bool = False, breakdowns: Sequence[str] = (),
               unit_codes: Iterable[str] | None = None, forces: Iterable[str] | None = None,
               source: str = "auto") -> tuple[str, dict]:
    """The SQL (and its parameters) of ``count_measures``: one query per group of measures sharing a fact
    and an event date (and person), joined on the keys ``unit_code, month_key, breakdown_key, value_key``
    (sentinels for no month and no breakdown); a measure's column is NULL where its group had no row."""
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}: use one of {', '.join(LEVELS)}.")
    marts = source == "auto" and has_tables(con, monthly_table("incidents", "reported_at"))
    from_mart = marts and is_whole_months(period_from, period_to)
    registered = {m.key for m in all_measures()}
    params = {**_bounds(period_from, period_to)}
    if unit_codes is not None:
        params["unit_codes"] = list(unit_codes)
    if forces is not None:
        params["forces"] = list(forces)
    units, with_forces = unit_codes is not None, forces is not None
    parts: list[tuple[str, list[Measure]]] = []
    for (fact_name, date_column, person), members in _group(measures).items():
        fact = FACTS[fact_name]
        unit = fact.units[level]
        columns = _breakdown_columns(fact, breakdowns)
        if person is None and from_mart and all(m.key in registered for m in members):
            text = _monthly_mart_sql(fact, date_column, members, level, by_month=by_month,
                                     breakdowns=bool(columns), units=units, forces=with_forces)
            params.update(_monthly_mart_params(period_from, period_to, breakdowns))
        elif person is None:
            text = records_sql(fact, date_column, members, unit, month=by_month, breakdowns=columns, bounded=True,
                               units=units, forces=with_forces)
        elif marts and all(m.key in registered for m in members):
            text = people_mart_counts_sql(fact, date_column, person, members, unit, month=by_month,
                                          breakdowns=columns, units=units, forces=with_forces)
        else:
            text = people_sql(fact, date_column, person, members, unit, month=by_month, breakdowns=columns,
                              units=units, forces=with_forces)
        parts.append((text, members))
    if not parts:
        return (f"SELECT CAST(NULL AS VARCHAR) AS unit_code, {NO_MONTH_SQL} AS month_key, '' AS breakdown_key, "
                "'' AS value_key WHERE false"), {}
    ctes = [f"g{i} AS MATERIALIZED (SELECT {_KEYED}, * EXCLUDE (unit_code, month, breakdown, breakdown_value) FROM ({text}))"
            for i, (text, _) in enumerate(parts)]
    keys = " UNION ".join(f"SELECT {', '.join(KEY_COLUMNS)} FROM g{i}" for i in range(len(parts)))
    joins = " ".join(f"LEFT JOIN g{i} USING ({', '.join(KEY_COLUMNS)})" for i in range(len(parts)))
    columns = ", ".join(f'CAST(g{i}."{m.key}" AS DOUBLE) AS "{m.key}"' for i, (_, members) in enumerate(parts)
                        for m in members)
    text = (f"WITH {', '.join(ctes)}, keys AS ({keys}) "
            f"SELECT {', '.join('keys.' + k for k in KEY_COLUMNS)}, {columns} FROM keys {joins}")
    used = {k: v for k, v in params.items() if f"${k}" in text}
    return text, used


def count_measures(con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], level: str, period_from: date,
                   period_to: date, *, by_month: bool = False, breakdowns: Sequence[str] = (),
                   unit_codes: Iterable[str] | None = None, forces: Iterable[str] | None = None,
                   source: str = "auto") -> pd.DataFrame:
    """One row per unit (and month, and breakdown value) with each measure's count; see the module doc.

    ``month`` is the first of the month when ``by_month``, else null. ``breakdown`` and
    ``breakdown_value`` are null on the headline rows; a measure is NaN where nothing of its fact and date
    had the row's key. ``source``: ``auto`` (the marts where they can answer), ``facts`` (tests: always
    the fact tables).
    """
    text, params = counts_sql(con, measures, level, period_from, period_to, by_month=by_month,
                              breakdowns=breakdowns, unit_codes=unit_codes, forces=forces, source=source)
    frame = con.execute(
        f"SELECT unit_code, CASE WHEN month_key <> {NO_MONTH_SQL} THEN month_key END AS month, "
        "nullif(breakdown_key, '') AS breakdown, CASE WHEN breakdown_key <> '' THEN value_key END AS breakdown_value, "
        f"* EXCLUDE ({', '.join(KEY_COLUMNS)}) FROM ({text})", params).df()
    frame["month"] = [None if pd.isna(m) else pd.Timestamp(m).date() for m in frame["month"]]
    for key in ("breakdown", "breakdown_value"):
        frame[key] = frame[key].astype(object).where(frame[key].notna(), None)
    for measure in measures:
        if measure.key not in frame:
            frame[measure.key] = np.nan
    return frame[KEYS + [m.key for m in measures]]


# --- the monthly mart, built at load ---------------------------------------------------------------

def build_monthly_mart(con: duckdb.DuckDBPyConnection) -> None:
    """The monthly marts: for each fact and event date, every additive measure of the registry counted per
    force, division, partnership and month, for the headline (``breakdown`` null) and for each value of
    each breakdown the fact offers. A period of whole months is then a sum of months."""
    con.execute(f"DROP TABLE IF EXISTS {MONTHLY_MART}")  # the single long table of earlier builds
    for (fact_name, date_column, _), members in _group(m for m in all_measures() if m.additive).items():
        fact = FACTS[fact_name]
        counted = records_sql(fact, date_column, members, ", ".join(GRAIN), month=True,
                              breakdowns=_breakdown_columns(fact, list(fact.breakdowns)), bounded=False,
                              units=False, forces=False)
        con.execute(f"CREATE OR REPLACE TABLE {monthly_table(fact_name, date_column)} AS {counted} ORDER BY month")
    for (fact_name, date_column, person), members in _group(m for m in all_measures() if not m.additive).items():
        con.execute(f"CREATE OR REPLACE TABLE {people_table(fact_name, person, date_column)} AS "
                    + people_mart_sql(FACTS[fact_name], date_column, person, members))

"""Staging views and mart tables, built inside the load that changed the data.

``build_marts(con)`` runs on the load's own connection (inside ``daperf.db.atomic_write``, so a reader
sees the old marts or the new, never half a build):

1. reference dimensions from the data the product ships: ``dim_calendar`` (working days and financial
   periods, ``reference.calendar``), ``dim_outcome_types`` (``reference.vocabulary``), ``ref_forces``
   (force names, ``reference.geography``);
2. the staging views (``sql/staging/``): typed, coded, banded views of each extract;
3. the marts (``sql/marts/``): one fact table per extract with every derived flag as a column, the
   crimes' attrition view and the units dimension;
4. ``mart_monthly_<fact>_<date>``: every additive measure of the registry counted month by month per force, division
   and partnership (compiled by ``metrics.compiler`` from the registry's declarations), so any period of
   whole months is a sum of months;
5. the comparator marts (``metrics.comparators.build_comparator_marts``): every force's figures, loaded and
   computed from the records, and each force's most similar group (docs/COMPARATORS.md);
6. ``mart_build``: when, with which thresholds, over which data.

``rebuild_marts(db_path)`` does the same on an existing database without reloading extracts (after a
threshold changes: ``daperf rebuild-marts``).
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from daperf.config import threshold_values, thresholds
from daperf.db import atomic_write
from daperf.sqlfiles import sql
from reference import geography
from reference.calendar import calendar_frame
from reference.vocabulary import AWAITING_OUTCOME, outcome_types

STAGING = ("incidents", "arrests", "protective_orders", "dvds", "marac")
# In dependency order: incidents read arrests and MARAC referrals; crimes read incidents.
MARTS = ("fact_incidents", "fact_crimes", "fact_arrests", "fact_notices", "fact_dvds", "fact_marac", "dim_units")
# Marts written a group of forces at a time (a query over the forces $first_force to $last_force; no rule
# crosses forces), so that the windows and sorts of a national batch stay in memory; a group holds about
# GROUP_INCIDENTS incidents.
BY_FORCE_GROUP = {"fact_incidents"}
GROUP_INCIDENTS = 1_000_000
# How far the calendar reaches past the data: a hearing deadline is at most 17 days after service.
CALENDAR_MARGIN = timedelta(days=60)
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _run(con: duckdb.DuckDBPyConnection, name: str, values: dict, text: str | None = None) -> None:
    """Run ``sql/<name>.sql`` (or ``text``) binding exactly the values it names (DuckDB refuses others)."""
    text = text or sql(name)
    con.execute(text, {key: values[key] for key in dict.fromkeys(_PARAMETER.findall(text))})


def force_groups(con: duckdb.DuckDBPyConnection, size: int = GROUP_INCIDENTS) -> list[list[str]]:
    """Runs of forces in code order, each of about ``size`` incidents (a larger force alone); one empty
    group when there are no incidents."""
    groups: list[list[str]] = [[]]
    held = 0
    for force_code, incidents in con.execute(sql("marts/force_sizes")).fetchall():
        if groups[-1] and held + incidents > size:
            groups.append([])
            held = 0
        groups[-1].append(force_code)
        held += incidents
    return groups


def _build_by_force_group(con: duckdb.DuckDBPyConnection, mart: str, values: dict) -> None:
    query = sql(f"marts/{mart}")
    for number, forces in enumerate(force_groups(con)):
        write = f"CREATE OR REPLACE TABLE {mart} AS " if number == 0 else f"INSERT INTO {mart} "  # ours
        bounds = {"first_force": forces[0], "last_force": forces[-1]} if forces else {"first_force": None,
                                                                                    "last_force": None}
        _run(con, mart, values | bounds, write + query)


def _replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("reference_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM reference_frame")  # name is ours
    finally:
        con.unregister("reference_frame")


def _data_span(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    ((first, last),) = con.execute(sql("marts/data_span")).fetchall()
    today = date.today()
    first = first or today
    last = max(last or today, today)
    return first - timedelta(days=1), last + CALENDAR_MARGIN


def _reference_dimensions(con: duckdb.DuckDBPyConnection) -> None:
    _replace_table(con, "dim_calendar", calendar_frame(*_data_span(con)))
    outcomes = pd.DataFrame(
        [{"outcome_type": AWAITING_OUTCOME, "sort_order": 0, "home_office_name": "Not yet assigned",
          "label": "Awaiting an outcome", "outcome_group": "awaiting"}]
        + [{"outcome_type": o.code, "sort_order": o.sort_order, "home_office_name": o.home_office_name,
            "label": o.label, "outcome_group": o.group} for o in outcome_types()]
    )
    _replace_table(con, "dim_outcome_types", outcomes)
    _replace_table(con, "ref_forces", geography.forces()[["force_code", "force_name"]])


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build every staging view and mart on ``con`` from its extract tables."""
    from metrics.comparators import build_comparator_marts  # every force's figures, MSGs (docs/COMPARATORS.md)
    from metrics.compiler import build_monthly_mart  # the registry's measures, compiled once

    values = threshold_values()
    con.execute(sql("marts/session"))
    _reference_dimensions(con)
    for table in STAGING:
        con.execute(sql(f"staging/{table}"))
    for mart in MARTS:
        if mart in BY_FORCE_GROUP:
            _build_by_force_group(con, mart, values)
        else:
            _run(con, f"marts/{mart}", values)
    build_monthly_mart(con)
    build_comparator_marts(con)
    settings = {key: {"value": item.value, "unit": item.unit, "source": item.source, "label": item.label}
                for key, item in thresholds().items()}
    con.execute(sql("marts/mart_build"), {"built_at": datetime.now().replace(microsecond=0),
                                          "settings": json.dumps(settings, sort_keys=True)})


def rebuild_marts(db_path: str | Path) -> None:
    """Rebuild the marts of an existing database (after a threshold changed), atomically."""
    path = Path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"No database at {path}: load a batch first (daperf load).")
    with atomic_write(path) as con:
        build_marts(con)


def built_settings(con: duckdb.DuckDBPyConnection) -> dict:
    """The thresholds the marts were built with (what /definitions shows), or {} before a build."""
    try:
        rows = con.execute("SELECT settings FROM mart_build").fetchall()
    except duckdb.CatalogException:
        return {}
    return json.loads(rows[0][0]) if rows else {}

"""Data quality: what was loaded and when, what was quarantined and why, how complete the incident fields
are by division, offence codes the reference table does not know, and records naming an incident that is
not loaded. The rules live in ``sql/data_quality/``; callers check ``can_see_data_quality`` first."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from daperf.sqlfiles import sql
from metrics.units import forces_in

# The incident fields whose completeness is reported, in the order shown (risk_level: share assessed).
COMPLETENESS_FIELDS = (
    "suspect_id", "victim_sex", "suspect_sex", "victim_age", "suspect_age", "victim_ethnicity",
    "victim_disability", "call_grade", "attended_at", "risk_tool", "risk_level", "children_present",
    "power_of_arrest", "crime_ref",
)


def load_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per batch, newest first: ``batch_id, source_dir, started_at, finished_at, status, message,
    files, rows_read, rows_inserted, rows_updated, rows_unchanged, rows_quarantined``."""
    return con.execute(sql("data_quality/load_history")).df()


def load_files(con: duckdb.DuckDBPyConnection, batch_id: str | None = None) -> pd.DataFrame:
    """The files of one batch (or all): row counts read, inserted, updated, unchanged, quarantined."""
    return con.execute(sql("data_quality/load_files"), {"batch_id": batch_id}).df()


def quarantine_by_rule(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``table_name, rule, column_name, rows_quarantined (in the latest batch of the table), records_ever,
    batches, last_quarantined_at, example_message``."""
    return con.execute(sql("data_quality/quarantine_by_rule")).df()


def field_completeness(
    con: duckdb.DuckDBPyConnection, period_from: date | None = None, period_to: date | None = None
) -> pd.DataFrame:
    """Long table, one row per division and field: ``division_code, division_name, field, incidents,
    known, share_known`` (a fraction 0–1). For ``risk_level`` known means assessed, so the share of
    'not_assessed' is ``1 - share_known``. Incidents reported in the period (None: all time)."""
    df = con.execute(
        sql("data_quality/field_completeness"),
        {"period_from": period_from, "period_to": period_to, "forces": forces_in(con)},
    ).df()
    df = df.drop(columns="position")
    df["known"] = df["known"].astype("int64")
    df["share_known"] = df["known"] / df["incidents"]
    return df


def completeness_matrix(completeness: pd.DataFrame) -> pd.DataFrame:
    """The long completeness table as divisions × fields of share known (for a heat-map or wide table)."""
    wide = completeness.pivot(index="division_code", columns="field", values="share_known")
    return wide[[f for f in COMPLETENESS_FIELDS if f in wide.columns]]


def unknown_offence_codes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``offence_code, incidents, first_recorded_at, last_recorded_at`` for codes not in offence_codes."""
    return con.execute(sql("data_quality/unknown_offence_codes"), {"forces": forces_in(con)}).df()


def orphan_records(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Arrests and notices whose incident_id is not among their force's incidents: ``table_name,
    record_id, incident_id, division_code, event_at, force_code``."""
    return con.execute(sql("data_quality/orphans"), {"forces": forces_in(con)}).df()


def orphan_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``table_name, orphans, with_incident_id`` for arrests and protective_orders."""
    df = con.execute(sql("data_quality/orphan_counts"), {"forces": forces_in(con)}).df()
    for column in ("orphans", "with_incident_id"):
        df[column] = df[column].astype("int64")
    return df

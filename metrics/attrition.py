"""The case-linked attrition cohort: of crimes recorded in a period, how far each got from report to
conviction, where the rest went, and how long each stage took.

The cohort and its stage rules live once, in ``sql/attrition/cohort.sql``; every question here selects
from it (the file is placed as a ``cohort`` CTE in front of the question's own SQL, parameters bound; so a
question file is one plain SELECT, with no WITH of its own).
These functions do not check access: a caller that shows record-level rows (``case_list``) checks
``app.auth.policy.can_see_case_list`` first.
"""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from daperf.sqlfiles import sql

LEVELS = ("force", "division", "csp")

# Funnel stages in order, with the words a page shows.
STAGES: dict[str, str] = {
    "recorded": "Crime recorded",
    "suspect_identified": "Suspect identified",
    "arrest": "Arrest",
    "charge": "Charge or summons (outcome 1/1A)",
    "cps_charge": "CPS charge decision",
    "conviction": "Conviction",
}
FUNNEL_COLUMNS = list(STAGES)


def _cohort_query(
    con: duckdb.DuckDBPyConnection,
    question: str,
    level: str,
    unit_code: str | None,
    period_from: date,
    period_to: date,
    **extra: object,
) -> pd.DataFrame:
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    text = f"WITH cohort AS (\n{sql('attrition/cohort')}\n)\n{sql(question)}"
    params = {
        "level": level,
        "unit_code": None if level == "force" else unit_code,
        "period_from": period_from,
        "period_to": period_to,
        **extra,
    }
    return con.execute(text, params).df()


def attrition_funnel(
    con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None, period_from: date, period_to: date
) -> pd.DataFrame:
    """One row per stage: ``stage, label, crimes, share_of_recorded`` (share a fraction 0–1, NaN when the
    cohort is empty). Each stage counts the crimes that reached it, whether or not they passed the
    earlier ones."""
    wide = _cohort_query(con, "attrition/funnel", level, unit_code, period_from, period_to)
    counts = wide.iloc[0]
    recorded = int(counts["recorded"])
    return pd.DataFrame(
        {
            "stage": FUNNEL_COLUMNS,
            "label": [STAGES[s] for s in FUNNEL_COLUMNS],
            "crimes": [int(counts[s]) for s in FUNNEL_COLUMNS],
            "share_of_recorded": [int(counts[s]) / recorded if recorded else float("nan") for s in FUNNEL_COLUMNS],
        }
    )


def attrition_by_unit(
    con: duckdb.DuckDBPyConnection, level: str, period_from: date, period_to: date
) -> pd.DataFrame:
    """The funnel per division or CSP: ``unit_code, unit_name, recorded, suspect_identified, arrest,
    charge, cps_charge, conviction`` and ``charge_share``, ``conviction_share`` (of recorded)."""
    if level not in ("division", "csp"):
        raise ValueError("attrition_by_unit needs level 'division' or 'csp'")
    df = _cohort_query(con, "attrition/funnel_by_unit", level, None, period_from, period_to)
    for stage in FUNNEL_COLUMNS:
        df[stage] = df[stage].astype("int64")
    recorded = df["recorded"].where(df["recorded"] > 0)
    df["charge_share"] = df["charge"] / recorded
    df["conviction_share"] = df["conviction"] / recorded
    return df


def outcome_mix(
    con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None, period_from: date, period_to: date
) -> pd.DataFrame:
    """Where the cohort went: ``outcome_type, label, crimes, share, called_out`` — type '0' is awaiting
    an outcome; ``called_out`` marks 15 and 16 (evidential difficulties)."""
    df = _cohort_query(con, "attrition/outcome_mix", level, unit_code, period_from, period_to)
    df["crimes"] = df["crimes"].astype("int64")
    df["called_out"] = df["called_out"].astype(bool)
    return df


def stage_timings(
    con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None, period_from: date, period_to: date
) -> pd.DataFrame:
    """Median days from report to each stage: ``stage, label, crimes, median_days`` (crimes = how many
    reached the stage with a date; median NaN when none did)."""
    df = _cohort_query(con, "attrition/stage_timings", level, unit_code, period_from, period_to)
    df["crimes"] = df["crimes"].astype("int64")
    df.insert(1, "label", [STAGES[s] for s in df["stage"]])
    return df


def case_list(
    con: duckdb.DuckDBPyConnection,
    level: str,
    unit_code: str | None,
    period_from: date,
    period_to: date,
    *,
    stage_lost: str | None = None,
    outcome_type: str | None = None,
) -> pd.DataFrame:
    """One row per crime in the cohort for dip-sampling, pseudonymised references only (12 hex chars of
    the stored hash). ``stage_lost``: the first stage the crime did not reach (a key of ``STAGES``);
    ``outcome_type``: '0' for awaiting an outcome, else '1', '1A', '2' … '22'."""
    if stage_lost is not None and stage_lost not in STAGES:
        raise ValueError(f"Unknown stage {stage_lost!r}")
    return _cohort_query(
        con, "attrition/case_list", level, unit_code, period_from, period_to,
        stage_lost=stage_lost, outcome_type=outcome_type,
    )


def unit_division(con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None) -> str | None:
    """The division a unit sits in (None for the force or an unknown CSP): what the case-list access check
    is asked about."""
    if level == "force" or unit_code is None:
        return None
    return con.execute(sql("attrition/unit_division"), {"level": level, "unit_code": unit_code}).fetchone()[0]

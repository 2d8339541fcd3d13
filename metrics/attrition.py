"""The case-linked attrition cohort: of the crimes recorded in a period, how far each got from report to
conviction, where the rest went, and how long each stage took.

The stages are columns of the marts (``sql/marts/fact_crimes.sql``: suspect identified, arrested, file
sent to the CPS, charged or summonsed, convicted); the cohort (``sql/attrition/cohort.sql``) selects the
crimes recorded in the period at a unit, and every question here selects from it (the cohort is placed as
a ``cohort`` CTE in front of the question's own SQL, parameters bound). Each stage is counted on its own (a
summons without an arrest still counts as a charge), and given as a share of the stage before it and of
the crimes recorded.

These functions do not check access: a caller that shows record-level rows (``case_list``) checks
``app.auth.policy.can_see_case_list`` first.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Sequence

import duckdb
import numpy as np
import pandas as pd

from daperf.sqlfiles import sql
from metrics.registry import LEVELS
from metrics.units import forces_in
from reference.vocabulary import VOCABULARIES

# Funnel stages in order (their words are the vocabulary's ``attrition_stage``).
STAGES: tuple[str, ...] = tuple(VOCABULARIES["attrition_stage"])
TIMED_STAGES = ("arrest", "cps_referral", "charge", "conviction")


def _cohort_query(con: duckdb.DuckDBPyConnection, question: str, level: str, unit_code: str | None,
                  period_from: date, period_to: date, forces: Sequence[str] | None = None,
                  **extra: object) -> pd.DataFrame:
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    text = f"WITH cohort AS (\n{sql('attrition/cohort')}\n)\n{sql(question)}"
    params = {
        "level": level,
        "unit_code": None if level == "force" and not unit_code else unit_code,
        "period_start": pd.Timestamp(period_from),
        "period_end": pd.Timestamp(period_to + timedelta(days=1)),
        "forces": list(forces) if forces is not None else forces_in(con),
        **extra,
    }
    return con.execute(text, {k: v for k, v in params.items() if f"${k}" in text}).df()


def _shares(counts: list[int]) -> tuple[list[float], list[float]]:
    recorded = counts[0]
    of_recorded = [c / recorded if recorded else np.nan for c in counts]
    of_previous = [np.nan] + [c / p if p else np.nan for p, c in zip(counts, counts[1:])]
    return of_previous, of_recorded


def attrition_funnel(con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None, period_from: date,
                     period_to: date, forces: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per stage: ``stage, crimes, share_of_previous, share_of_recorded, went_no_further``
    (fractions 0-1; NaN when the base is empty). ``crimes`` counts each stage on its own, so the stages are
    not nested; ``went_no_further`` counts each crime once, at the furthest stage it reached (these add up
    to the crimes recorded, and each is the case list's ``stage_lost`` of the stage after). ``cps_charged``
    (a column, the same on every row) counts the files the CPS decided to charge, for the CPS stage's
    words."""
    wide = _cohort_query(con, "attrition/funnel", level, unit_code, period_from, period_to, forces).iloc[0]
    counts = [int(wide[stage]) for stage in STAGES]
    of_previous, of_recorded = _shares(counts)
    return pd.DataFrame({"stage": list(STAGES), "crimes": counts, "share_of_previous": of_previous,
                         "share_of_recorded": of_recorded,
                         "went_no_further": [int(wide[f"furthest_{stage}"]) for stage in STAGES],
                         "cps_charged": int(wide["cps_charged"])})


def attrition_by_unit(con: duckdb.DuckDBPyConnection, level: str, period_from: date, period_to: date,
                      forces: Sequence[str] | None = None, division_code: str | None = None) -> pd.DataFrame:
    """The funnel per division or partnership (of ``division_code`` only, when given): ``unit_code,
    unit_name, division_code``, a count per stage, ``cps_charged``, and ``charge_share``,
    ``conviction_share`` (of recorded)."""
    if level not in ("division", "csp"):
        raise ValueError("attrition_by_unit needs level 'division' or 'csp'")
    df = _cohort_query(con, "attrition/funnel_by_unit", level, None, period_from, period_to, forces)
    if division_code:
        df = df[df["division_code"] == division_code].reset_index(drop=True)
    for column in (*STAGES, "cps_charged"):
        df[column] = df[column].astype("int64")
    recorded = df["recorded"].where(df["recorded"] > 0)
    df["charge_share"] = df["charge"] / recorded
    df["conviction_share"] = df["conviction"] / recorded
    return df


def outcome_mix(con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None, period_from: date,
                period_to: date, forces: Sequence[str] | None = None) -> pd.DataFrame:
    """Where the cohort went: ``outcome_type, label, outcome_group, crimes, share, called_out`` (type '0'
    is awaiting an outcome; ``called_out`` marks 15 and 16, evidential difficulties)."""
    df = _cohort_query(con, "attrition/outcome_mix", level, unit_code, period_from, period_to, forces)
    df["crimes"] = df["crimes"].astype("int64")
    df["called_out"] = df["called_out"].astype(bool)
    return df


def stage_timings(con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None, period_from: date,
                  period_to: date, forces: Sequence[str] | None = None) -> pd.DataFrame:
    """Days from report to each stage: ``stage, crimes, median_days, p90_days`` (crimes = how many reached
    the stage with a date; NaN when none did)."""
    df = _cohort_query(con, "attrition/stage_timings", level, unit_code, period_from, period_to, forces)
    df["crimes"] = df["crimes"].astype("int64")
    return df


def case_list(con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None, period_from: date,
              period_to: date, *, stage_lost: str | None = None, outcome_type: str | None = None,
              forces: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per crime in the cohort for dip-sampling, pseudonymised references only (12 hex characters
    of the stored hash). ``stage_lost``: the first stage the crime did not reach (one of ``STAGES``);
    ``outcome_type``: '0' for awaiting an outcome, else '1', '1A', '2' ... '22'."""
    if stage_lost is not None and stage_lost not in STAGES:
        raise ValueError(f"Unknown stage {stage_lost!r}")
    return _cohort_query(con, "attrition/case_list", level, unit_code, period_from, period_to, forces,
                         stage_lost=stage_lost, outcome_type=outcome_type)


def unit_division(con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None) -> str | None:
    """The division a unit sits in (None for the force or an unknown partnership): what the case-list
    access check is asked about."""
    if level == "force" or unit_code is None:
        return None
    if level == "division":
        return unit_code
    rows = con.execute(sql("marts/unit_division"), {"unit_code": unit_code}).fetchall()
    return rows[0][0] if rows else None

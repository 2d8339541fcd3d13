"""Properties of the metrics layer over random small forces (hypothesis, synthetic records only).

- Counts at division and at CSP level add up to the force's, headline and breakdown rows alike; so do the
  numerators and denominators of every rate and proportion, so pooling the units (Σ numerator /
  Σ denominator) gives the force's value.
- A suppressed export of every level never shows a count from 1 to 4, nor a rate on fewer than 10.

Every person in a generated force belongs to one CSP (their id carries it), so look-backs and distinct
counts of people are additive too; every arrest is linked to an incident, so every record can be placed.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from daperf.db import connect_memory
from etl.marts import build_marts
from metrics.compute import compute
from metrics.registry import METRICS
from metrics.suppression import suppress

FORCE = "E23000099"
CSP_DIVISION = {"C1": "D1", "C2": "D1", "C3": "D2"}
PERIOD = (date(2024, 1, 1), date(2024, 12, 31))
START = datetime(2023, 7, 1)  # records begin six months before the period, for the look-backs
DAYS = 600  # ... and run on past its end

# No shrinking: a whole force shrinks for minutes; the failing example is printed as generated.
PROPERTY_SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                             phases=[Phase.explicit, Phase.reuse, Phase.generate])


def person(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def insert_rows(con, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    con.register("new_rows", pd.DataFrame(rows))
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_rows")
    con.unregister("new_rows")


def maybe(draw, strategy):
    return draw(st.one_of(st.none(), strategy))


@st.composite
def forces(draw):
    """A random small force: incidents with crimes and outcomes, arrests, notices, DVDS and MARAC cases."""
    csps = st.sampled_from(sorted(CSP_DIVISION))
    when = st.integers(0, DAYS * 24).map(lambda h: START + timedelta(hours=h))
    hours = st.integers(0, 24 * 40).map(lambda h: timedelta(hours=h))
    incidents, arrests, orders, dvds, marac = [], [], [], [], []
    for n in range(draw(st.integers(0, 25))):
        csp = draw(csps)
        reported = draw(when)
        crime = draw(st.booleans())
        outcome = maybe(draw, st.sampled_from(["1", "1A", "9", "14", "15", "16"])) if crime else None
        incidents.append({
            "incident_id": f"I{n}", "force_code": FORCE, "reported_at": reported, "division_code": CSP_DIVISION[csp],
            "csp_code": csp, "victim_id": person(f"{csp}-victim-{draw(st.integers(0, 4))}"),
            "suspect_id": maybe(draw, st.integers(0, 3).map(lambda k, c=csp: person(f"{c}-suspect-{k}"))),
            "relationship": draw(st.sampled_from(["partner", "ex_partner", "parent", "not_known"])),
            "victim_sex": maybe(draw, st.sampled_from(["female", "male", "not_known"])),
            "victim_age": maybe(draw, st.integers(14, 90)),
            "victim_ethnicity": maybe(draw, st.sampled_from(["asian", "black", "white", "not_stated"])),
            "victim_disability": maybe(draw, st.sampled_from(["yes", "no", "not_known"])),
            "call_grade": maybe(draw, st.sampled_from(["emergency", "priority"])),
            "attended_at": reported + draw(st.integers(1, 120).map(lambda m: timedelta(minutes=m))),
            "risk_level": draw(st.sampled_from(["standard", "medium", "high", "not_assessed"])),
            "children_present": maybe(draw, st.booleans()),
            "power_of_arrest": maybe(draw, st.booleans()),
            "no_arrest_reason": maybe(draw, st.sampled_from(["victim_request", "other"])),
            "crime_ref": f"CR{n}" if crime else None,
            "offence_code": draw(st.sampled_from(["8N", "105A", "1"])) if crime else None,
            "crime_recorded_at": reported + draw(hours) if crime else None,
            "outcome_type": outcome,
            "outcome_at": reported + draw(hours) + timedelta(days=5) if outcome else None,
            "cps_decision": maybe(draw, st.sampled_from(["charge", "nfa"])) if crime else None,
            "court_result": maybe(draw, st.sampled_from(["convicted", "acquitted"])) if crime else None,
        })
        incidents[-1]["cps_decision_at"] = reported + timedelta(days=9) if incidents[-1]["cps_decision"] else None
        incidents[-1]["court_result_at"] = reported + timedelta(days=30) if incidents[-1]["court_result"] else None
        if draw(st.booleans()):
            arrests.append({
                "arrest_id": f"A{n}", "force_code": FORCE, "incident_id": f"I{n}",
                "suspect_id": incidents[-1]["suspect_id"] or person(f"{csp}-suspect-arrested"),
                "arrested_at": reported + draw(hours), "division_code": CSP_DIVISION[csp],
                "custody_disposal": maybe(draw, st.sampled_from(["charged", "bail_conditions", "rui"])),
            })
    for n in range(draw(st.integers(0, 6))):
        csp, served = draw(csps), draw(when)
        applied = maybe(draw, st.just(served + timedelta(hours=20)))
        orders.append({
            "notice_id": f"N{n}", "force_code": FORCE, "scheme": draw(st.sampled_from(["dvpn", "dapn"])),
            "suspect_id": person(f"{csp}-suspect-0"), "victim_id": person(f"{csp}-victim-0"),
            "division_code": CSP_DIVISION[csp], "csp_code": csp, "served_at": served,
            "order_applied_at": applied, "hearing_at": served + draw(hours) if applied else None,
            "order_outcome": draw(st.sampled_from(["granted", "refused"])) if applied else "not_applied",
            "breaches": maybe(draw, st.integers(0, 2)),
        })
    for n in range(draw(st.integers(0, 6))):
        csp, received = draw(csps), draw(when)
        decision = maybe(draw, st.sampled_from(["disclosure", "no_disclosure", "pending"]))
        dvds.append({
            "application_id": f"DV{n}", "force_code": FORCE,
            "route": draw(st.sampled_from(["right_to_ask", "right_to_know"])), "received_at": received,
            "division_code": CSP_DIVISION[csp], "csp_code": csp, "subject_id": person(f"{csp}-suspect-1"),
            "initial_checks_at": maybe(draw, st.just(received + timedelta(hours=10))),
            "decision": decision,
            "decision_at": received + draw(hours) if decision in ("disclosure", "no_disclosure") else None,
        })
    for n in range(draw(st.integers(0, 6))):
        csp, referred = draw(csps), draw(when)
        agreed = draw(st.integers(0, 4))
        marac.append({
            "case_id": f"M{n}", "force_code": FORCE, "csp_code": csp,
            "victim_id": person(f"{csp}-victim-{draw(st.integers(0, 4))}"), "referral_at": referred,
            "referring_agency": draw(st.sampled_from(["police", "idva", "health"])),
            "heard_at": maybe(draw, st.just((referred + timedelta(days=14)).date())),
            "repeat_flag": maybe(draw, st.booleans()),
            "victim_sex": maybe(draw, st.sampled_from(["female", "male"])),
            "victim_age": maybe(draw, st.integers(16, 70)),
            "actions_agreed": agreed, "actions_completed": draw(st.integers(0, agreed)),
        })
    return {"incidents": incidents, "arrests": arrests, "protective_orders": orders, "dvds": dvds,
            "marac": marac}


def load(records: dict) -> object:
    con = connect_memory()
    insert_rows(con, "divisions", [{"force_code": FORCE, "division_code": d, "division_name": f"Division {d}"}
                                   for d in sorted(set(CSP_DIVISION.values()))])
    insert_rows(con, "csps", [
        {"csp_code": c, "csp_name": f"Partnership {c}", "force_code": FORCE, "division_code": d,
         "population": 100_000 * (i + 1), "population_16plus": 81_100 * (i + 1),
         "population_female_16plus": 41_600 * (i + 1)}
        for i, (c, d) in enumerate(sorted(CSP_DIVISION.items()))
    ])
    insert_rows(con, "offence_codes", [
        {"offence_code": "8N", "offence_description": "Assault with injury", "offence_group": "violence_with_injury",
         "is_homicide": False},
        {"offence_code": "105A", "offence_description": "Assault without injury",
         "offence_group": "violence_without_injury", "is_homicide": False},
        {"offence_code": "1", "offence_description": "Murder", "offence_group": "homicide", "is_homicide": True},
    ])
    for table, rows in records.items():
        insert_rows(con, table, rows)
    build_marts(con)
    return con


def _check_units_add_up(force: pd.DataFrame, units: pd.DataFrame, level: str) -> None:
    """Every row of a level (headline and breakdown) sums to the force's row, and pools to its value."""
    key = ["metric_id", "breakdown", "breakdown_value"]
    force = force.fillna({"breakdown": "", "breakdown_value": ""}).set_index(key)
    units = units.fillna({"breakdown": "", "breakdown_value": ""})
    sums = units.groupby(key)[["numerator", "denominator"]].sum(min_count=1)
    for (metric_id, breakdown, breakdown_value), expected in force.iterrows():
        where = (level, metric_id, breakdown, breakdown_value)
        metric = METRICS[metric_id]
        if (metric_id, breakdown, breakdown_value) not in sums.index:
            # No unit has the value at all: then neither may the force.
            assert expected["numerator"] == 0, where
            assert pd.isna(expected["denominator"]) or expected["denominator"] == 0, where
            continue
        got = sums.loc[(metric_id, breakdown, breakdown_value)]
        assert got["numerator"] == expected["numerator"], where
        if metric.kind == "count":
            continue
        assert got["denominator"] == expected["denominator"], where
        if not expected["denominator"]:
            continue
        # Pooling: Σ numerator / Σ denominator over the units is the force's ratio ...
        pooled = got["numerator"] / got["denominator"]
        force_ratio = expected["numerator"] / expected["denominator"]
        assert pooled == pytest.approx(force_ratio, rel=1e-12), where
        if metric.kind == "proportion":
            assert expected["value"] == pytest.approx(force_ratio, rel=1e-12), where
        elif force_ratio:
            # ... and each unit's rate carries the force's per-and-annualising factor.
            scale = expected["value"] / force_ratio
            rows = units[(units["metric_id"] == metric_id) & (units["breakdown"] == breakdown)
                         & (units["breakdown_value"] == breakdown_value)]
            # A unit with no base (e.g. arrests but no crimes) has no rate.
            ratios = rows["numerator"].astype(float) / rows["denominator"].astype(float).replace(0, np.nan)
            assert np.allclose(rows["value"].astype(float), ratios * scale, rtol=1e-12, equal_nan=True), where


def _check_suppressed(export: pd.DataFrame) -> None:
    """No count from 1 to 4 anywhere in the suppressed export; no rate on fewer than 10 shown."""
    out = suppress(export)
    for column in ("numerator", "denominator"):
        numbers = pd.to_numeric(out[column].where(~out[column].isin(["<5", "[c]"])), errors="coerce")
        assert not ((numbers > 0) & (numbers < 5)).any(), column
    counts = out["metric_id"].map(lambda m: METRICS[m].kind == "count")
    count_values = pd.to_numeric(out.loc[counts, "value"].where(~out.loc[counts, "value"].isin(["<5", "[c]"])),
                                 errors="coerce")
    assert not ((count_values > 0) & (count_values < 5)).any()
    base = pd.to_numeric(export["denominator"], errors="coerce")
    small_base = (~counts) & (base < 10)
    assert out.loc[small_base, "value"].isna().all()
    assert out.loc[small_base, "ci_low"].isna().all()


# One test, so each generated force is computed once per level (a compute takes about a second).
@PROPERTY_SETTINGS
@given(forces())
def test_units_add_up_to_the_force_and_a_suppressed_export_hides_small_numbers(records):
    con = load(records)
    by_level = {level: compute(con, level, *PERIOD) for level in ("force", "division", "csp")}
    for level in ("division", "csp"):
        _check_units_add_up(by_level["force"], by_level[level], level)
    _check_suppressed(pd.concat(by_level.values(), ignore_index=True))

"""Shared fixtures: a small synthetic force database for the dashboard's HTTP and browser tests, and the
one headless Chromium each test worker drives (Playwright's sync API allows one per process).

The force is made up (two divisions, four partnerships, 42 months ending with last month, fixed seed);
every person id is a hash of a made-up number. One partnership (``E22000004``) is deliberately tiny so
its partnership view has counts of 1–4 to suppress.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from daperf.db import atomic_write
from etl.marts import build_marts

FORCE = "E23000099"
DIVISIONS = pd.DataFrame(
    {"force_code": FORCE, "division_code": ["NORTH", "SOUTH"], "division_name": ["North Division", "South Division"]}
)
CSPS = pd.DataFrame(
    {
        "csp_code": ["E22000001", "E22000002", "E22000003", "E22000004"],
        "csp_name": ["Ashford Vale", "Brookmere", "Castleton", "Dunwick Isle"],
        "force_code": FORCE,
        "division_code": ["NORTH", "NORTH", "SOUTH", "SOUTH"],
        "population": [180_000, 120_000, 150_000, 4_000],
        "population_16plus": [146_000, 97_000, 121_000, 3_300],
        "population_female_16plus": [75_000, 50_000, 62_000, 1_700],
    }
)
# Incidents a month per partnership, placed at random; the tiny island has exactly one every four months
# (so any 12 whole months hold 3 incidents: a count its partnership view must show as <5).
MONTHLY_INCIDENTS = {"E22000001": 60, "E22000002": 40, "E22000003": 50}
TINY_CSP, TINY_EVERY_MONTHS = "E22000004", 4
MONTHS = 42  # reaches back past the June 2023 counting-rules change


def _person(kind: str, number: int) -> str:
    return hashlib.sha256(f"synthetic-{kind}-{number}".encode()).hexdigest()


def _choice(rng: np.random.Generator, options: list, size: int, p: list[float] | None = None) -> np.ndarray:
    return rng.choice(np.array(options, dtype=object), size=size, p=p)


def build_synthetic_force(path: Path, *, today: date | None = None, seed: int = 7) -> Path:
    """Write the synthetic force to ``path`` (a DuckDB file) and return it."""
    rng = np.random.default_rng(seed)
    today = today or date.today()
    end = today.replace(day=1)  # data stop at the end of last month
    start = pd.Timestamp(end) - pd.DateOffset(months=MONTHS)
    rows = []
    for csp in CSPS.itertuples():
        if csp.csp_code == TINY_CSP:
            reported = pd.DatetimeIndex([start + pd.DateOffset(months=m, days=14, hours=20)
                                         for m in range(0, MONTHS, TINY_EVERY_MONTHS)])
        else:
            count = MONTHLY_INCIDENTS[csp.csp_code] * MONTHS
            seconds = rng.integers(0, int((pd.Timestamp(end) - start).total_seconds()), size=count)
            reported = start + pd.to_timedelta(np.sort(seconds), unit="s")
        rows.append(pd.DataFrame({"csp_code": csp.csp_code, "division_code": csp.division_code, "reported_at": reported}))
    inc = pd.concat(rows, ignore_index=True)
    n = len(inc)
    inc["incident_id"] = [f"INC{i:06d}" for i in range(n)]
    inc["force_code"] = FORCE
    victim_numbers = rng.integers(0, int(n * 0.7), size=n)  # about a third of incidents are repeats
    inc["victim_id"] = [_person("victim", v) for v in victim_numbers]
    has_suspect = rng.random(n) < 0.9
    inc["suspect_id"] = [(_person("suspect", v) if s else None) for v, s in zip(victim_numbers, has_suspect)]
    inc["relationship"] = _choice(rng, ["partner", "ex_partner", "parent", "child", "sibling", "other_family"], n,
                                  [0.45, 0.3, 0.08, 0.07, 0.05, 0.05])
    inc["victim_sex"] = _choice(rng, ["female", "male", "not_known"], n, [0.75, 0.23, 0.02])
    inc["suspect_sex"] = _choice(rng, ["male", "female"], n, [0.8, 0.2])
    inc["victim_age"] = rng.integers(16, 85, size=n)
    inc["suspect_age"] = rng.integers(16, 85, size=n)
    inc["victim_ethnicity"] = _choice(rng, ["white", "asian", "black", "mixed", "other", "not_stated"], n,
                                      [0.8, 0.07, 0.04, 0.03, 0.02, 0.04])
    inc["victim_disability"] = _choice(rng, ["yes", "no", "not_known"], n, [0.12, 0.78, 0.1])
    inc["call_grade"] = _choice(rng, ["emergency", "priority", "scheduled"], n, [0.3, 0.5, 0.2])
    inc["attended_at"] = inc["reported_at"] + pd.to_timedelta(rng.integers(5, 240, size=n), unit="m")
    inc["risk_tool"] = "dash"
    inc["risk_level"] = _choice(rng, ["standard", "medium", "high", "not_assessed"], n, [0.5, 0.3, 0.12, 0.08])
    inc["children_present"] = rng.random(n) < 0.3
    inc["power_of_arrest"] = rng.random(n) < 0.4
    is_crime = rng.random(n) < 0.6
    inc["crime_ref"] = [f"CR{i:06d}" if c else None for i, c in enumerate(is_crime)]
    inc["offence_code"] = np.where(is_crime, _choice(rng, ["8N", "8U", "105A", "8Q"], n), None)
    inc["crime_recorded_at"] = (inc["reported_at"] + pd.Timedelta(hours=2)).where(is_crime)
    outcome = _choice(rng, ["1", "1A", "14", "15", "16", "18"], n, [0.1, 0.02, 0.1, 0.2, 0.45, 0.13])
    has_outcome = is_crime & (rng.random(n) < 0.85)
    outcome_at = inc["reported_at"] + pd.to_timedelta(rng.integers(5, 90, size=n), unit="D")
    has_outcome &= (outcome_at < pd.Timestamp(end)).to_numpy()
    inc["outcome_type"] = np.where(has_outcome, outcome, None)
    inc["outcome_at"] = outcome_at.where(has_outcome)
    charged = has_outcome & np.isin(outcome, ["1", "1A"])
    inc["cps_decision"] = np.where(charged, "charge", None)
    inc["cps_decision_at"] = inc["outcome_at"].where(charged)
    inc["court_result"] = np.where(charged, _choice(rng, ["convicted", "acquitted", "discontinued"], n, [0.7, 0.1, 0.2]), None)
    inc["court_result_at"] = (inc["outcome_at"] + pd.Timedelta(days=20)).where(charged & (outcome_at + pd.Timedelta(days=20) < pd.Timestamp(end)).to_numpy())
    inc.loc[inc["court_result_at"].isna(), "court_result"] = None
    arrested = inc["power_of_arrest"] & (rng.random(n) < 0.6)
    inc["no_arrest_reason"] = np.where(inc["power_of_arrest"] & ~arrested, _choice(rng, ["suspect_not_present", "victim_request"], n), None)

    arr = inc[arrested & inc["suspect_id"].notna()]
    arrests = pd.DataFrame({
        "arrest_id": [f"ARR{i:06d}" for i in range(len(arr))], "force_code": FORCE,
        "incident_id": arr["incident_id"].to_numpy(), "suspect_id": arr["suspect_id"].to_numpy(),
        "arrested_at": (arr["reported_at"] + pd.Timedelta(hours=3)).to_numpy(),
        "division_code": arr["division_code"].to_numpy(),
        "custody_disposal": _choice(rng, ["charged", "bail_conditions", "bail_no_conditions", "rui"], len(arr)),
    })
    arrests = arrests[arrests["arrested_at"] < pd.Timestamp(end)]

    served = inc[(inc["risk_level"] == "high") & inc["suspect_id"].notna()].sample(frac=0.4, random_state=seed)
    orders = pd.DataFrame({
        "notice_id": [f"DVPN{i:05d}" for i in range(len(served))], "force_code": FORCE,
        "scheme": "dvpn", "incident_id": served["incident_id"].to_numpy(),
        "suspect_id": served["suspect_id"].to_numpy(), "victim_id": served["victim_id"].to_numpy(),
        "division_code": served["division_code"].to_numpy(), "csp_code": served["csp_code"].to_numpy(),
        "served_at": (served["reported_at"] + pd.Timedelta(hours=6)).to_numpy(),
    })
    orders["order_applied_at"] = orders["served_at"] + pd.Timedelta(hours=20)
    orders["hearing_at"] = orders["served_at"] + pd.to_timedelta(rng.integers(24, 72, size=len(orders)), unit="h")
    orders["order_outcome"] = _choice(rng, ["granted", "refused"], len(orders), [0.85, 0.15])
    orders["breaches"] = rng.integers(0, 2, size=len(orders))
    orders = orders[orders["hearing_at"] < pd.Timestamp(end)]

    dv = inc.sample(frac=0.05, random_state=seed + 1)
    dvds = pd.DataFrame({
        "application_id": [f"DVDS{i:05d}" for i in range(len(dv))], "force_code": FORCE,
        "route": _choice(rng, ["right_to_ask", "right_to_know"], len(dv)),
        "received_at": dv["reported_at"].to_numpy(), "division_code": dv["division_code"].to_numpy(),
        "csp_code": dv["csp_code"].to_numpy(), "applicant_type": "potential_victim",
        "subject_id": [_person("subject", i) for i in range(len(dv))],
        "potential_victim_id": dv["victim_id"].to_numpy(),
    })
    dvds["initial_checks_at"] = dvds["received_at"] + pd.to_timedelta(rng.integers(2, 60, size=len(dvds)), unit="h")
    dvds["decision"] = _choice(rng, ["disclosure", "no_disclosure"], len(dvds))
    dvds["decision_at"] = dvds["received_at"] + pd.to_timedelta(rng.integers(3, 40, size=len(dvds)), unit="D")
    late = dvds["decision_at"] >= pd.Timestamp(end)
    dvds.loc[late, "decision"] = "pending"
    dvds.loc[late, "decision_at"] = pd.NaT

    high = inc[inc["risk_level"] == "high"].sample(frac=0.7, random_state=seed + 2)
    marac = pd.DataFrame({
        "case_id": [f"MARAC{i:05d}" for i in range(len(high))], "force_code": FORCE,
        "csp_code": high["csp_code"].to_numpy(), "victim_id": high["victim_id"].to_numpy(),
        "referral_at": (high["reported_at"] + pd.Timedelta(days=2)).to_numpy(),
        "referring_agency": _choice(rng, ["police", "idva", "health", "housing"], len(high), [0.7, 0.1, 0.1, 0.1]),
        "victim_sex": high["victim_sex"].to_numpy(), "victim_age": high["victim_age"].to_numpy(),
        "victim_ethnicity": high["victim_ethnicity"].to_numpy(), "victim_disability": high["victim_disability"].to_numpy(),
        "victim_lgbt": "not_known",
    })
    marac["heard_at"] = (marac["referral_at"] + pd.Timedelta(days=14)).dt.date
    marac["actions_agreed"] = rng.integers(1, 6, size=len(marac))
    marac["actions_completed"] = (marac["actions_agreed"] * rng.random(len(marac))).round().astype(int)
    marac = marac[pd.to_datetime(marac["heard_at"]) < pd.Timestamp(end)]

    offence_codes = pd.DataFrame({
        "offence_code": ["8N", "8U", "105A", "8Q", "1"],
        "offence_description": ["Assault with injury", "Controlling or coercive behaviour", "Assault without injury",
                                "Stalking", "Murder"],
        "offence_group": ["violence_with_injury", "controlling_coercive", "violence_without_injury", "stalking_harassment",
                          "homicide"],
        "is_homicide": [False, False, False, False, True],
    })
    batch = "synthetic-" + datetime.now().strftime("%Y%m%dT%H%M%S")
    with atomic_write(path) as con:
        for table, frame in (("divisions", DIVISIONS), ("csps", CSPS), ("offence_codes", offence_codes),
                             ("incidents", inc), ("arrests", arrests), ("protective_orders", orders),
                             ("dvds", dvds), ("marac", marac)):
            frame = frame.assign(_batch_id=batch, _loaded_at=datetime.now())
            con.register("frame", frame)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")  # table names are ours, not input
            con.unregister("frame")
        con.execute(
            "INSERT INTO load_batches VALUES ($b, 'synthetic', $t, $t, 'loaded', 'synthetic test force')",
            {"b": batch, "t": datetime.now()},
        )
        build_marts(con)
    return path


@pytest.fixture(scope="session")
def synthetic_force_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only synthetic force database shared by the dashboard's tests (do not write to it)."""
    return build_synthetic_force(tmp_path_factory.mktemp("force") / "force.duckdb")


CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright's own download does not run here
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# Dash answers a first callback in well under this on the synthetic force; generous for a busy CI box.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium, one per worker for the whole run: a second sync Playwright in the same process
    would fail while this one lives, so every browser test (sign-in included) shares it."""
    from playwright.sync_api import expect, sync_playwright

    # A first question for a new filter is computed, not cached: allow for a busy test machine.
    expect.set_options(timeout=TIMEOUT_MS)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()

"""The case-linked attrition cohort on a dozen hand-made crimes, expected values worked by hand."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from daperf.db import connect_memory
from tests.metrics.records import insert_rows, person
from metrics.attrition import (
    attrition_by_unit,
    attrition_funnel,
    case_list,
    outcome_mix,
    stage_timings,
    unit_division,
)

PERIOD = (date(2025, 1, 1), date(2025, 3, 31))
REPORTED = datetime(2025, 1, 10, 9, 0)




def day(n: float) -> datetime:
    return REPORTED + timedelta(days=n)


def crime(incident_id, division, csp, *, suspect=True, recorded=None, reported=REPORTED, outcome=None,
          outcome_day=None, cps=None, cps_day=None, court=None, court_day=None, crime_ref=True) -> dict:
    return {
        "incident_id": incident_id, "force_code": "E23000028", "reported_at": reported,
        "division_code": division, "csp_code": csp, "victim_id": person("V" + incident_id),
        "suspect_id": person("S" + incident_id) if suspect else None, "relationship": "partner",
        "risk_level": "medium", "crime_ref": f"CR-{incident_id}" if crime_ref else None,
        "offence_code": "8N" if crime_ref else None,
        "crime_recorded_at": (recorded or reported + timedelta(hours=1)) if crime_ref else None,
        "outcome_type": outcome, "outcome_at": day(outcome_day) if outcome_day is not None else None,
        "cps_decision": cps, "cps_decision_at": day(cps_day) if cps_day is not None else None,
        "court_result": court, "court_result_at": day(court_day) if court_day is not None else None,
    }


@pytest.fixture(scope="module")
def con():
    con = connect_memory()
    insert_rows(con, "divisions", [
        {"force_code": "E23000028", "division_code": "D1", "division_name": "North"},
        {"force_code": "E23000028", "division_code": "D2", "division_name": "South"},
    ])
    insert_rows(con, "csps", [
        {"csp_code": c, "csp_name": n, "force_code": "E23000028", "division_code": d}
        for c, n, d in [("C1", "Alpha", "D1"), ("C2", "Beta", "D1"), ("C3", "Gamma", "D2"), ("C4", "Delta", "D2")]
    ])
    insert_rows(con, "offence_codes", [
        {"offence_code": "8N", "offence_description": "Assault with injury", "offence_group": "violence_with_injury",
         "is_homicide": False},
    ])
    insert_rows(con, "incidents", [
        crime("I01", "D1", "C1", outcome="1", outcome_day=10, cps="charge", cps_day=8, court="convicted", court_day=60),
        crime("I02", "D1", "C1", outcome="1A", outcome_day=20, court="pending"),  # police charge, no CPS decision
        crime("I03", "D1", "C2", outcome="16", outcome_day=30),
        crime("I04", "D1", "C2", outcome="15", outcome_day=40),
        crime("I05", "D2", "C3"),
        crime("I06", "D2", "C3", suspect=False, outcome="18", outcome_day=15),
        crime("I07", "D2", "C3", outcome="1", outcome_day=12, cps="charge", cps_day=11, court="convicted", court_day=90),
        crime("I08", "D1", "C1", outcome="16", outcome_day=25, cps="nfa", cps_day=20),
        crime("I09", "D1", "C1", suspect=False),
        crime("I10", "D2", "C3", outcome="16", outcome_day=35),
        crime("I11", "D1", "C2", outcome="1", outcome_day=14, cps="charge", cps_day=13, court="acquitted", court_day=70),
        # recorded in the last minute of the period: in
        crime("I12", "D2", "C3", reported=datetime(2025, 3, 31, 22, 0), recorded=datetime(2025, 3, 31, 23, 59)),
        # out of the cohort: recorded the minute before the period, on the first minute after it, no crime
        crime("I13", "D1", "C1", reported=datetime(2024, 12, 31, 20, 0), recorded=datetime(2024, 12, 31, 23, 59),
              outcome="1", outcome_day=5),
        crime("I14", "D1", "C1", crime_ref=False),
        crime("I15", "D2", "C3", reported=datetime(2025, 3, 31, 22, 0), recorded=datetime(2025, 4, 1, 0, 0)),
    ])
    arrest_days = {"I01": [1], "I02": [2], "I03": [5, 3], "I05": [4], "I08": [1], "I10": [6], "I11": [2],
                   "I13": [1], "I14": [1]}
    insert_rows(con, "arrests", [
        {"arrest_id": f"A-{iid}-{n}", "force_code": "E23000028", "incident_id": iid,
         "suspect_id": person("S" + iid), "arrested_at": day(d), "division_code": "D1"}
        for iid, days in arrest_days.items() for n, d in enumerate(days)
    ] + [
        # an arrest for an incident not loaded: reaches no crime
        {"arrest_id": "A-orphan", "force_code": "E23000028", "incident_id": "I99", "suspect_id": person("S99"),
         "arrested_at": day(1), "division_code": "D1"},
    ])
    yield con
    con.close()


def funnel_counts(df: pd.DataFrame) -> dict[str, int]:
    return dict(zip(df["stage"], df["crimes"]))


def test_force_funnel_counts_each_stage(con):
    # In the cohort: I01–I12 (I13 before, I15 after the period, I14 no crime) = 12.
    # suspect: all but I06, I09 = 10; arrest: I01 I02 I03 I05 I08 I10 I11 = 7;
    # file sent to the CPS (any CPS decision): I01 I07 I08 I11 = 4, of which charged by the CPS I01 I07 I11 = 3;
    # charged or summonsed (1/1A, by the police or the CPS): I01 I02 I07 I11 = 4; conviction: I01 I07 = 2.
    df = attrition_funnel(con, "force", None, *PERIOD)
    assert funnel_counts(df) == {"recorded": 12, "suspect_identified": 10, "arrest": 7, "cps_referral": 4,
                                 "charge": 4, "conviction": 2}
    assert df["cps_charged"].iloc[0] == 3
    assert df.loc[df["stage"] == "charge", "share_of_recorded"].item() == pytest.approx(4 / 12)
    # Each stage as a share of the one before: 10/12, 7/10, 4/7, 4/4, 2/4.
    shares = dict(zip(df["stage"], df["share_of_previous"]))
    assert math.isnan(shares["recorded"])
    assert [shares[s] for s in ("suspect_identified", "arrest", "cps_referral", "charge", "conviction")] == [
        pytest.approx(10 / 12), pytest.approx(7 / 10), pytest.approx(4 / 7), 1.0, 0.5]


def test_went_no_further_counts_each_crime_once_at_its_furthest_stage(con):
    # By hand, from the fixture: no suspect I06 I09 (recorded); a suspect but no arrest, file or charge
    # I04 I12 (suspect identified); arrested, no file I03 I05 I10 (arrest); a file, the CPS took no further
    # action I08 (file sent); charged, not convicted I02 I11 (charge); convicted I01 I07 (conviction; I07
    # without an arrest).
    df = attrition_funnel(con, "force", None, *PERIOD)
    assert dict(zip(df["stage"], df["went_no_further"])) == {
        "recorded": 2, "suspect_identified": 2, "arrest": 3, "cps_referral": 1, "charge": 2, "conviction": 2}
    assert df["went_no_further"].sum() == df.loc[df["stage"] == "recorded", "crimes"].item()
    # Each is exactly the case list of the crimes lost before the stage after (the page's choices).
    for stage, after in zip(df["stage"], list(df["stage"])[1:]):
        lost = case_list(con, "force", None, *PERIOD, stage_lost=after)
        assert len(lost) == df.loc[df["stage"] == stage, "went_no_further"].item(), stage


def test_division_and_csp_funnels(con):
    # D1 = I01 I02 I03 I04 I08 I09 I11: suspect 6 (not I09), arrest I01 I02 I03 I08 I11 = 5,
    # CPS I01 I08 I11 = 3, charge I01 I02 I11 = 3, conviction I01 = 1.
    assert funnel_counts(attrition_funnel(con, "division", "D1", *PERIOD)) == {
        "recorded": 7, "suspect_identified": 6, "arrest": 5, "cps_referral": 3, "charge": 3, "conviction": 1}
    # C3 = I05 I06 I07 I10 I12: suspect 4 (not I06), arrest I05 I10 = 2, CPS/charge/conviction I07 = 1.
    assert funnel_counts(attrition_funnel(con, "csp", "C3", *PERIOD)) == {
        "recorded": 5, "suspect_identified": 4, "arrest": 2, "cps_referral": 1, "charge": 1, "conviction": 1}


def test_by_unit_lists_every_unit_and_sums_to_force(con):
    by_division = attrition_by_unit(con, "division", *PERIOD).set_index("unit_code")
    # D2 = I05 I06 I07 I10 I12: 5 recorded, 4 suspects, 2 arrests, 1 to the CPS, 1 charge, 1 conviction.
    assert by_division.loc["D2", ["recorded", "suspect_identified", "arrest", "cps_referral", "charge",
                                  "conviction"]].tolist() == [5, 4, 2, 1, 1, 1]
    assert by_division.loc["D2", "conviction_share"] == pytest.approx(1 / 5)
    assert by_division[["recorded", "arrest", "conviction"]].sum().tolist() == [12, 7, 2]
    by_csp = attrition_by_unit(con, "csp", *PERIOD).set_index("unit_code")
    # C1 = I01 I02 I08 I09, C2 = I03 I04 I11, C3 = 5, C4 none (listed with zero, share undefined).
    assert by_csp["recorded"].to_dict() == {"C1": 4, "C2": 3, "C3": 5, "C4": 0}
    assert by_csp.loc["C1", "unit_name"] == "Alpha"
    assert math.isnan(by_csp.loc["C4", "charge_share"])
    # A division's partnerships only, when a division is chosen.
    assert sorted(attrition_by_unit(con, "csp", *PERIOD, division_code="D2")["unit_code"]) == ["C3", "C4"]


def test_outcome_mix_awaiting_and_15_16_called_out(con):
    df = outcome_mix(con, "force", None, *PERIOD)
    # 0: I05 I09 I12 = 3; 1: I01 I07 I11 = 3; 1A: I02; 15: I04; 16: I03 I08 I10 = 3; 18: I06.
    assert list(zip(df["outcome_type"], df["crimes"])) == [
        ("0", 3), ("1", 3), ("1A", 1), ("15", 1), ("16", 3), ("18", 1)]
    assert df.loc[df["outcome_type"] == "0", "label"].item() == "Awaiting an outcome"
    assert df.loc[df["called_out"], "outcome_type"].tolist() == ["15", "16"]
    assert df.loc[df["outcome_type"] == "16", "share"].item() == pytest.approx(3 / 12)


def test_stage_timings_medians_and_90th_percentiles(con):
    df = stage_timings(con, "force", None, *PERIOD).set_index("stage")
    # arrest (first arrest; I03's first is day 3 not 5): 1,1,2,2,3,4,6 -> median 2 (n=7);
    #   90th percentile at position 0.9 x 6 = 5.4: 4 + 0.4 x (6 - 4) = 4.8
    # to the CPS: I01 8, I07 11, I08 20, I11 13 -> 8,11,13,20: median 12; position 2.7: 13 + 0.7 x 7 = 17.9
    # charge: I01 10, I02 20, I07 12, I11 14 -> 10,12,14,20: median 13; position 2.7: 14 + 0.7 x 6 = 18.2
    # conviction: I01 60, I07 90 -> median 75; position 0.9: 60 + 0.9 x 30 = 87
    assert df["crimes"].to_dict() == {"arrest": 7, "cps_referral": 4, "charge": 4, "conviction": 2}
    assert df["median_days"].to_dict() == {"arrest": 2.0, "cps_referral": 12.0, "charge": 13.0, "conviction": 75.0}
    assert df["p90_days"].to_dict() == pytest.approx({"arrest": 4.8, "cps_referral": 17.9, "charge": 18.2,
                                                      "conviction": 87.0})


def test_case_list_stage_lost_and_outcome_filters(con):
    everything = case_list(con, "force", None, *PERIOD)
    assert len(everything) == 12
    stage = dict(zip(everything["incident_id"], zip(everything["stage_reached"], everything["stage_lost"])))
    assert stage["I01"][0] == "conviction" and pd.isna(stage["I01"][1])
    assert stage["I02"] == ("charge", "conviction")        # charged by the police, court result pending
    assert stage["I08"] == ("cps_referral", "charge")      # the CPS decided no further action
    assert stage["I11"] == ("charge", "conviction")        # acquitted
    assert stage["I06"] == ("recorded", "suspect_identified")
    # lost before a file went to the CPS (arrested, no CPS decision, never charged): I03 I05 I10;
    # of those outcome 16: I03 I10
    lost_before_cps = case_list(con, "force", None, *PERIOD, stage_lost="cps_referral")
    assert lost_before_cps["incident_id"].tolist() == ["I03", "I05", "I10"]
    assert case_list(con, "force", None, *PERIOD, stage_lost="cps_referral", outcome_type="16")[
        "incident_id"].tolist() == ["I03", "I10"]
    assert case_list(con, "force", None, *PERIOD, stage_lost="charge")["incident_id"].tolist() == ["I08"]
    assert case_list(con, "division", "D2", *PERIOD, outcome_type="0")["incident_id"].tolist() == ["I05", "I12"]


def test_case_list_shows_only_shortened_person_references(con):
    df = case_list(con, "csp", "C1", *PERIOD)
    row = df.set_index("incident_id").loc["I01"]
    assert row["victim_ref"] == person("VI01")[:12]
    assert row["suspect_ref"] == person("SI01")[:12]
    assert row["days_to_conviction"] == 60.0
    assert row["offence_group"] == "violence_with_injury"
    assert not {"victim_id", "suspect_id"} & set(df.columns)
    full_hashes = {person("V" + i) for i in df["incident_id"]}
    assert not full_hashes & set(df.astype(str).to_numpy().ravel())


def test_unit_division_for_access_checks(con):
    assert unit_division(con, "force", None) is None
    assert unit_division(con, "division", "D2") == "D2"
    assert unit_division(con, "csp", "C2") == "D1"


def test_empty_cohort(con):
    df = attrition_funnel(con, "force", None, date(2030, 1, 1), date(2030, 12, 31))
    assert df["crimes"].sum() == 0
    assert df["share_of_recorded"].isna().all()
    assert stage_timings(con, "force", None, date(2030, 1, 1), date(2030, 12, 31))["median_days"].isna().all()


def test_cohort_is_the_crimes_metric(con):
    """The cohort is the catalogue's `crimes` (crime_ref set, crime_recorded_at in the period), so the
    funnel's first bar equals the registry's count for the same unit and period."""
    from metrics.compute import compute

    crimes = compute(con, "division", *PERIOD, metric_ids=["crimes"], breakdowns=False).set_index("unit_code")
    # D1 = 7 and D2 = 5 (test_division_and_csp_funnels)
    assert crimes["numerator"].to_dict() == {"D1": 7, "D2": 5}
    for division, expected in crimes["numerator"].items():
        funnel = attrition_funnel(con, "division", division, *PERIOD)
        assert funnel.loc[funnel["stage"] == "recorded", "crimes"].item() == expected

"""Every metric of the catalogue on small hand-made data built to hit its edges.

Each expected value is worked by hand in a comment. The period is 2025 (365 days) unless a test says
otherwise; F1 has 60,000 people aged 16+ and 31,000 women aged 16+ (see conftest.py).
"""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from etl.marts import build_marts
from metrics.compute import compute, monthly
from tests.metrics.conftest import FORCE, PERIOD

HALF_YEAR = (date(2025, 1, 1), date(2025, 6, 30))  # 181 days


def row(con, metric_id, *, level="force", unit=FORCE, period=PERIOD, breakdown=None, value=None):
    """(numerator, denominator, value) of one row of compute(); denominator None for counts."""
    frame = compute(con, level, *period, metric_ids=[metric_id])
    chosen = frame[(frame["unit_code"] == unit)
                   & (frame["breakdown"].isna() if breakdown is None else frame["breakdown"] == breakdown)]
    if breakdown is not None:
        chosen = chosen[chosen["breakdown_value"] == value]
    assert len(chosen) == 1, chosen
    found = chosen.iloc[0]
    denominator = None if pd.isna(found["denominator"]) else int(found["denominator"])
    return int(found["numerator"]), denominator, found["value"]


def units(con, metric_id, level, period=PERIOD):
    """unit_code -> numerator of the headline rows of a level."""
    frame = compute(con, level, *period, metric_ids=[metric_id], breakdowns=False)
    return {r.unit_code: int(r.numerator) for r in frame.itertuples()}


# ----------------------------------------------------------------------------------------------- demand
@pytest.fixture
def demand(force_builder):
    b = force_builder
    b.incident("2024-12-31 23:59:59.999999", csp="C1")                       # the instant before: out
    b.incident("2025-01-01 00:00:00", csp="C1")                              # first instant: in
    b.incident("2025-12-31 23:59:59.999", csp="C1")                          # last millisecond: in
    b.incident("2026-01-01 00:00:00", csp="C1")                              # out
    b.incident("2025-06-01 12:00", csp="C3", crime_ref="CR1", offence_code="8N",
               crime_recorded_at="2025-06-02 09:00")
    # Crimes are dated by crime_recorded_at, not by the incident.
    b.incident("2024-12-20 12:00", csp="C2", crime_ref="CR2", offence_code="1",
               crime_recorded_at="2025-01-03 09:00")                         # crime in 2025
    b.incident("2025-12-30 12:00", csp="C2", crime_ref="CR3", offence_code="8U",
               crime_recorded_at="2026-01-02 09:00")                         # crime in 2026
    return b.con


def test_incidents_count_the_period_inclusively(demand):
    # In 2025: 01-01 00:00 (C1), 12-31 23:59:59.999 (C1), 06-01 (C3), 12-30 (C2) = 4.
    assert row(demand, "incidents") == (4, None, 4)
    assert units(demand, "incidents", "csp") == {"C1": 2, "C2": 1, "C3": 1}
    assert units(demand, "incidents", "division") == {"D1": 3, "D2": 1}


def test_incidents_per_1000_over_twelve_whole_months_are_not_annualised(demand):
    # A period of exactly 12 whole calendar months is a year as published (the catalogue's convention):
    # 4 incidents / (60,000 / 1,000) = 0.0666...
    numerator, denominator, value = row(demand, "incidents_per_1000")
    assert (numerator, denominator) == (4, 60_000)
    assert value == pytest.approx(4 / 60)
    # D1: 3 incidents over 30,000 people: 3 / 30.
    assert row(demand, "incidents_per_1000", level="division", unit="D1")[2] == pytest.approx(3 / 30)


def test_a_rolling_year_and_a_financial_year_are_not_annualised(demand):
    # April 2025 to March 2026: 2025-06-01 (C3), 12-30 (C2), 12-31 (C1) and 2026-01-01 (C1) = 4 -> 4 / 60.
    assert row(demand, "incidents_per_1000", period=(date(2025, 4, 1), date(2026, 3, 31)))[2] == pytest.approx(4 / 60)
    # A leap-year span of 12 whole months (March 2023 to February 2024, 366 days) is still a year: 0 / 60.
    assert row(demand, "incidents_per_1000", period=(date(2023, 3, 1), date(2024, 2, 29)))[:2] == (0, 60_000)
    # 12 months less a day is not whole months: 01-01, 06-01 and 12-30 = 3 over 364 days, annualised.
    assert row(demand, "incidents_per_1000", period=(date(2025, 1, 1), date(2025, 12, 30)))[2] == pytest.approx(
        3 * 365.25 / 364 / 60)


def test_a_six_month_rate_is_annualised(demand):
    # Jan-Jun 2025 is 181 days: incidents 01-01 and 06-01 = 2; 2 x 365.25 / 181 / 60.
    numerator, denominator, value = row(demand, "incidents_per_1000", period=HALF_YEAR)
    assert (numerator, denominator) == (2, 60_000)
    assert value == pytest.approx(2 * 365.25 / 181 / 60)


def test_crimes_are_dated_by_crime_recorded_at(demand):
    # CR1 recorded 2025-06-02 and CR2 recorded 2025-01-03 (incident 2024) count; CR3 (2026) does not.
    assert row(demand, "crimes") == (2, None, 2)
    assert units(demand, "crimes", "csp") == {"C1": 0, "C2": 1, "C3": 1}
    # 12 whole months: 2 / 60.
    assert row(demand, "crimes_per_1000")[2] == pytest.approx(2 / 60)


def test_crime_conversion_rate(demand):
    # Incidents reported in 2025 with a crime_ref: 06-01 (CR1) and 12-30 (CR3) = 2 of 4.
    numerator, denominator, value = row(demand, "crime_conversion_rate")
    assert (numerator, denominator, value) == (2, 4, 0.5)


def test_domestic_homicides(demand):
    # CR2 (offence 1, a homicide) recorded 2025-01-03: 1.
    assert row(demand, "domestic_homicides") == (1, None, 1)


# ----------------------------------------------------------------------------------------------- repeats
@pytest.fixture
def repeats(force_builder):
    b = force_builder
    # 2024-03-01 -> 2025-03-01 is exactly 365 days (2024 is a leap year, its 29 Feb is before March).
    b.incident("2024-03-01 10:00", victim="exact", suspect_id="s_exact", csp="C1")
    b.incident("2025-03-01 10:00", victim="exact", suspect_id="s_exact", csp="C1")        # repeat
    # 2024-02-29 -> 2025-03-01 is 366 days.
    b.incident("2024-02-29 10:00", victim="over", suspect_id="s_over", csp="C1")
    b.incident("2025-03-01 10:00", victim="over", suspect_id="s_over", csp="C1")          # not a repeat
    # An earlier incident in another CSP still counts (whole force look-back).
    b.incident("2025-02-01 10:00", victim="cross", suspect_id="s_cross", csp="C3")
    b.incident("2025-04-01 10:00", victim="cross", suspect_id="s_cross", csp="C1")        # repeat
    # Two at the same instant: neither is earlier than the other.
    b.incident("2025-05-05 12:00", victim="same", suspect_id="s_same", csp="C2")
    b.incident("2025-05-05 12:00", victim="same", suspect_id="s_same", csp="C2")
    # A new victim of s_exact: a repeat suspect, and s_exact a serial perpetrator.
    b.incident("2025-06-01 10:00", victim="single", suspect_id="s_exact", csp="C2")
    # No suspect identified.
    b.incident("2025-07-01 10:00", victim="alone", csp="C2")
    return b.con


def test_repeat_incident_rate_counts_an_incident_exactly_365_days_on(repeats):
    # In 2025: exact(03-01), over(03-01), cross(02-01), cross(04-01), same x2, single, alone = 8.
    # Repeats: exact(03-01) [365 days], cross(04-01) [earlier in C3] = 2.  2 / 8.
    assert row(repeats, "repeat_incident_rate") == (2, 8, 0.25)
    # Each counts where it happened: C1 has exact, over, cross(04-01) = 3 incidents, 2 repeats.
    assert row(repeats, "repeat_incident_rate", level="csp", unit="C1")[:2] == (2, 3)
    assert row(repeats, "repeat_incident_rate", level="csp", unit="C3")[:2] == (0, 1)


def test_repeat_victim_rate_counts_each_victim_once_at_their_last_incident(repeats):
    # Victims in 2025: exact, over, cross, same, single, alone = 6; repeats: exact, cross = 2.
    numerator, denominator, value = row(repeats, "repeat_victim_rate")
    assert (numerator, denominator) == (2, 6)
    assert value == pytest.approx(2 / 6)
    # cross's last incident is in C1, so C3 has no victim; C1: exact, over, cross (2 repeats).
    assert row(repeats, "repeat_victim_rate", level="csp", unit="C1")[:2] == (2, 3)
    assert row(repeats, "repeat_victim_rate", level="csp", unit="C2")[:2] == (0, 3)
    assert row(repeats, "repeat_victim_rate", level="csp", unit="C3")[:2] == (0, 0)


def test_repeat_suspect_rate(repeats):
    # Incidents in 2025 with a suspect: all but alone = 7. Repeats: s_exact 03-01 [365 days],
    # s_cross 04-01, s_exact 06-01 [previous 03-01] = 3.  3 / 7.
    numerator, denominator, value = row(repeats, "repeat_suspect_rate")
    assert (numerator, denominator) == (3, 7)
    assert value == pytest.approx(3 / 7)


def test_serial_perpetrators(repeats, force_builder):
    # s_exact: over 2024-06-01..2025-06-01 victims exact (03-01) and single (06-01) = 2 -> serial.
    # s_far: victims p (2024-01-01) and q (2025-01-02, 367 days on) never fall in one 365-day window.
    force_builder.incident("2024-01-01 10:00", victim="p", suspect_id="s_far", csp="C3")
    force_builder.incident("2025-01-02 10:00", victim="q", suspect_id="s_far", csp="C3")
    assert row(repeats, "serial_perpetrators") == (1, None, 1)
    # Counted at s_exact's last incident in the period (06-01, C2).
    assert units(repeats, "serial_perpetrators", "csp") == {"C1": 0, "C2": 1, "C3": 0}


# ----------------------------------------------------------------------------------------------- risk
def test_risk_metrics_and_marac_referral_within_28_days(force_builder):
    b = force_builder
    b.incident("2025-03-10 09:00", victim="a", risk_level="standard")
    b.incident("2025-03-10 09:00", victim="b", risk_level="medium")
    b.incident("2025-03-10 23:00", victim="c", risk_level="high")
    b.incident("2025-03-10 09:00", victim="d", risk_level="high")
    b.incident("2025-03-10 09:00", victim="e", risk_level="not_assessed")
    b.marac("2025-04-07 09:00", victim="c", csp="C3")   # 28 days after 03-10, another CSP: referred
    b.marac("2025-04-08 09:00", victim="d")             # 29 days after: too late
    b.marac("2025-03-09 09:00", victim="d")             # the day before: not after the incident
    # Risk-assessed: 4 of 5. High: 2 of the 4 assessed. Referred: c only, 1 of 2 high.
    assert row(b.con, "risk_assessed_rate")[:3] == (4, 5, 0.8)
    assert row(b.con, "high_risk_rate")[:3] == (2, 4, 0.5)
    assert row(b.con, "high_risk_marac_referral_rate")[:3] == (1, 2, 0.5)


# ----------------------------------------------------------------------------------------------- arrests
@pytest.fixture
def arrests(force_builder):
    b = force_builder
    power_arrested = b.incident("2025-02-01 10:00", csp="C1", power_of_arrest=True)
    b.incident("2025-02-02 10:00", csp="C1", power_of_arrest=True,
                              no_arrest_reason="suspect_not_present")
    b.incident("2025-02-03 10:00", csp="C1", power_of_arrest=True)                   # no arrest, no reason
    no_power_arrested = b.incident("2025-02-04 10:00", csp="C2", power_of_arrest=False)
    b.incident("2025-02-05 10:00", csp="C2")                                        # power unknown
    in_c3 = b.incident("2025-02-06 10:00", csp="C3", crime_ref="CR1", offence_code="8N",
                       crime_recorded_at="2025-02-06 12:00")
    b.incident("2025-02-07 10:00", csp="C3", crime_ref="CR2", offence_code="8N",
               crime_recorded_at="2025-02-07 12:00")
    b.incident("2025-02-08 10:00", csp="C2", crime_ref="CR3", offence_code="8U",
               crime_recorded_at="2025-02-08 12:00")
    cr4 = b.incident("2025-02-09 10:00", csp="C1", crime_ref="CR4", offence_code="8U",
                     crime_recorded_at="2025-02-09 12:00")
    # Arrests dated in 2025: the orphan (no incident), the C3 incident's (made by D1), and no_power's.
    b.arrest("2025-03-01 10:00", incident_id=None, division="D2", custody_disposal="bail_conditions")
    b.arrest("2025-03-02 10:00", incident_id=in_c3, division="D1", custody_disposal="bail_no_conditions")
    b.arrest("2025-03-03 10:00", incident_id=no_power_arrested, division="D1", custody_disposal="rui")
    b.arrest("2025-03-04 10:00", incident_id=cr4, division="D1", custody_disposal="charged")
    # power_arrested's arrest is in 2026, but it is linked: the incident counts as arrested.
    b.arrest("2026-01-05 10:00", incident_id=power_arrested, division="D1", custody_disposal="bail_conditions")
    return b.con


def test_arrests_take_their_own_division_and_their_incidents_csp(arrests):
    # 2025 arrests: orphan (D2), C3's (D1), no_power's (D1), CR4's (D1) = 4.
    assert row(arrests, "arrests") == (4, None, 4)
    assert units(arrests, "arrests", "division") == {"D1": 3, "D2": 1}
    # CSP of the incident: C3 (made by D1), C2, C1; the orphan cannot be placed: force only (3 of 4).
    assert units(arrests, "arrests", "csp") == {"C1": 1, "C2": 1, "C3": 1}


def test_arrests_per_100_crimes(arrests):
    # 4 arrests / (4 crimes / 100) = 100.  C3: 1 arrest / 2 crimes x 100 = 50.
    assert row(arrests, "arrests_per_100_crimes") == (4, 4, 100.0)
    assert row(arrests, "arrests_per_100_crimes", level="csp", unit="C3") == (1, 2, 50.0)


def test_arrest_rate_where_power_and_reason_recorded(arrests):
    # Power of arrest: three incidents; arrested: power_arrested (its arrest in 2026 still links) = 1 of 3.
    numerator, denominator, value = row(arrests, "arrest_rate_where_power")
    assert (numerator, denominator) == (1, 3)
    assert value == pytest.approx(1 / 3)
    # Power and no arrest: 02-02 (reason recorded) and 02-03 (none) -> 1 of 2.
    assert row(arrests, "no_arrest_reason_recorded_rate") == (1, 2, 0.5)


def test_bail_conditions_share(arrests):
    # 2025 disposals: bail_conditions, bail_no_conditions, rui, charged -> 1 of 3 (charged is not counted).
    numerator, denominator, value = row(arrests, "bail_conditions_share")
    assert (numerator, denominator) == (1, 3)
    assert value == pytest.approx(1 / 3)


# ----------------------------------------------------------------------------------------------- justice
@pytest.fixture
def justice(force_builder):
    b = force_builder
    crime = {"crime_ref": "CR", "offence_code": "8N", "crime_recorded_at": "2024-11-01 12:00"}
    # Outcome-date cohort: crimes recorded in 2024, outcomes dated in 2025.
    for number, outcome in enumerate(["1", "1A", "16", "16", "15", "14", "9"]):
        b.incident("2024-11-01 10:00", victim=f"o{number}", **{**crime, "crime_ref": f"CR{number}"},
                   outcome_type=outcome, outcome_at="2025-04-01 10:00")
    b.incident("2024-11-01 10:00", victim="zero", **{**crime, "crime_ref": "CR0X"},
               outcome_type=None, outcome_at="2025-04-01 10:00")                 # type 0: never counted
    b.incident("2024-11-01 10:00", victim="late", **{**crime, "crime_ref": "CR16X"},
               outcome_type="16", outcome_at="2024-12-31 10:00")                # outcome in 2024: out
    for number, decision in enumerate(["charge", "charge", "nfa", "oocd", "admin_finalised", "pending"]):
        b.incident("2024-11-01 10:00", victim=f"c{number}", **{**crime, "crime_ref": f"CPS{number}"},
                   cps_decision=decision, cps_decision_at="2025-05-01 10:00")
    b.incident("2024-11-01 10:00", victim="c_old", **{**crime, "crime_ref": "CPSX"},
               cps_decision="charge", cps_decision_at="2024-12-01 10:00")        # decided in 2024: out
    for number, result in enumerate(["convicted", "acquitted", "discontinued", "pending"]):
        b.incident("2024-11-01 10:00", victim=f"r{number}", **{**crime, "crime_ref": f"CT{number}"},
                   court_result=result, court_result_at="2025-06-01 10:00")
    b.incident("2024-11-01 10:00", victim="r_new", **{**crime, "crime_ref": "CTX"},
               court_result="convicted", court_result_at="2026-01-01 10:00")    # result in 2026: out
    return b.con


def test_outcomes_assigned_leave_out_type_0(justice):
    # Types 1, 1A, 16, 16, 15, 14, 9 dated 2025 = 7; type 0 and the 2024 outcome are not counted.
    assert row(justice, "outcomes_assigned") == (7, None, 7)


@pytest.mark.parametrize("metric_id, numerator", [
    ("charge_rate", 2),                    # 1 and 1A
    ("outcome_16_rate", 2),                # 16, 16
    ("outcome_15_rate", 1),                # 15
    ("evidential_difficulties_rate", 4),   # 14, 15, 16, 16
])
def test_outcome_rates_over_outcomes_1_to_22(justice, metric_id, numerator):
    found = row(justice, metric_id)
    assert found[:2] == (numerator, 7)
    assert found[2] == pytest.approx(numerator / 7)


def test_cps_charging_rate(justice):
    # 2025 decisions charge, charge, nfa, oocd -> 2 of 4 (admin_finalised and pending are not decisions).
    assert row(justice, "cps_charging_rate") == (2, 4, 0.5)


def test_conviction_rate(justice):
    # 2025 results convicted, acquitted, discontinued -> 1 of 3 (pending is not a result).
    found = row(justice, "conviction_rate")
    assert found[:2] == (1, 3)
    assert found[2] == pytest.approx(1 / 3)


# ----------------------------------------------------------------------------------------------- orders
@pytest.fixture
def orders(force_builder):
    b = force_builder
    # Fri 2 May 2025 10:00 -> Tue 6 May 10:00 is 96 hours; Sunday 4 May and the bank holiday Monday
    # 5 May (48 hours) do not count: 48 hours -> within.
    b.notice("2025-05-02 10:00", order_applied_at="2025-05-02 15:00", hearing_at="2025-05-06 10:00",
             order_outcome="granted", breaches=2)
    # The same weekend, heard an hour later: 49 counted hours -> not within.
    b.notice("2025-05-02 10:00", order_applied_at="2025-05-02 15:00", hearing_at="2025-05-06 11:00",
             order_outcome="granted", breaches=0)
    # Mon 9 June 09:00 -> Thu 12 June 09:00: 72 hours, nothing excluded -> not within.
    b.notice("2025-06-09 09:00", order_applied_at="2025-06-09 15:00", hearing_at="2025-06-12 09:00",
             order_outcome="refused")
    # Wed 24 Dec 12:00 -> Mon 29 Dec 12:00 is 120 hours less Christmas Day, Boxing Day and Sunday 28th
    # (72 hours) = 48 -> within.
    b.notice("2025-12-24 12:00", order_applied_at="2025-12-24 16:00", hearing_at="2025-12-29 12:00",
             order_outcome="granted")
    # Applied for, not heard yet.
    b.notice("2025-07-01 10:00", order_applied_at="2025-07-01 15:00", order_outcome="pending")
    # A DAPN with no application.
    b.notice("2025-08-01 10:00", scheme="dapn", order_outcome="not_applied", csp="C3")
    # Served in 2024: out.
    b.notice("2024-12-30 10:00", order_applied_at="2024-12-30 15:00", hearing_at="2024-12-31 10:00",
             order_outcome="granted", breaches=1)
    return b.con


def test_notices_served_by_scheme(orders):
    # 2025: five DVPNs and one DAPN.
    assert row(orders, "notices_served") == (6, None, 6)
    assert row(orders, "notices_served", breakdown="scheme", value="dvpn")[0] == 5
    assert row(orders, "notices_served", breakdown="scheme", value="dapn")[0] == 1


def test_order_application_and_grant_rates(orders):
    # Applied: the five DVPNs of 2025, of six notices. Granted 3 of granted + refused 4.
    found = row(orders, "order_application_rate")
    assert found[:2] == (5, 6)
    assert found[2] == pytest.approx(5 / 6)
    assert row(orders, "order_grant_rate") == (3, 4, 0.75)


def test_order_heard_within_48h_skips_sundays_and_bank_holidays(orders):
    # Heard: the May pair, June, Christmas = 4; within: May (48h) and Christmas (48h) = 2.
    assert row(orders, "order_heard_within_48h_rate") == (2, 4, 0.5)


def test_order_breach_rate(orders):
    # Granted in 2025: May (2 breaches), May (0), Christmas (unknown) -> 1 of 3.
    found = row(orders, "order_breach_rate")
    assert found[:2] == (1, 3)
    assert found[2] == pytest.approx(1 / 3)


# ----------------------------------------------------------------------------------------------- DVDS
@pytest.fixture
def dvds(force_builder):
    b = force_builder
    b.dvds("2025-03-01 10:00", route="right_to_ask", initial_checks_at="2025-03-02 10:00",      # 24h: in time
           decision="disclosure", decision_at="2025-03-29 10:00")                              # 28 days
    b.dvds("2025-03-01 10:00", route="right_to_ask", initial_checks_at="2025-03-02 11:00",      # 25h
           decision="no_disclosure", decision_at="2025-03-30 10:00")                           # 29 days
    b.dvds("2025-04-01 10:00", route="right_to_know", decision="withdrawn")                    # no checks
    b.dvds("2025-04-01 10:00", route="right_to_know", initial_checks_at="2025-04-01 12:00",
           decision="pending")
    # Received in 2024 (not an application of 2025), decided in 2025 within 10 days.
    b.dvds("2024-12-31 10:00", route="right_to_know", initial_checks_at="2024-12-31 12:00",
           decision="disclosure", decision_at="2025-01-10 10:00")
    return b.con


def test_dvds_applications_by_route(dvds):
    assert row(dvds, "dvds_applications") == (4, None, 4)
    assert row(dvds, "dvds_applications", breakdown="route", value="right_to_ask")[0] == 2
    assert row(dvds, "dvds_applications", breakdown="route", value="right_to_know")[0] == 2


def test_dvds_initial_checks_within_24_hours(dvds):
    # Received in 2025: 24h (in), 25h (out), none recorded (out), 2h (in) -> 2 of 4.
    assert row(dvds, "dvds_initial_checks_24h_rate") == (2, 4, 0.5)
    assert row(dvds, "dvds_initial_checks_24h_rate", breakdown="route", value="right_to_know") == (1, 2, 0.5)


def test_dvds_decisions_are_dated_by_decision_at(dvds):
    # Decisions in 2025: disclosure (03-29), no_disclosure (03-30), disclosure (01-10, received 2024).
    found = row(dvds, "dvds_disclosure_rate")
    assert found[:2] == (2, 3)
    assert found[2] == pytest.approx(2 / 3)
    assert row(dvds, "dvds_disclosure_rate", breakdown="route", value="right_to_ask") == (1, 2, 0.5)
    # Within 28 days: 28 days (in), 29 days (out), 10 days (in) -> 2 of 3.
    assert row(dvds, "dvds_decided_within_28d_rate")[:2] == (2, 3)


# ----------------------------------------------------------------------------------------------- MARAC
@pytest.fixture
def marac(force_builder):
    b = force_builder
    # v1: referred 2024-02-02 10:00, then 2025-02-01 10:00 = exactly 365 days, no flag -> repeat by look-back.
    b.marac("2024-02-02 10:00", victim="v1", heard_at="2024-02-15")
    b.marac("2025-02-01 10:00", victim="v1", csp="C1", heard_at="2025-02-10", referring_agency="police",
            victim_ethnicity="asian", victim_lgbt="yes", victim_disability="no", victim_sex="female",
            victim_age=16, actions_agreed=4, actions_completed=3)
    # v2: flagged a repeat by the MARAC (nothing earlier in our data).
    b.marac("2025-03-01 10:00", victim="v2", csp="C2", heard_at="2025-03-10", referring_agency="health",
            repeat_flag=True, victim_ethnicity="white", victim_lgbt="no", victim_disability="yes",
            victim_sex="male", victim_age=17, actions_agreed=2, actions_completed=2)
    # v3: flagged not a repeat although referred 30 days before: the flag wins.
    b.marac("2025-03-11 10:00", victim="v3", csp="C3", heard_at="2024-12-20")
    b.marac("2025-04-10 10:00", victim="v3", csp="C3", heard_at="2025-04-10", repeat_flag=False,
            victim_ethnicity="not_stated", victim_lgbt="not_known", victim_disability="not_known",
            victim_sex="female", victim_age=30, actions_agreed=3)
    # v4: heard on the period's last day; too recent for six months of follow-up.
    b.marac("2025-12-20 10:00", victim="v4", csp="C1", heard_at="2025-12-31")
    # v5: a CSP missing from the reference table: no division, so force (and its own CSP code) only.
    b.marac("2025-05-20 10:00", victim="v5", csp="C9", heard_at="2025-06-01", referring_agency="idva",
            victim_ethnicity="black", victim_lgbt="no", victim_disability="no", victim_sex="female",
            victim_age=45, actions_agreed=1, actions_completed=0)
    b.marac("2025-11-01 10:00", victim="v6", heard_at=None)         # not heard yet
    b.marac("2025-12-20 10:00", victim="v7", heard_at="2026-01-01")  # heard in 2026
    # Incidents: v1 again within 183 days; v2 on the meeting day and 184 days after (neither counts);
    # x sets how far the data reach (2026-03-01).
    b.incident("2025-05-01 10:00", victim="v1")
    b.incident("2025-03-10 18:00", victim="v2")
    b.incident("2025-09-10 10:00", victim="v2")
    b.incident("2026-03-01 10:00", victim="x")
    return b.con


def test_marac_cases_placed_by_their_csp_division(marac):
    # Heard in 2025: v1 (02-10), v2, v3 (04-10), v4 (12-31), v5 = 5.
    assert row(marac, "marac_cases") == (5, None, 5)
    # D1 = C1 + C2: v1, v2, v4; D2 = C3: v3; v5's C9 has no division -> the divisions sum to 4.
    assert units(marac, "marac_cases", "division") == {"D1": 3, "D2": 1}
    assert units(marac, "marac_cases", "csp") == {"C1": 2, "C2": 1, "C3": 1, "C9": 1}


def test_marac_cases_per_10k_women(marac):
    # 12 whole months, not annualised: 5 cases / (31,000 / 10,000).
    numerator, denominator, value = row(marac, "marac_cases_per_10k_women")
    assert (numerator, denominator) == (5, 31_000)
    assert value == pytest.approx(5 / 3.1)
    # Jan-Jun (181 days): v1, v2, v3, v5 = 4 -> 4 x 365.25 / 181 / 3.1.
    assert row(marac, "marac_cases_per_10k_women", period=HALF_YEAR)[2] == pytest.approx(4 * 365.25 / 181 / 3.1)


def test_marac_repeat_rate_uses_the_flag_else_the_look_back(marac):
    # Repeats: v1 (no flag; referral exactly 365 days before), v2 (flag) = 2 of 5; v3's flag says no.
    assert row(marac, "marac_repeat_rate") == (2, 5, 0.4)


def test_marac_partner_referral_share(marac):
    # Not police: v2 (health), v5 (idva) = 2 of 5.
    assert row(marac, "marac_partner_referral_share") == (2, 5, 0.4)


def test_marac_actions_completed_rate(marac):
    # Both counts known: v1 3/4, v2 2/2, v5 0/1 -> 5 of 7 (v3 has no completed count, v4 neither).
    found = row(marac, "marac_actions_completed_rate")
    assert found[:2] == (5, 7)
    assert found[2] == pytest.approx(5 / 7)


def test_marac_no_further_incident_in_183_days(marac):
    # Data reach 2026-03-01. Followed up: v1 (to 2025-08-12), v2 (to 2025-09-09), v3 (to 2025-10-10),
    # v5 (to 2025-12-01); v4 (to 2026-07-02) is too recent. Further incident: v1 only -> 3 of 4.
    assert row(marac, "marac_no_further_incident_6m_rate") == (3, 4, 0.75)


@pytest.mark.parametrize("metric_id, numerator, denominator", [
    ("marac_share_racially_minoritised", 2, 3),  # known: asian, white, black (not v3's not_stated)
    ("marac_share_lgbt", 1, 3),                  # known: yes, no, no
    ("marac_share_disabled", 1, 3),              # known: no, yes, no
    ("marac_share_male", 1, 4),                  # known: female, male, female, female
    ("marac_share_aged_16_17", 2, 4),            # known: 16, 17, 30, 45
])
def test_marac_representation_shares(marac, metric_id, numerator, denominator):
    found = row(marac, metric_id)
    assert found[:2] == (numerator, denominator)
    assert found[2] == pytest.approx(numerator / denominator)


# ----------------------------------------------------------------------------------------------- attendance
def test_attendance_within_the_call_grades_target(force_builder):
    b = force_builder
    b.incident("2025-03-01 10:00", call_grade="emergency", attended_at="2025-03-01 10:15")   # 15 min: in
    b.incident("2025-03-01 10:00", call_grade="emergency", attended_at="2025-03-01 10:16")   # out
    b.incident("2025-03-01 10:00", call_grade="priority", attended_at="2025-03-01 11:00")    # 60 min: in
    b.incident("2025-03-01 10:00", call_grade="priority", attended_at="2025-03-01 11:01")    # out
    b.incident("2025-03-01 10:00", call_grade="priority")                                     # not attended
    b.incident("2025-03-01 10:00", call_grade="scheduled", attended_at="2025-03-02 10:00")   # no target
    assert row(b.con, "attendance_within_target_rate") == (2, 4, 0.5)
    assert row(b.con, "attendance_within_target_rate", breakdown="call_grade", value="emergency") == (1, 2, 0.5)


# ----------------------------------------------------------------------------------------------- breakdowns
def test_incident_breakdowns(force_builder):
    b = force_builder
    b.incident("2025-03-01 10:00", victim_age=15, children_present=True, crime_ref="CR1", offence_code="8N",
               crime_recorded_at="2025-03-01 11:00")
    b.incident("2025-03-01 10:00", victim_age=16, children_present=False, crime_ref="CR2", offence_code="ZZZ",
               crime_recorded_at="2025-03-01 11:00")
    b.incident("2025-03-01 10:00", victim_age=17)
    b.incident("2025-03-01 10:00", victim_age=65)
    b.incident("2025-03-01 10:00", victim_age=None, relationship="ex_partner")
    frame = compute(b.con, "force", *PERIOD, metric_ids=["incidents"])
    counts = {(r.breakdown, r.breakdown_value): int(r.numerator) for r in frame.itertuples() if r.breakdown}
    assert counts[("age_band", "under_16")] == 1
    assert counts[("age_band", "16-17")] == 2
    assert counts[("age_band", "65+")] == 1
    assert counts[("age_band", "not_known")] == 1
    assert counts[("children_present", "yes")] == 1
    assert counts[("children_present", "not_known")] == 3
    assert counts[("offence_group", "violence_with_injury")] == 1
    assert counts[("offence_group", "unknown")] == 1               # ZZZ is not in offence_codes
    assert counts[("offence_group", "no_crime_recorded")] == 3
    assert counts[("relationship", "partner")] == 4
    # Each breakdown's rows add up to the headline's 5.
    totals = frame[frame["breakdown"].notna()].groupby("breakdown")["numerator"].sum()
    assert set(totals) == {5}
    # Population rates have no breakdown rows (the population is not split by victim attributes).
    per_1000 = compute(b.con, "force", *PERIOD, metric_ids=["incidents_per_1000"])
    assert per_1000["breakdown"].isna().all()


# ----------------------------------------------------------------------------------------------- monthly
def test_monthly_series_annualise_each_month(demand):
    # incidents_per_1000 for C1 over 2025: January has the 01-01 incident, December the 12-31 one.
    series = monthly(demand, "incidents_per_1000", "csp", "C1", *PERIOD)
    assert list(series["month"]) == [date(2025, m, 1) for m in range(1, 13)]
    assert list(series["numerator"]) == [1] + [0] * 10 + [1]
    # 1 x 365.25 / 31 days / (10,000 / 1,000).
    assert series["value"].iloc[0] == pytest.approx(365.25 / 31 / 10)
    assert series["value"].iloc[1] == 0
    counts = monthly(demand, "incidents", "force", FORCE, *PERIOD)
    assert counts["numerator"].sum() == 4
    assert counts["denominator"].isna().all()


def test_monthly_proportions_pool_within_the_month(repeats):
    # March 2025: exact (repeat) and over (not) -> 1 of 2; April: cross (repeat) -> 1 of 1.
    series = monthly(repeats, "repeat_incident_rate", "force", FORCE, *PERIOD).set_index("month")
    assert (series.loc[date(2025, 3, 1), "numerator"], series.loc[date(2025, 3, 1), "denominator"]) == (1, 2)
    assert series.loc[date(2025, 4, 1), "value"] == 1.0


# ----------------------------------------------------------------------------------------------- thresholds
def test_a_threshold_override_changes_the_rule(repeats, tmp_path, monkeypatch):
    override = tmp_path / "thresholds.toml"
    override.write_text('[lookback_days]\nvalue = 60\nsource = "test force policy"\n', encoding="utf-8")
    monkeypatch.setenv("DAPERF_THRESHOLDS", str(override))
    build_marts(repeats)  # what `daperf rebuild-marts` does after a threshold changes
    # With a 60-day look-back only cross (02-01 -> 04-01, 59 days) is a repeat: 1 of 8.
    assert row(repeats, "repeat_incident_rate")[:2] == (1, 8)
    assert json.loads(repeats.execute("SELECT settings FROM mart_build").fetchall()[0][0])["lookback_days"] == {
        "value": 60, "unit": "days", "source": "test force policy",
        "label": "Look-back for repeats and serial perpetrators"}


# ----------------------------------------------------------------------------------------------- levels
def test_divisions_and_csps_sum_to_the_force(demand, repeats, arrests, justice, orders, dvds, marac):
    # All the fixtures above in one force. The two records that cannot be placed below force level
    # (the orphan arrest at CSP level, the C9 MARAC case at division level) are tested above; without
    # them every numerator and denominator of every level adds up to the force's, look-back and
    # distinct-person metrics included (each record or person counts in exactly one unit).
    demand.execute("DELETE FROM arrests WHERE incident_id IS NULL")
    demand.execute("DELETE FROM marac WHERE csp_code = 'C9'")
    build_marts(demand)
    force = compute(demand, "force", *PERIOD, breakdowns=False).set_index("metric_id")
    for level in ("division", "csp"):
        frame = compute(demand, level, *PERIOD, breakdowns=False)
        sums = frame.groupby("metric_id")[["numerator", "denominator"]].sum(min_count=1)
        for metric_id in force.index:
            assert sums.loc[metric_id, "numerator"] == force.loc[metric_id, "numerator"], (level, metric_id)
            if not pd.isna(force.loc[metric_id, "denominator"]):
                assert sums.loc[metric_id, "denominator"] == force.loc[metric_id, "denominator"], (level, metric_id)
    assert force.loc["repeat_victim_rate", "denominator"] > 0
    assert force.loc["serial_perpetrators", "numerator"] == 1


def test_unit_codes_filter_and_units_with_nothing_still_have_a_row(repeats):
    frame = compute(repeats, "csp", *PERIOD, metric_ids=["incidents", "charge_rate"], unit_codes=["C3"])
    assert set(frame["unit_code"]) == {"C3"}
    charge = frame[frame["metric_id"] == "charge_rate"].iloc[0]
    # No outcomes in C3: 0 of 0, no value and no interval.
    assert (charge["numerator"], charge["denominator"]) == (0, 0)
    assert pd.isna(charge["value"]) and pd.isna(charge["ci_low"])
    assert list(frame.columns) == ["metric_id", "level", "unit_code", "unit_name", "period_from", "period_to",
                                   "breakdown", "breakdown_value", "numerator", "denominator", "value",
                                   "ci_low", "ci_high"]
    assert frame["unit_name"].iloc[0] == "Colne"


def test_proportions_carry_a_wilson_interval(justice):
    from metrics.stats import wilson_interval

    frame = compute(justice, "force", *PERIOD, metric_ids=["charge_rate"], breakdowns=False)
    low, high = wilson_interval(2, 7)
    assert (frame["ci_low"].iloc[0], frame["ci_high"].iloc[0]) == pytest.approx((low, high))
    assert low < 2 / 7 < high


def test_every_metric_has_a_monthly_series_that_adds_up(demand, repeats, arrests, justice, orders, dvds, marac):
    # Months partition the period, so each month's numerator sums to the period's, except where a
    # person is counted once per period (a victim or suspect seen in two months counts in both).
    from metrics.registry import METRICS

    period = compute(demand, "force", *PERIOD, breakdowns=False).set_index("metric_id")
    for metric_id in METRICS:
        series = monthly(demand, metric_id, "force", FORCE, *PERIOD)
        assert list(series["month"]) == [date(2025, m, 1) for m in range(1, 13)], metric_id
        total = series["numerator"].sum()
        if metric_id in ("repeat_victim_rate", "serial_perpetrators"):
            assert total >= period.loc[metric_id, "numerator"], metric_id
        else:
            assert total == period.loc[metric_id, "numerator"], metric_id


def test_bad_arguments_are_refused(force_builder):
    con = force_builder.con
    with pytest.raises(ValueError, match="Unknown level"):
        compute(con, "region", *PERIOD)
    with pytest.raises(KeyError, match="no_such_metric"):
        compute(con, "force", *PERIOD, metric_ids=["no_such_metric"])
    with pytest.raises(ValueError, match="before it starts"):
        compute(con, "force", date(2025, 2, 1), date(2025, 1, 1))
    assert compute(con, "force", *PERIOD, metric_ids=[]).empty


def test_results_follow_the_data_once_the_marts_are_rebuilt(force_builder):
    # The marts are built by the load that changes the data (force_builder.con rebuilds them as a load
    # would): an insert or an update is seen by the next question.
    assert row(force_builder.con, "repeat_incident_rate")[:2] == (0, 0)
    first = force_builder.incident("2025-03-01 10:00", victim="a")
    force_builder.incident("2025-03-02 10:00", victim="a")
    assert row(force_builder.con, "repeat_incident_rate")[:2] == (1, 2)
    con = force_builder.con
    con.execute("UPDATE incidents SET reported_at = TIMESTAMP '2023-03-01 10:00' WHERE incident_id = $id",
                {"id": first})
    build_marts(con)
    # The earlier incident now falls outside 2025 and more than 365 days before the second.
    assert row(con, "repeat_incident_rate")[:2] == (0, 1)

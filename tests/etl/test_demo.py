"""The synthetic demo force: reproducible, in the contract's shape, realistic, loadable, with its faults.

Realism targets are the published figures etl/demo.py is tuned to, checked within tolerances wide
enough for one seed's sampling noise on a year of Essex (about 41,000 incidents).
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from etl import demo
from etl.schemas import TABLES, columns
from reference import geography

END = date(2026, 11, 23)
EXTRACTS = ("incidents", "arrests", "protective_orders", "dvds", "marac")


@pytest.fixture(scope="module")
def one_year(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "essex"
    demo.generate(out, seed=7, years=1, end=END)
    return out


@pytest.fixture(scope="module")
def across_hocr_change(tmp_path_factory) -> Path:
    """Two years ending 1 June 2024: a year either side of the June 2023 counting-rule change."""
    out = tmp_path_factory.mktemp("demo") / "hocr"
    demo.generate(out, seed=7, years=2, end=date(2024, 6, 1))
    return out


_OPEN: dict[Path, duckdb.DuckDBPyConnection] = {}


@pytest.fixture(scope="module", autouse=True)
def _close_connections():
    yield
    while _OPEN:
        _OPEN.popitem()[1].close()


def _sql(folder: Path, query: str) -> list[tuple]:
    """Run a query over a generated folder's files, read once as text (as the loader reads them)."""
    if folder not in _OPEN:
        con = duckdb.connect()
        for table in (*EXTRACTS, "csps"):
            path = folder / f"{table}.csv"
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', all_varchar = true)")
        _OPEN[folder] = con
    return _OPEN[folder].execute(query).fetchall()


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return fh.readline().rstrip("\n").split(",")


# --- reproducibility and shape -------------------------------------------------------------------


def test_same_seed_and_end_give_identical_files(one_year, tmp_path):
    again = tmp_path / "again"
    counts = demo.generate(again, seed=7, years=1, end=END)
    for name in demo.FILES:
        assert (again / f"{name}.csv").read_bytes() == (one_year / f"{name}.csv").read_bytes(), name
    lines = (again / "incidents.csv").read_text(encoding="utf-8").count("\n")
    assert counts["incidents"] == lines - 1  # less the header


def test_command_line_writes_the_same_files(one_year, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    # --no-comparators: the comparators' national run takes minutes (tests/metrics/test_comparators.py).
    result = CliRunner().invoke(app, ["demo-data", str(tmp_path / "cli"), "--seed", "7", "--years", "1",
                                      "--end", END.isoformat(), "--no-comparators"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "marac.csv").read_bytes() == (one_year / "marac.csv").read_bytes()
    refused = CliRunner().invoke(app, ["demo-data", str(tmp_path / "bad"), "--end", "23/11/2026"])
    assert refused.exit_code != 0 and not (tmp_path / "bad").exists()


def test_another_seed_gives_other_data(one_year, tmp_path):
    demo.generate(tmp_path / "other", seed=8, years=1, end=END)
    assert (tmp_path / "other" / "incidents.csv").read_bytes() != (one_year / "incidents.csv").read_bytes()


def test_files_carry_exactly_the_contract_columns(one_year):
    assert set(demo.FILES) <= set(TABLES)
    for name in demo.FILES:
        assert _header(one_year / f"{name}.csv") == columns(name), name


def test_no_column_looks_like_personal_data(one_year):
    personal = re.compile(r"name|address|dob|postcode|narrative")
    for name in EXTRACTS:
        assert not [c for c in _header(one_year / f"{name}.csv") if personal.search(c)], name


def test_ids_look_like_a_forces_own(one_year):
    [(bad_incident, bad_crime, bad_person, bad_arrest)] = _sql(one_year, r"""
        SELECT
          (SELECT count(*) FROM incidents WHERE NOT regexp_full_match(incident_id, 'INC-\d{4}-\d{6}')),
          (SELECT count(*) FROM incidents WHERE NOT regexp_full_match(crime_ref, '42/\d{5,6}/\d{2}')),
          (SELECT count(*) FROM incidents WHERE NOT regexp_full_match(victim_id, 'P\d{7}')
                                             OR NOT regexp_full_match(suspect_id, 'P\d{7}')),
          (SELECT count(*) FROM arrests WHERE NOT regexp_full_match(arrest_id, 'ARR-\d{4}-\d{6}'))
    """)
    assert (bad_incident, bad_crime, bad_person, bad_arrest) == (0, 0, 0, 0)


def test_every_recorded_time_is_before_end(one_year):
    # end is 2026-11-23: the data stops at midnight starting that day.
    [(latest_report, latest_outcome, latest_referral)] = _sql(one_year, """
        SELECT max(reported_at), max(outcome_at), max(referral_at) FROM incidents, (SELECT max(referral_at)
        AS referral_at FROM marac)
    """)
    assert max(latest_report, latest_outcome, latest_referral) < "2026-11-23T00:00:00"
    # ...and runs right up to it, for the daily meeting's last 24-72 hours.
    assert latest_report >= "2026-11-22T00:00:00"


def test_no_time_falls_in_the_hours_the_clocks_skip_or_repeat(one_year):
    # Europe/London 2026: 01:00-02:00 does not exist on 29 March and happens twice on 25 October.
    [(in_changed_hours,)] = _sql(one_year, """
        SELECT count(*) FROM incidents
        WHERE (reported_at >= '2026-03-29T01:00:00' AND reported_at < '2026-03-29T02:00:00')
           OR (reported_at >= '2026-10-25T01:00:00' AND reported_at < '2026-10-25T02:00:00')
           OR (attended_at >= '2026-03-29T01:00:00' AND attended_at < '2026-03-29T02:00:00')
    """)
    [(around_them,)] = _sql(one_year, """
        SELECT count(*) FROM incidents WHERE reported_at >= '2026-03-29T00:00:00' AND reported_at < '2026-03-29T03:00:00'
    """)
    assert in_changed_hours == 0 and around_them > 0


# --- realism ---------------------------------------------------------------------------------------


def test_volume_is_an_essex_year(one_year):
    [(incidents,)] = _sql(one_year, "SELECT count(*) FROM incidents")
    assert 35_000 <= incidents <= 45_000


def test_outcome_mix_is_near_the_national_picture(one_year):
    [(assigned, type_16, charged, type_15)] = _sql(one_year, """
        SELECT count(*), count(*) FILTER (WHERE outcome_type = '16'),
               count(*) FILTER (WHERE outcome_type IN ('1', '1A')), count(*) FILTER (WHERE outcome_type = '15')
        FROM incidents WHERE outcome_type IS NOT NULL
    """)
    assert 0.45 <= type_16 / assigned <= 0.60
    assert 0.04 <= charged / assigned < 0.10
    assert 0.07 <= type_15 / assigned <= 0.13


def test_recent_crimes_still_await_outcomes(one_year):
    [(awaiting_recent, awaiting_older)] = _sql(one_year, """
        SELECT avg((outcome_type IS NULL)::int) FILTER (WHERE crime_recorded_at >= '2026-10-23'),
               avg((outcome_type IS NULL)::int) FILTER (WHERE crime_recorded_at < '2026-04-23')
        FROM incidents WHERE crime_ref IS NOT NULL
    """)
    assert awaiting_recent > 0.5 > awaiting_older


def test_conversion_and_arrests_per_100_crimes(one_year):
    [(incidents, crimes, arrests)] = _sql(one_year, """
        SELECT count(*), count(crime_ref), (SELECT count(*) FROM arrests) FROM incidents
    """)
    assert 0.53 <= crimes / incidents <= 0.60
    assert 30 <= arrests / crimes * 100 <= 40


def test_conviction_rate_of_charged_cases(one_year):
    [(convicted, finalised)] = _sql(one_year, """
        SELECT count(*) FILTER (WHERE court_result = 'convicted'),
               count(*) FILTER (WHERE court_result IN ('convicted', 'acquitted', 'discontinued'))
        FROM incidents
    """)
    assert 0.68 <= convicted / finalised <= 0.82


def test_june_2023_counting_rule_step_in_conversion(across_hocr_change):
    [(before, after)] = _sql(across_hocr_change, """
        SELECT avg((crime_ref IS NOT NULL)::int) FILTER (WHERE reported_at < '2023-06-01'),
               avg((crime_ref IS NOT NULL)::int) FILTER (WHERE reported_at >= '2023-06-01')
        FROM incidents
    """)
    # 62% before and 56% after, as demo.CRIME_CONVERSION_*_HOCR set (high-risk incidents convert more).
    assert before - after >= 0.04


def test_repeat_victims_and_serial_perpetrators_present(one_year):
    [(victims, repeat_victims)] = _sql(one_year, """
        SELECT count(*), count(*) FILTER (WHERE n > 1)
        FROM (SELECT victim_id, count(*) AS n FROM incidents GROUP BY victim_id)
    """)
    [(serial,)] = _sql(one_year, """
        SELECT count(*) FROM (SELECT suspect_id FROM incidents WHERE suspect_id IS NOT NULL
                              GROUP BY suspect_id HAVING count(DISTINCT victim_id) >= 2)
    """)
    assert 0.15 <= repeat_victims / victims <= 0.40
    assert serial >= 100


def test_risk_and_attendance(one_year):
    [(assessed, high_of_assessed, emergency_15, priority_60)] = _sql(one_year, """
        SELECT avg((risk_level <> 'not_assessed')::int),
               avg((risk_level = 'high')::int) FILTER (WHERE risk_level IN ('standard', 'medium', 'high')),
               avg((attended_at::timestamp <= reported_at::timestamp + INTERVAL 15 MINUTE)::int)
                   FILTER (WHERE call_grade = 'emergency'),
               avg((attended_at::timestamp <= reported_at::timestamp + INTERVAL 60 MINUTE)::int)
                   FILTER (WHERE call_grade = 'priority')
        FROM incidents WHERE attended_at IS NOT NULL AND risk_level IS NOT NULL
    """)
    assert assessed >= 0.70
    assert 0.07 <= high_of_assessed <= 0.13
    assert emergency_15 >= 0.7 and priority_60 >= 0.7


def test_marac_volume_repeats_and_police_share(across_hocr_change):
    # The second of the two years (1 June 2023 - 31 May 2024): its repeats can look back a full year.
    [(cases, repeats, police)] = _sql(across_hocr_change, """
        SELECT count(*), count(*) FILTER (WHERE repeat_flag = 'true'),
               count(*) FILTER (WHERE referring_agency = 'police')
        FROM marac WHERE heard_at >= '2023-06-01'
    """)
    [(women,)] = _sql(across_hocr_change, "SELECT sum(population_female_16plus::bigint) FROM csps")
    assert 30 <= cases / (women / 10_000) <= 50   # SafeLives: about 40 a year per 10,000 women aged 16+
    assert 0.20 <= repeats / cases <= 0.40        # SafeLives: about 30%
    assert 0.55 <= police / cases <= 0.75         # about 65% referred by the police


def test_protective_orders_and_dvds(one_year):
    [(dvpn, dapn, refused, late_hearings, breached)] = _sql(one_year, """
        SELECT count(*) FILTER (WHERE scheme = 'dvpn'), count(*) FILTER (WHERE scheme = 'dapn'),
               count(*) FILTER (WHERE order_outcome = 'refused'),
               count(*) FILTER (WHERE hearing_at::timestamp > served_at::timestamp + INTERVAL 48 HOUR),
               count(*) FILTER (WHERE breaches::int > 0)
        FROM protective_orders
    """)
    assert 200 <= dvpn <= 500 and 1 <= dapn <= 30
    assert refused > 0 and late_hearings > 0 and breached > 0
    [(applications, right_to_ask, late_checks, late_decisions, pending)] = _sql(one_year, """
        SELECT count(*), count(*) FILTER (WHERE route = 'right_to_ask'),
               count(*) FILTER (WHERE initial_checks_at::timestamp > received_at::timestamp + INTERVAL 24 HOUR),
               count(*) FILTER (WHERE decision_at::timestamp > received_at::timestamp + INTERVAL 28 DAY),
               count(*) FILTER (WHERE decision = 'pending')
        FROM dvds
    """)
    assert 0.55 <= right_to_ask / applications <= 0.65
    assert late_checks > 0 and late_decisions > 0 and pending > 0


def test_victims_resemble_the_resident_profile(one_year):
    # Essex residents (2011 Census) are about 90.8% White; victims with a stated ethnicity are drawn from
    # their partnership's census profile.
    [(white_share,)] = _sql(one_year, """
        SELECT avg((victim_ethnicity = 'white')::int) FROM incidents WHERE victim_ethnicity <> 'not_stated'
    """)
    residents = geography.resident_ethnicity_by_csp(demo.ESSEX)
    resident_white = residents["white"].sum() / residents["total"].sum()
    assert abs(white_share - resident_white) < 0.02


# --- faults and loading ----------------------------------------------------------------------------


def test_deliberate_faults_are_present_and_few(one_year):
    [(missing_risk, unknown_code, attended_early, orphans, over_completed)] = _sql(one_year, """
        SELECT
          (SELECT count(*) FROM incidents WHERE risk_level IS NULL),
          (SELECT count(*) FROM incidents WHERE offence_code = '99Z'),
          (SELECT count(*) FROM incidents WHERE attended_at::timestamp < reported_at::timestamp),
          (SELECT count(*) FROM arrests a WHERE incident_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.incident_id = a.incident_id)),
          (SELECT count(*) FROM marac WHERE actions_completed::int > actions_agreed::int)
    """)
    [(rows,)] = _sql(one_year, "SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM arrests) "
                               "+ (SELECT count(*) FROM marac)")
    faults = missing_risk + unknown_code + attended_early + orphans + over_completed
    assert min(missing_risk, unknown_code, attended_early, orphans, over_completed) >= 1
    assert 0.0005 <= faults / rows <= 0.003


def test_loader_accepts_all_but_the_deliberate_faults(one_year, tmp_path):
    from etl.load import run_load

    summary = run_load(one_year, tmp_path / "demo.duckdb", progress=False)
    quarantined = {}
    for file in summary.files:
        for rule, count in file.quarantined_by_rule.items():
            quarantined[(file.file_name, rule)] = count
    assert set(quarantined) == {
        ("incidents.csv", "required_missing"),
        ("incidents.csv", "attended_before_reported"),
        ("marac.csv", "actions_completed_above_agreed"),
    }


# --- the morning meeting's live cases ----------------------------------------------------------------


def _loaded(folder: Path, db: Path):
    from daperf.db import connect_readonly
    from etl.load import run_load

    run_load(folder, db, progress=False)
    return connect_readonly(db)


@pytest.mark.parametrize("end", [END, date(2026, 5, 26)], ids=["monday", "tuesday-after-bank-holiday"])
def test_every_list_of_the_morning_meeting_has_live_cases(one_year, tmp_path, end):
    """On the day the data are generated, the meeting the daily page opens on has cases in every list:
    hearings due and missed, Clare's Law checks and decisions late, high-risk victims not yet referred,
    arrests not yet made, repeat victims."""
    from datetime import datetime

    from metrics import daily

    folder = one_year
    if end != END:
        folder = tmp_path / "demo"
        demo.generate(folder, seed=7, years=1, end=end)
    con = _loaded(folder, tmp_path / "demo.duckdb")
    try:
        [(last_day,)] = con.execute("SELECT data_last_day FROM mart_build").fetchall()
        meeting = daily.default_meeting_time(datetime.combine(end, datetime.min.time()).replace(hour=10), last_day)
        # Monday 23 November: since Friday 08:00; Tuesday 26 May 2026, after the Spring bank holiday: the same
        assert meeting == datetime.combine(end, datetime.min.time()).replace(hour=8)
        window = daily.meeting_window(meeting)
        assert window.hours == (72 if end == END else 96)
        lists = daily.action_lists(con, window)
    finally:
        con.close()
    assert {key: len(frame) > 0 for key, frame in lists.items()} == dict.fromkeys(daily.ACTION_LISTS, True)
    statuses = lists["notices"]["status"].value_counts()
    assert statuses.get("due", 0) >= demo.LIVE_NOTICES_DUE and statuses.get("missed", 0) >= demo.LIVE_NOTICES_MISSED
    dvds = lists["dvds"]
    assert dvds["checks_overdue"].sum() >= demo.LIVE_DVDS_CHECKS_OVERDUE and dvds["decision_late"].sum() >= 2


def test_some_charges_come_without_a_file_to_the_cps(one_year):
    """The police charge some common assaults themselves, so the attrition funnel's CPS stage is not a copy
    of its charge stage."""
    [(charged, police_charged, police_charged_common_assault)] = _sql(one_year, """
        SELECT count(*), count(*) FILTER (WHERE cps_decision IS NULL),
               count(*) FILTER (WHERE cps_decision IS NULL AND offence_code = '105A')
        FROM incidents WHERE outcome_type IN ('1', '1A')
    """)
    assert 0.05 <= police_charged / charged <= 0.30
    assert police_charged_common_assault == police_charged


def test_a_notice_not_yet_applied_for_awaits_its_hearing(one_year):
    """A notice served in the last day of the data whose order is still to be applied for is pending
    (awaiting its hearing), not "not applied for"."""
    [(recent, pending, not_applied)] = _sql(one_year, """
        SELECT count(*), count(*) FILTER (WHERE order_outcome = 'pending'),
               count(*) FILTER (WHERE order_outcome = 'not_applied')
        FROM protective_orders WHERE served_at >= '2026-11-21T00:00:00'
    """)
    assert recent >= demo.LIVE_NOTICES_DUE and pending > not_applied


# --- geography -----------------------------------------------------------------------------------


def test_essex_partnerships_and_derived_populations():
    essex = geography.csp_reference(demo.ESSEX).set_index("csp_name")
    assert len(essex) == 14
    basildon = essex.loc["Basildon"]
    # 2011 Census: 174,497 residents; 174,497 x 0.811 = 141,517.1 -> 141,517 aged 16+;
    # 141,517 x 0.513 = 72,598.2 -> 72,598 women aged 16+.
    assert (basildon["population"], basildon["population_16plus"], basildon["population_female_16plus"]) == (
        174_497, 141_517, 72_598,
    )
    assert {csp for _, members in demo.ESSEX_DIVISIONS.values() for csp in members} == set(essex.index)


def test_resident_ethnicity_groups_sum_to_the_total():
    residents = geography.resident_ethnicity_by_csp()
    assert len(residents) == 315 and residents["force_code"].nunique() == 43
    groups = residents[list(geography.ETHNIC_GROUPS)].sum(axis=1)
    assert (groups == residents["total"]).all()
    assert residents["total"].sum() == 56_075_912   # England and Wales, 2011


@pytest.mark.slow
def test_national_set_has_every_force_with_unique_ids(tmp_path):
    counts = demo.generate(tmp_path / "national", seed=3, years=1, scale="national", end=END)
    assert counts["divisions"] >= 43 and counts["csps"] == 315
    [(forces, incidents, distinct_ids, distinct_arrests, arrests)] = _sql(tmp_path / "national", """
        SELECT count(DISTINCT force_code), count(*), count(DISTINCT incident_id),
               (SELECT count(DISTINCT arrest_id) FROM arrests), (SELECT count(*) FROM arrests)
        FROM incidents
    """)
    assert forces == 43 and distinct_ids == incidents and distinct_arrests == arrests

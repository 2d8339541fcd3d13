"""Journeys through the operational pages (/attrition, /daily, /data-quality) in headless Chromium.

Expected values come from the metrics layer (``metrics.attrition``, ``metrics.daily``,
``metrics.data_quality``) on the same database for the same filters.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import duckdb
import pytest
from playwright.sync_api import expect

from metrics import attrition, daily, data_quality

from .conftest import screenshot

# The synthetic force ends with last month: its last 12 whole months, and a meeting on the 20th.
LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
FIRST_MONTH = (LAST_MONTH - timedelta(days=330)).replace(day=1)
PERIOD = (FIRST_MONTH, date.today().replace(day=1) - timedelta(days=1))
QUERY = f"from={FIRST_MONTH:%Y-%m}&to={LAST_MONTH:%Y-%m}"
MEETING_AT = datetime.combine(LAST_MONTH.replace(day=20), time(8, 0))


@pytest.fixture(scope="module")
def con(dashboard_db):
    con = duckdb.connect(str(dashboard_db), read_only=True)
    yield con
    con.close()


def _wait_for_url(page, pattern: str) -> None:
    page.wait_for_function("p => new RegExp(p).test(window.location.search)", arg=pattern)


def test_attrition_follows_the_division_filter_and_downloads_the_case_list(page, con, tmp_path):
    page.goto(f"/attrition?{QUERY}")
    force = attrition.attrition_funnel(con, "force", None, *PERIOD)
    summary = page.locator("#attrition-summary")
    expect(summary).to_contain_text(f"{int(force['crimes'].iloc[0]):,} crimes recorded in the force")
    expect(page.locator("#attrition-callouts")).to_contain_text("Outcome 16:")
    screenshot(page, "attrition")

    page.get_by_label("Division").select_option("SOUTH")
    _wait_for_url(page, "division=SOUTH")
    south = attrition.attrition_funnel(con, "division", "SOUTH", *PERIOD).set_index("stage")["crimes"]
    expect(summary).to_contain_text(f"{int(south['recorded']):,} crimes recorded in South Division")
    expect(page.locator("#attrition-funnel")).to_contain_text(f"{int(south['conviction']):,} ended in a conviction")
    mix = attrition.outcome_mix(con, "division", "SOUTH", *PERIOD).set_index("outcome_type")
    expect(page.locator("#attrition-callouts")).to_contain_text(f"Outcome 16: {int(mix.loc['16', 'crimes']):,} crimes")

    # Dip-sample the cases lost before a charge, then download them.
    page.get_by_label("Stage lost").select_option("charge")
    lost = attrition.case_list(con, "division", "SOUTH", *PERIOD, stage_lost="charge")
    expect(page.locator("#attrition-case-list")).to_contain_text(f"{len(lost):,} crimes")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the case list (CSV)").click()
    path = tmp_path / "cases.csv"
    download_info.value.save_as(path)
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    assert lines[0].split(",")[:4] == ["incident_id", "crime_ref", "victim_ref", "suspect_ref"]
    assert len(lines) == len(lost) + 1
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(lost["incident_id"])


def test_daily_meeting_by_division(page, con):
    page.goto(f"/daily?meeting={MEETING_AT:%Y-%m-%dT%H:%M}")
    window = daily.meeting_window(MEETING_AT)
    expect(page.locator("#daily-window")).to_contain_text(f"{window.hours} hours from {window.start:%A %-d %B %Y %H:%M}")
    divisions = con.execute("SELECT division_code, division_name FROM divisions").df()
    summary = daily.daily_summary(con, window, divisions).set_index("division_code")
    north_card = page.locator("#daily-card-NORTH")
    for key in ("new_incidents", "new_high", "power_of_arrest_no_arrest", "dvds_checks_overdue", "repeat_victims"):
        expect(north_card.locator(f"[data-summary='{key}']")).to_have_text(f"{int(summary.loc['NORTH', key]):,}")
    expect(page.locator("#daily-card-SOUTH")).to_be_visible()
    screenshot(page, "daily")

    page.get_by_label("Division").select_option("NORTH")
    _wait_for_url(page, "division=NORTH")
    expect(page.locator("#daily-card-SOUTH")).to_have_count(0)
    repeat = daily.repeat_victims(con, window, "NORTH")
    title = daily.ACTION_LISTS["repeat_victims"]
    expect(page.locator("#daily-actions")).to_contain_text(
        f"{title}: {len(repeat):,}" if len(repeat) else f"{title}: none.")
    for ref in repeat["victim_ref"]:
        expect(page.locator("#daily-actions")).to_contain_text(ref)

    # A later meeting: the window moves with the time chosen.
    later = MEETING_AT + timedelta(days=1)
    page.get_by_label("Meeting time").fill(f"{later:%Y-%m-%dT%H:%M}")
    _wait_for_url(page, f"meeting={later:%Y-%m-%dT%H}")
    later_window = daily.meeting_window(later)
    expect(page.locator("#daily-window")).to_contain_text(f"to the meeting at {later:%A %-d %B %Y %H:%M}")
    later_summary = daily.daily_summary(con, later_window, divisions, "NORTH").set_index("division_code")
    expect(north_card.locator("[data-summary='new_incidents']")).to_have_text(
        f"{int(later_summary.loc['NORTH', 'new_incidents']):,}")


def test_data_quality_page(page, con):
    page.goto(f"/data-quality?{QUERY}")
    counts = data_quality.orphan_counts(con).set_index("table_name")
    expect(page.locator("#data-quality-orphan-counts")).to_contain_text(
        f"arrests: {int(counts.loc['arrests', 'orphans']):,} of {int(counts.loc['arrests', 'with_incident_id']):,}")
    expect(page.locator("#data-quality-loads")).to_contain_text("synthetic test force")
    completeness = page.locator("#data-quality-completeness")
    expect(completeness).to_contain_text(f"{PERIOD[0]:%B %Y} to {PERIOD[1]:%B %Y}")
    screenshot(page, "data-quality")

    # The completeness table for the last month only, shown as a table.
    page.get_by_label("From (month)").select_option(f"{LAST_MONTH:%Y-%m}")
    _wait_for_url(page, f"from={LAST_MONTH:%Y-%m}")
    expect(completeness).to_contain_text(f"{LAST_MONTH:%B %Y} to {LAST_MONTH:%B %Y}")
    completeness.locator("summary").click()  # the table view is a <details> disclosure (app.components.chart_and_table)
    frame = data_quality.field_completeness(con, LAST_MONTH, PERIOD[1])
    north = frame[frame["division_code"] == "NORTH"]
    expect(completeness.get_by_role("gridcell").filter(has_text="NORTH").first).to_be_visible()
    assert int(north["incidents"].iloc[0]) > 0
    expect(completeness).to_contain_text(str(int(north["incidents"].iloc[0])))

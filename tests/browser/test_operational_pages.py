"""Journeys through the operational pages (/daily, /attrition, /data-quality, /audit) in headless Chromium,
asserting what a person reads.

Expected values come from the metrics layer (``metrics.attrition``, ``metrics.daily``,
``metrics.data_quality``) on the same database for the same filters, written as ``metrics.formatting``
writes them. The demo server signs everyone in as a chief officer.
"""
from __future__ import annotations

import csv
import re
from datetime import date, datetime, time, timedelta

import duckdb
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from metrics import attrition, daily, data_quality
from metrics.formatting import format_count, format_datetime, format_number

from .conftest import screenshot

# The synthetic force ends with last month: its last 12 whole months, and a meeting on the 20th.
LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
FIRST_MONTH = (LAST_MONTH - timedelta(days=330)).replace(day=1)
PERIOD = (FIRST_MONTH, date.today().replace(day=1) - timedelta(days=1))
QUERY = f"from={FIRST_MONTH:%Y-%m}&to={LAST_MONTH:%Y-%m}"
MEETING_AT = datetime.combine(LAST_MONTH.replace(day=20), time(8, 0))
MEETING = f"{MEETING_AT:%Y-%m-%dT%H:%M}"
SHOWN_MOMENT = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{2}:\d{2}$")


@pytest.fixture(scope="module")
def con(dashboard_db):
    con = duckdb.connect(str(dashboard_db), read_only=True)
    yield con
    con.close()


def _wait_for_url(page, pattern: str) -> None:
    page.wait_for_function("p => new RegExp(p).test(window.location.search)", arg=pattern)


def _shown_choice(page, label: str) -> str:
    """The words a select box shows (its selected option's text), as a person reads it."""
    return page.get_by_label(label, exact=True).evaluate("s => s.options[s.selectedIndex].text")


def _rows(page, grid: str) -> int:
    """Every row a grid holds, across its pages."""
    return page.evaluate("id => window.dash_ag_grid.getApi({type: 'grid', grid: id}).getDisplayedRowCount()", grid)


def _settled(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


# --- attrition ---------------------------------------------------------------------------------------


def test_a_coordinator_traces_attrition_through_division_and_partnership(page, con, tmp_path):
    page.goto(f"/attrition?{QUERY}")
    force = attrition.attrition_funnel(con, "force", None, *PERIOD).set_index("stage")
    summary = page.locator("#attrition-summary")
    expect(summary).to_contain_text(f"{int(force.loc['recorded', 'crimes']):,} crimes recorded in the force")
    assert _shown_choice(page, "Division") == "All divisions"
    assert _shown_choice(page, "Community safety partnership") == "Choose a partnership"
    # Each stage's conversion from the stage before, and the CPS stage apart from the charge stage
    conversions = page.locator("#attrition-conversions")
    arrested = conversions.get_by_role("row", name=re.compile("^Suspect arrested"))
    expect(arrested).to_contain_text(format_number(force.loc["arrest", "share_of_previous"], percent=True))
    expect(arrested).to_contain_text(format_count(force.loc["arrest", "crimes"]))
    expect(page.locator("#attrition-cps-stage")).to_contain_text(
        f"The CPS decided to charge {int(force['cps_charged'].iloc[0]):,} of the "
        f"{int(force.loc['cps_referral', 'crimes']):,} files sent to it")
    expect(page.locator("#attrition-timing-distribution")).to_contain_text("Nine in ten within")
    screenshot(page, "attrition")

    # A division: the partnership list offers only its partnerships, and the tables follow
    page.get_by_label("Division", exact=True).select_option("SOUTH")
    _wait_for_url(page, "division=SOUTH")
    south = attrition.attrition_funnel(con, "division", "SOUTH", *PERIOD).set_index("stage")
    expect(summary).to_contain_text(f"{int(south.loc['recorded', 'crimes']):,} crimes recorded in South Division")
    partnership = page.get_by_label("Community safety partnership")
    expect(partnership.locator("option:not([hidden])")).to_have_text(["Choose a partnership", "Castleton",
                                                                      "Dunwick Isle"])
    expect(page.get_by_role("heading", name="Partnerships in South Division")).to_be_visible()
    by_csp = page.locator(".data-table").filter(has_text="The funnel by partnership")
    expect(by_csp.get_by_text("Castleton")).to_be_visible()
    expect(by_csp.get_by_text("Ashford Vale")).to_have_count(0)

    # A partnership, then another division: the partnership of the old division is not left chosen
    partnership.select_option("E22000003")
    _wait_for_url(page, "csp=E22000003")
    castleton = attrition.attrition_funnel(con, "csp", "E22000003", *PERIOD)
    expect(summary).to_contain_text(f"{int(castleton['crimes'].iloc[0]):,} crimes recorded in Castleton")
    page.get_by_label("Division", exact=True).select_option("NORTH")
    _wait_for_url(page, "division=NORTH")
    page.wait_for_function("() => !window.location.search.includes('csp=')")
    assert _shown_choice(page, "Community safety partnership") == "Choose a partnership"
    expect(summary).to_contain_text("crimes recorded in North Division")

    # Dip-sample the cases lost before a file went to the CPS, then download them: words, not codes
    page.get_by_label("Stage lost").select_option("cps_referral")
    lost = attrition.case_list(con, "division", "NORTH", *PERIOD, stage_lost="cps_referral")
    assert len(lost) > 0
    expect(page.locator("#attrition-case-list")).to_contain_text(f"{len(lost):,} crimes")
    expect(page.locator("#attrition-case-list").get_by_role("gridcell", name="File sent to the CPS").first).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the case list (CSV)").click()
    path = tmp_path / "cases.csv"
    download_info.value.save_as(path)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(lost)
    assert {row["Lost before"] for row in rows} == {"File sent to the CPS"}
    assert {row["Division"] for row in rows} == {"North Division"}
    assert sorted(row["Incident"] for row in rows) == sorted(lost["incident_id"])


def test_an_address_the_data_do_not_have_is_explained(page):
    page.goto(f"/attrition?{QUERY}&division=XYZ")
    expect(page.get_by_role("status").filter(has_text="Check the filters")).to_contain_text(
        "There is no division “XYZ” in this data")
    assert _shown_choice(page, "Division") == "All divisions"
    expect(page.locator("#attrition-summary")).to_contain_text("crimes recorded in the force")
    # A partnership named without its division: the controls show both, so they say what the content is for
    page.goto(f"/attrition?{QUERY}&csp=E22000003")
    assert (_shown_choice(page, "Division"), _shown_choice(page, "Community safety partnership")) == (
        "South Division", "Castleton")
    expect(page.locator("#attrition-summary")).to_contain_text("crimes recorded in Castleton")


def test_a_period_with_no_data_says_so(page):
    page.goto("/attrition?from=2099-01&to=2099-03")
    expect(page.locator("#attrition-summary")).to_contain_text("No records cover January 2099 to March 2099")
    expect(page.locator("#attrition-funnel")).to_be_empty()
    expect(page.locator("#attrition-conversions")).to_have_count(0)


# --- the morning meeting -------------------------------------------------------------------------------


def test_the_morning_meeting_briefing(page, con):
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    page.goto(f"/daily?meeting={MEETING}")
    window = daily.meeting_window(MEETING_AT)
    expect(page.locator("#daily-window")).to_contain_text(
        f"from {format_datetime(window.start)} to the meeting at {format_datetime(window.end, with_year=True)} "
        f"({window.hours} hours)")
    assert _shown_choice(page, "Division") == "All divisions"
    lists = daily.action_lists(con, window)
    _settled(page)
    # Each list's count in the summary (per division, summed) is the rows of its grid, and links to it
    for key, frame in lists.items():
        badge = page.locator(f"[data-list-count='{key}']")
        expect(badge).to_have_text(format_count(len(frame)))
        counts = page.locator(f"#daily-summary [data-summary='{key}']").all_inner_texts()
        assert sum(int(c.replace(",", "")) for c in counts) == len(frame), key
        if len(frame):
            assert _rows(page, f"daily-grid-{key}") == len(frame), key
    busiest = max(lists, key=lambda k: len(lists[k]))
    assert len(lists[busiest]) > 0
    for key, frame in lists.items():  # every grid drawn, so nothing moves the list once opened
        if len(frame):
            expect(page.locator(f"#daily-list-{key} .ag-center-cols-container .ag-row").first).to_be_visible()
    page.locator(f"#daily-summary a[data-summary='{busiest}']").first.click()
    page.wait_for_function("key => window.location.hash === '#daily-list-' + key", arg=busiest)
    expect(page.locator(f"#daily-list-{busiest}")).to_be_in_viewport()
    expect(page.locator(f"#daily-list-{busiest}")).to_be_focused()
    # Dates as people write them, statuses as chips, no raw values
    first_moment = page.locator(".daily-briefing .ag-cell[col-id$='_at']").first
    assert SHOWN_MOMENT.match(first_moment.inner_text().strip()), first_moment.inner_text()
    expect(page.locator(".daily-briefing .status-chip").first).to_be_visible()
    screenshot(page, "daily")

    # Print: every row of every list, then the print dialog
    page.get_by_role("button", name="Print the briefing").click()
    page.wait_for_function("() => window.__printed === 1")
    grid = page.locator(f"#daily-list-{busiest} .ag-center-cols-container .ag-row")
    expect(grid).to_have_count(len(lists[busiest]))

    # A later meeting: the window moves with the time chosen
    later = MEETING_AT + timedelta(days=1)
    page.get_by_label("Meeting time").fill(f"{later:%Y-%m-%dT%H:%M}")
    _wait_for_url(page, f"meeting={later:%Y-%m-%dT%H}")
    later_window = daily.meeting_window(later)
    expect(page.locator("#daily-window")).to_contain_text(
        f"to the meeting at {format_datetime(later_window.end, with_year=True)}")
    later_lists = daily.action_lists(con, later_window)
    expect(page.locator("[data-list-count='repeat_victims']")).to_have_text(
        format_count(len(later_lists["repeat_victims"])))


def test_the_meeting_room_screen_takes_one_division_at_a_time(page, con):
    page.goto(f"/daily?meeting={MEETING}")
    page.get_by_role("link", name="Present to the meeting").click()
    _wait_for_url(page, "view=present")
    expect(page.locator(".present-view")).to_be_visible()
    expect(page.locator("nav[aria-label='Main']")).to_be_hidden()
    cards = page.locator(".briefing-card")
    expect(cards).to_have_count(1)
    expect(cards.get_by_role("heading")).to_have_text("North Division")
    window = daily.meeting_window(MEETING_AT)
    north = daily.action_lists(con, window, "NORTH")
    expect(page.locator("[data-list-count='no_arrest']")).to_have_text(format_count(len(north["no_arrest"])))
    # Large type for the room
    size = cards.locator(".briefing-count").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 32
    screenshot(page, "daily-present")

    page.get_by_role("button", name="Next division").click()
    _wait_for_url(page, "division=SOUTH")
    expect(cards.get_by_role("heading")).to_have_text("South Division")
    south = daily.action_lists(con, window, "SOUTH")
    expect(page.locator("[data-list-count='no_arrest']")).to_have_text(format_count(len(south["no_arrest"])))
    page.get_by_role("button", name="Next division").click()
    _wait_for_url(page, "division=NORTH")
    page.get_by_role("link", name="Leave the present view").click()
    page.wait_for_function("() => !window.location.search.includes('view=present')")
    expect(page.locator("nav[aria-label='Main']")).to_be_visible()


def test_a_bad_meeting_time_in_the_address_is_explained(page):
    page.goto("/daily?meeting=tomorrow-ish")
    expect(page.get_by_role("status").filter(has_text="Check the filters")).to_contain_text(
        "“tomorrow-ish” is not a meeting time")
    value = page.get_by_label("Meeting time").input_value()
    opened = datetime.fromisoformat(value)
    # the synthetic force ends with last month: its first working day after, at 08:00
    assert opened.time() == time(8, 0) and daily.is_working_day(opened.date()) and opened.date() > LAST_MONTH
    expect(page.locator("#daily-window")).to_contain_text(f"to the meeting at {format_datetime(opened, with_year=True)}")


def test_a_meeting_after_the_data_says_so_and_counts_nothing(page):
    page.goto("/daily?meeting=2099-01-06T08:00")
    expect(page.locator("#daily-window")).to_contain_text("No records cover this meeting")
    expect(page.locator("#daily-summary")).to_be_empty()
    expect(page.locator("[data-list-count]")).to_have_count(0)


# --- data quality and the audit log -----------------------------------------------------------------


def test_data_quality_page(page, con):
    page.goto(f"/data-quality?{QUERY}")
    counts = data_quality.orphan_counts(con).set_index("table_name")
    expect(page.locator("#data-quality-orphan-counts")).to_contain_text(
        f"arrests: {int(counts.loc['arrests', 'orphans']):,} of {int(counts.loc['arrests', 'with_incident_id']):,}")
    expect(page.locator("#data-quality-loads")).to_contain_text("synthetic test force")
    completeness = page.locator("#data-quality-completeness")
    expect(completeness).to_contain_text(f"{PERIOD[0]:%B %Y} to {PERIOD[1]:%B %Y}")
    screenshot(page, "data-quality")

    # The completeness table for the last month only, shown as a table with fields in words
    page.get_by_label("From (month)").select_option(f"{LAST_MONTH:%Y-%m}")
    _wait_for_url(page, f"from={LAST_MONTH:%Y-%m}")
    # The whole period's heading also ends in the last month, so wait for it to go: clicking the
    # disclosure before the section is redrawn would open the old one.
    expect(completeness).not_to_contain_text(f"{PERIOD[0]:%B %Y} to")
    expect(completeness).to_contain_text(f"{LAST_MONTH:%B %Y}")
    completeness.locator("summary").click()  # the table view is a <details> disclosure
    frame = data_quality.field_completeness(con, LAST_MONTH, PERIOD[1])
    north = frame[frame["division_code"] == "NORTH"]
    expect(completeness.get_by_role("gridcell", name="Victim's sex").first).to_be_visible()
    expect(completeness).to_contain_text(format_count(north["incidents"].iloc[0]))


def test_the_audit_log_reads_in_words(page):
    page.goto(f"/attrition?{QUERY}&division=SOUTH")  # opens a case list: an audited view
    expect(page.locator("#attrition-case-list")).to_contain_text("crimes")
    page.goto("/audit")
    assert _shown_choice(page, "Action") == "Any action"
    entries = page.locator("#audit-table")
    expect(entries.get_by_role("gridcell", name="Viewed").first).to_be_visible()
    expect(entries.get_by_role("gridcell", name="Chief officer").first).to_be_visible()
    expect(entries.get_by_text(re.compile("division: South Division")).first).to_be_visible()
    screenshot(page, "audit")


def test_the_operational_views_pass_axe(page):
    """axe on the views reached through these pages' controls (the nav pages are in test_accessibility)."""
    axe = Axe()
    problems = []
    for path in (f"/daily?meeting={MEETING}", f"/daily?meeting={MEETING}&division=SOUTH&view=present",
                 f"/attrition?{QUERY}&division=SOUTH&csp=E22000003", "/attrition?division=XYZ",
                 "/daily?meeting=2099-01-06T08:00"):
        page.goto(path)
        _settled(page)
        page.locator("main h1").first.wait_for()
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": [
            "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}, "resultTypes": ["violations"]})
        problems += [f"{path}: {v['id']} ({v['impact']}): {v['help']}" for v in results.response["violations"]
                     if v["impact"] in ("serious", "critical")]
    assert not problems, "\n".join(problems)

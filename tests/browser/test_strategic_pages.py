"""Journeys through the strategic pages as a user makes them, in headless Chromium.

Expected values come from ``metrics.compute.compute`` on the same database for the same filters (read from
the URL the page settles on), printed the way the page prints them (``app.figures.format_number``).
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect

from app.figures import format_number
from metrics.formatting import format_date, format_datetime
from metrics.compute import compute
from metrics.periods import month_end
from metrics.registry import INDICATORS, METRICS

from .conftest import screenshot

SMALL_CSP = ("E22000004", "Dunwick Isle")  # about one incident a month: its partnership view suppresses


def _period(url: str) -> tuple[date, date]:
    query = parse_qs(urlparse(url).query)
    start = date.fromisoformat(query["from"][0] + "-01")
    return start, month_end(date.fromisoformat(query["to"][0] + "-01"))


def _expected(db: Path, level: str, period: tuple[date, date], metric_id: str, unit_code: str | None = None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = compute(con, level, *period, metric_ids=[metric_id], breakdowns=False,
                        unit_codes=[unit_code] if unit_code else None)
    finally:
        con.close()
    return frame.iloc[0]


def _shown(metric_id: str, value) -> str:
    return format_number(float(value), percent=METRICS[metric_id].kind == "proportion")


def _as_a_partnership_sees_it(count: int) -> str:
    """A count as a partnership audience is shown it, the rules of metrics/suppression.py written out by
    hand: 1 to 4 hidden as "<5", zero shown, any other count rounded to the nearest multiple of 5 (halves
    up, though a whole number never falls on a half of 5: 5, 6, 7 show as 5, 8 to 12 as 10)."""
    if 1 <= count <= 4:
        return "<5"
    return f"{(count + 2) // 5 * 5:,}"


def test_the_partnership_rule_written_out_here():
    shown = [_as_a_partnership_sees_it(n) for n in (0, 1, 4, 5, 7, 8, 12, 13, 1802, 1803)]
    assert shown == ["0", "<5", "<5", "5", "5", "10", "10", "15", "1,800", "1,805"]


def _wait_for_url(page, pattern: str) -> None:
    page.wait_for_function("p => new RegExp(p).test(window.location.search)", arg=pattern)


def test_overview_tiles_follow_the_period_filter(page, dashboard_db):
    page.goto("/")
    tiles = page.locator(".tile")
    expect(tiles).to_have_count(len(INDICATORS))
    _wait_for_url(page, r"from=\d{4}-\d{2}&to=\d{4}-\d{2}")
    period = _period(page.url)
    for indicator in INDICATORS:
        row = _expected(dashboard_db, "force", period, indicator.headline)
        expect(page.locator(f".tile [data-metric='{indicator.headline}']")).to_have_text(_shown(indicator.headline, row["value"]))
    screenshot(page, "overview")

    # Narrow the period to its last three months: the URL and every tile follow.
    three_months_back = (pd.Timestamp(period[1]) - pd.DateOffset(months=2)).strftime("%Y-%m")
    page.get_by_label("From (month)").select_option(three_months_back)
    _wait_for_url(page, f"from={three_months_back}&to={period[1]:%Y-%m}")
    narrowed = _period(page.url)
    assert narrowed == (date.fromisoformat(three_months_back + "-01"), period[1])
    charge_rate = _shown("charge_rate", _expected(dashboard_db, "force", narrowed, "charge_rate")["value"])
    expect(page.locator(".tile [data-metric='charge_rate']")).to_have_text(charge_rate)
    row = _expected(dashboard_db, "force", narrowed, "incidents_per_1000")
    expect(page.locator(".tile [data-metric='incidents_per_1000']")).to_have_text(_shown("incidents_per_1000", row["value"]))

    # A bookmark of that URL opens the same view.
    page.goto(page.url)
    expect(page.get_by_label("From (month)")).to_have_value(three_months_back)
    expect(page.locator(".tile [data-metric='charge_rate']")).to_have_text(charge_rate)


def test_tile_detail_has_spc_chart_counting_rule_and_funnel(page, dashboard_db):
    # A year that spans the June 2023 counting-rules change (the synthetic force starts in May 2023).
    page.goto("/?from=2023-06&to=2024-05")
    page.get_by_role("link", name=re.compile("^Details: Incidents per 1,000")).click()
    _wait_for_url(page, "metric=incidents_per_1000")
    expect(page.get_by_role("heading", level=2, name="Incidents per 1,000 people aged 16+")).to_be_visible()

    page.get_by_label("Measure").select_option("crimes_per_1000")
    _wait_for_url(page, "metric=crimes_per_1000")
    expect(page.get_by_role("heading", level=2, name="Crimes per 1,000 people aged 16+")).to_be_visible()
    row = _expected(dashboard_db, "force", (date(2023, 6, 1), date(2024, 5, 31)), "crimes_per_1000")
    expect(page.locator(".metric-detail [data-metric='crimes_per_1000']")).to_have_text(_shown("crimes_per_1000", row["value"]))
    expect(page.get_by_text("statistical process control chart")).to_be_visible()
    expect(page.locator(".js-plotly-plot").first.get_by_text("June 2023 counting-rules change")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Funnel plot of Crimes per 1,000"))).to_be_visible()
    expect(page.get_by_role("heading", name="Definition")).to_be_visible()
    definition = page.locator(".metric-detail dl")
    expect(definition).to_contain_text("Domestic abuse crimes recorded in the period.")
    expect(definition).to_contain_text("Office for National Statistics, Domestic abuse and the criminal justice system")
    expect(definition).not_to_contain_text("_")  # no field name

    # The table view of the funnel lists each division with its position.
    detail = page.locator(".metric-detail")
    detail.get_by_text(re.compile("^Table view: Crimes per 1,000 .* funnel position")).click()
    expect(detail.get_by_text("Position on the funnel")).to_be_visible()
    expect(detail.get_by_text("North Division").last).to_be_visible()
    screenshot(page, "overview-detail")

    # A proportion with breakdowns: choose another breakdown and the chart follows.
    page.get_by_label("Measure").select_option("crime_conversion_rate")
    _wait_for_url(page, "metric=crime_conversion_rate")
    breakdown = page.get_by_label("Break down by")
    expect(breakdown.locator("option[value='relationship']")).to_have_text("Relationship to the suspect")
    expect(page.locator(".metric-detail .js-plotly-plot").nth(1).get_by_text("Former partner")).to_be_visible()
    breakdown.select_option(label="Victim's sex")
    expect(page.get_by_text(re.compile(r"^Bar chart of Incidents recorded as crimes by victim's sex"))).to_be_visible()
    expect(page.locator(".metric-detail .js-plotly-plot").nth(1).get_by_text("Not known")).to_be_visible()


def test_back_from_a_measure_returns_to_the_tiles_and_their_address(page):
    """The header's force control follows the address on Back while the detail view's controls are still
    in place; only controls that changed write the address, so the measure does not come back into it."""
    page.goto("/")
    _wait_for_url(page, "from=")
    page.get_by_role("link", name=re.compile("^Details: Charged or summonsed")).click()
    _wait_for_url(page, "metric=charge_rate")
    expect(page.get_by_label("Measure")).to_have_value("charge_rate")  # the detail view and its controls are in place
    page.go_back()
    expect(page.locator(".tile")).to_have_count(len(INDICATORS))
    page.wait_for_timeout(500)  # any late write to the address would land by now
    assert "metric=" not in page.url


def test_division_page_lists_its_partnerships(page, dashboard_db):
    page.goto("/division")
    page.get_by_label("Division").select_option("SOUTH")
    _wait_for_url(page, "division=SOUTH")
    expect(page.get_by_role("heading", name="Partnerships in South Division")).to_be_visible()
    grid = page.locator(".data-table").last
    expect(grid.get_by_text("Castleton")).to_be_visible()
    expect(grid.get_by_text("Dunwick Isle")).to_be_visible()
    period = _period(page.url)
    row = _expected(dashboard_db, "division", period, "charge_rate", "SOUTH")
    expect(page.locator(".tile [data-metric='charge_rate']")).to_have_text(_shown("charge_rate", row["value"]))
    # Two divisions: the rest of the force is the other one.
    north = _expected(dashboard_db, "division", period, "charge_rate", "NORTH")
    expect(page.locator(".tile").nth(4).locator(".rest-of-force")).to_contain_text(
        f"Rest of the force: {_shown('charge_rate', north['value'])}")
    screenshot(page, "division")


def _reporting_period(key: str) -> tuple[date, date]:
    """A financial year's key (``2025-26``) as its first and last day."""
    start = date(int(key[:4]), 4, 1)
    return start, date(start.year + 1, 3, 31)


def test_partnership_suppresses_and_downloads_the_scrutiny_pack(page, dashboard_db, tmp_path):
    page.goto("/partnership")
    expect(page.get_by_text("Choose a community safety partnership")).to_be_visible()
    # Nothing chosen yet: the box says what to choose (it does not start blank); the period is fixed.
    partnership = page.get_by_label("Community safety partnership")
    expect(partnership.locator("option:checked")).to_have_text("Choose a partnership")
    key = page.get_by_label("Reporting period").input_value()
    expect(page.get_by_label("Reporting period").locator("option:checked")).to_have_text(
        f"Financial year {key[:4]} to {int(key[:4]) + 1}")
    partnership.select_option(SMALL_CSP[0])
    _wait_for_url(page, f"csp={SMALL_CSP[0]}")
    key_grid = page.locator(".data-table").first
    expect(key_grid.get_by_text("<5", exact=True).first).to_be_visible()
    # The island has 3 incidents in any 12 months (tests/conftest.py): shown as <5, beside the force's count.
    period = _reporting_period(key)
    incidents = _expected(dashboard_db, "csp", period, "incidents", SMALL_CSP[0])
    assert incidents["value"] == 3
    # The force's count as a partnership audience sees it (suppression rounds counts for them).
    force_count = int(_expected(dashboard_db, "force", period, "incidents")["value"])
    assert force_count > 4  # a year of the whole force: rounded, not hidden
    force_shown = _as_a_partnership_sees_it(force_count)
    expect(key_grid.locator(".ag-row").first).to_contain_text("<5")
    expect(key_grid.locator(".ag-row").first).to_contain_text(force_shown)
    screenshot(page, "partnership")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the workbook (Excel)").click()
    workbook_path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(workbook_path)
    assert workbook_path.name == f"scrutiny-pack-dunwick-isle-{key}.xlsx"  # named by the partnership, not its code
    book = openpyxl.load_workbook(workbook_path, read_only=True)
    assert book.sheetnames[0] == "Summary" and book.sheetnames[-1] == "Definitions"
    assert {f"{i.number} {i.title}".replace("'", "")[:31] for i in INDICATORS} <= set(book.sheetnames)
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "<5" in cells
    assert f"Scrutiny pack: {SMALL_CSP[1]}" in cells
    assert any(isinstance(c, (int, float)) and not isinstance(c, bool) for c in cells)  # numbers as numbers

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the printable report (HTML)").click()
    report = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "<script" not in report
    assert "&lt;5" in report and "<svg" in report

    with page.expect_download() as download_info:
        key_grid.get_by_role("button", name="Download CSV").click()
    csv = pd.read_csv(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8-sig")), dtype=str)
    assert list(csv.columns) == ["Measure", "Partnership", "Cases", "Force", "Most similar group",
                                 "England and Wales", "Reference"]
    incidents_row = csv[csv["Measure"] == "Domestic abuse incidents"].iloc[0]
    assert (incidents_row["Partnership"], incidents_row["Cases"]) == ("<5", "<5")
    assert incidents_row["Force"] == force_shown


def test_definitions_page_lists_every_metric(page):
    page.goto("/definitions")
    expect(page.get_by_role("heading", level=1, name="Definitions")).to_be_visible()
    for metric in METRICS.values():
        expect(page.locator(f"#metric-{metric.id}")).to_have_count(1)
    expect(page.get_by_role("heading", name="Not yet measured")).to_be_visible()
    screenshot(page, "definitions")


def _settled(page) -> None:
    """Wait until every callback the last action set off has answered (Dash chains callbacks, each a
    request, so wait for a short quiet spell with none in flight)."""
    quiet = 0
    for _ in range(300):  # 30 s at most
        if quiet == 3:
            return
        page.wait_for_timeout(100)
        busy = page.evaluate("() => (window.__dashPending || 0) +"
                             " document.querySelectorAll('[data-dash-is-loading=\"true\"]').length")
        quiet = 0 if busy else quiet + 1
    raise AssertionError("the page was still asking the server after 30 s")


_COUNT_DASH_REQUESTS = """() => {
  if (window.__dashCounting) return;
  window.__dashCounting = true; window.__dashPending = 0; window.__dashSent = 0;
  const send = window.fetch;
  window.fetch = (...args) => {
    const counted = String(args[0].url || args[0]).includes('_dash-update-component');
    if (!counted) return send(...args);
    window.__dashPending += 1; window.__dashSent += 1;
    return send(...args).finally(() => { window.__dashPending -= 1; });
  };
}"""


def _cache_figures() -> tuple[int, int]:
    from app import data

    infos = [fn.cache_info() for fn in data._cached_functions]
    return sum(i.hits for i in infos), sum(i.misses for i in infos)


@pytest.mark.parametrize(("path", "control"), [("/", "From (month)"), ("/division", "From (month)"),
                                               ("/partnership?csp=E22000001", "Reporting period")])
def test_a_question_asked_again_is_answered_from_the_cache(page, path, control):
    """A change of period that has been asked before works nothing out again: every cached answer it needs
    is found, none is missed. (How fast that is, is measured by ``make bench``, not here.)"""
    page.goto(path)
    _wait_for_url(page, "from=" if control.startswith("From") else "period=")
    page.evaluate(_COUNT_DASH_REQUESTS)
    select = page.get_by_label(control)
    original = select.input_value()
    assert len(select.locator("option").all_inner_texts()) > 1
    # Ask both periods, then both again, so that nothing still answering from the first asking can be
    # counted against the repeat.
    for option in ({"index": 1}, {"value": original}, {"index": 1}, {"value": original}):
        select.select_option(**option)
        _settled(page)
    hits, misses = _cache_figures()
    sent = page.evaluate("() => window.__dashSent")
    select.select_option(index=1)
    _settled(page)
    after_hits, after_misses = _cache_figures()
    assert page.evaluate("() => window.__dashSent") > sent  # the change was asked of the server
    assert after_misses == misses, "a question asked before was worked out again"
    assert after_hits > hits


# --- the shell, and honest states --------------------------------------------------------------------

def _data_span(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT data_first_day, data_last_day, data_loaded_at FROM mart_build").fetchall()[0]
    finally:
        con.close()


def test_every_page_header_says_how_fresh_the_data_are(page, dashboard_db):
    _, last_day, loaded_at = _data_span(dashboard_db)
    expected = f"Data loaded {format_datetime(loaded_at, with_year=True)}; records up to {format_date(last_day)}."
    for path in ("/", "/division", "/definitions"):
        page.goto(path)
        expect(page.locator("header")).to_contain_text(expected)


def test_a_period_with_no_data_says_so_and_shows_no_figures(page, dashboard_db):
    first_day, last_day, _ = _data_span(dashboard_db)
    page.goto("/?from=2099-01&to=2099-03")
    notice = page.get_by_role("status").filter(has_text="No data for January 2099 to March 2099")
    expect(notice).to_contain_text(f"the data run from {format_date(first_day)} to {format_date(last_day)}")
    expect(page.locator(".tile")).to_have_count(0)
    expect(page.locator("main .badge")).to_have_count(0)
    expect(page.get_by_label("From (month)")).to_have_value("2099-01")
    expect(page.get_by_label("From (month)").locator("option:checked")).to_have_text("Jan 2099 (no data)")
    # Choosing months with data brings the figures back, and the notice goes.
    last_month = f"{last_day:%Y-%m}" if last_day == month_end(last_day) else \
        f"{(pd.Timestamp(last_day) - pd.DateOffset(months=1)):%Y-%m}"
    page.get_by_label("To (month, inclusive)").select_option(last_month)
    expect(page.get_by_role("status").filter(has_text="starts in January 2099")).to_be_visible()  # after its end
    page.get_by_label("From (month)").select_option(last_month)
    expect(page.locator(".tile")).to_have_count(len(INDICATORS))
    expect(page.get_by_text("No data for")).to_have_count(0)


def test_a_bad_address_value_shows_a_message_and_the_controls_show_the_fallback(page):
    page.goto("/division?division=XYZ&from=2024-13")
    message = page.get_by_role("status").filter(has_text="Check the filters.")
    expect(message).to_contain_text("“2024-13” is not a month (use YYYY-MM)")
    expect(message).to_contain_text("There is no division “XYZ” in this data: showing North Division instead.")
    expect(page.get_by_label("Division")).to_have_value("NORTH")
    expect(page.get_by_role("heading", name="Partnerships in North Division")).to_be_visible()
    _wait_for_url(page, "division=NORTH")  # the address now says what is shown
    assert "XYZ" not in page.url and "2024-13" not in page.url


def test_a_reversed_period_chosen_in_the_controls_is_refused_with_a_message(page):
    page.goto("/")
    expect(page.locator(".tile")).to_have_count(len(INDICATORS))
    from_month = page.get_by_label("From (month)").input_value()
    earlier = (pd.Timestamp(from_month + "-01") - pd.DateOffset(months=3)).strftime("%Y-%m")
    page.get_by_label("To (month, inclusive)").select_option(earlier)
    expect(page.get_by_role("status")).to_contain_text("choose a “To” month on or after the “From” month")
    expect(page.locator(".tile")).to_have_count(0)


def test_an_unknown_page_answers_404(browser, dashboard_url):
    context = browser.new_context(base_url=dashboard_url)
    try:
        tab = context.new_page()
        response = tab.goto("/no-such-page")
        assert response is not None and response.status == 404
        expect(tab.get_by_role("heading", level=1)).to_have_text("Page not found")
        tab.get_by_role("link", name="Go to the force overview").click()
        expect(tab.get_by_role("heading", level=1, name="Force overview")).to_be_visible()
    finally:
        context.close()


def test_each_tile_says_why_its_badge_and_chart_differ(page):
    """Where the period test says "no significant change" but the monthly chart flags special-cause months
    of the period (or the reverse), the tile explains the difference; otherwise it needs no explanation."""
    checked = 0  # tiles with a badge, whose badge and chart were set side by side
    for path in ("/", "/division?division=NORTH", "/division?division=SOUTH"):
        page.goto(path)
        tiles = page.locator(".tile")
        expect(tiles).to_have_count(len(INDICATORS))
        for index in range(len(INDICATORS)):
            tile = tiles.nth(index)
            if tile.locator(".tile-badge").count() == 0:  # no comparison: nothing to disagree with
                expect(tile.locator(".tile-disagreement")).to_have_count(0)
                continue
            badge = tile.locator(".tile-badge").inner_text().strip().lower()
            flagged = "special cause in" in tile.locator(".tile-signal").inner_text()
            differ = (badge == "no significant change") == flagged
            expect(tile.locator(".tile-disagreement")).to_have_count(1 if differ else 0)
            expect(tile).not_to_contain_text("-0.0")
            checked += 1
    assert checked >= 1  # at least one tile had a badge to set against its chart


@pytest.fixture(scope="module")
def partial_month_url(dashboard_db, tmp_path_factory):
    """A second dashboard, in its own process (the app's database is a process-wide setting), on a copy of
    the database whose data begin 20 days into their first month."""
    from .conftest import with_partial_first_month

    db = with_partial_first_month(dashboard_db, tmp_path_factory.mktemp("partial") / "force.duckdb")
    code = ("import logging, sys\n"
            "from werkzeug.serving import make_server\n"
            "from app.server import create_app\n"
            "logging.getLogger('werkzeug').setLevel(logging.WARNING)\n"
            "server = make_server('127.0.0.1', 0, create_app(sys.argv[1], demo=True).server, threaded=True)\n"
            "print(server.server_port, flush=True)\n"
            "server.serve_forever()\n")
    process = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parents[2])
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}", db
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_the_part_month_is_marked_and_left_out_of_the_limits(browser, partial_month_url):
    url, db = partial_month_url
    first_day, _, _ = _data_span(db)
    start = first_day.replace(day=1)
    end = (pd.Timestamp(start) + pd.DateOffset(months=11)).strftime("%Y-%m")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=url)
    try:
        tab = context.new_page()
        tab.goto(f"/?from={start:%Y-%m}&to={end}&metric=incidents")
        chart = tab.locator(".metric-detail figure").first
        expect(chart.get_by_text("Part month (left out of the limits)")).to_be_visible()
        expect(chart.locator("figcaption")).to_contain_text(
            f"{start:%B %Y} is a part month (data for only some of the days): marked with an open circle and "
            "left out of the control limits.")
        tab.get_by_text(re.compile("^Table view: Domestic abuse incidents by month")).click()
        first_row = tab.locator(".metric-detail .data-table").first.locator(".ag-row[row-index='0']").first
        expect(first_row).to_contain_text(f"{start:%B %Y}")
        expect(first_row).to_contain_text("Part month: not assessed")
        expect(tab.get_by_role("status").filter(has_text=f"Only part of {start:%B %Y}")).to_be_visible()
    finally:
        context.close()

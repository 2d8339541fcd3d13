"""Journeys through the strategic pages as a user makes them, in headless Chromium.

Expected values come from ``metrics.compute.compute`` on the same database for the same filters (read from
the URL the page settles on), printed the way the page prints them (``app.figures.format_number``).
"""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect

from app.figures import format_number
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
    expect(page.get_by_text("crime_recorded_at", exact=True)).to_be_visible()

    # The table view of the funnel lists each division with its position.
    detail = page.locator(".metric-detail")
    detail.get_by_text(re.compile("^Table view: Crimes per 1,000 .* funnel position")).click()
    expect(detail.get_by_text("Position on the funnel")).to_be_visible()
    expect(detail.get_by_text("North Division").last).to_be_visible()
    screenshot(page, "overview-detail")

    # A proportion with breakdowns: choose another breakdown and the chart follows.
    page.get_by_label("Measure").select_option("crime_conversion_rate")
    _wait_for_url(page, "metric=crime_conversion_rate")
    page.get_by_label("Break down by").select_option("victim_sex")
    expect(page.get_by_text(re.compile(r"^Bar chart of Incidents recorded as crimes by victim sex"))).to_be_visible()


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
        f"Rest of force: {_shown('charge_rate', north['value'])}")
    screenshot(page, "division")


def test_partnership_suppresses_and_downloads_the_scrutiny_pack(page, dashboard_db, tmp_path):
    page.goto("/partnership")
    expect(page.get_by_text("Choose a community safety partnership")).to_be_visible()
    page.get_by_label("Community safety partnership").select_option(SMALL_CSP[0])
    _wait_for_url(page, f"csp={SMALL_CSP[0]}")
    key_grid = page.locator(".data-table").first
    expect(key_grid.get_by_text("<5", exact=True).first).to_be_visible()
    # The island has 3 incidents in any 12 months (tests/conftest.py): shown as <5, beside the force's count.
    period = _period(page.url)
    incidents = _expected(dashboard_db, "csp", period, "incidents", SMALL_CSP[0])
    assert incidents["value"] == 3
    force_incidents = _expected(dashboard_db, "force", period, "incidents")
    expect(key_grid.locator(".ag-row").first).to_contain_text("<5")
    expect(key_grid.locator(".ag-row").first).to_contain_text(f"{int(force_incidents['value']):,}")
    screenshot(page, "partnership")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the workbook (Excel)").click()
    workbook_path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(workbook_path)
    assert workbook_path.name == f"scrutiny-pack-{SMALL_CSP[0]}-{period[0]:%Y-%m}-to-{period[1]:%Y-%m}.xlsx"
    book = openpyxl.load_workbook(workbook_path, read_only=True)
    assert book.sheetnames[0] == "Summary" and book.sheetnames[-1] == "Definitions"
    assert {f"{i.number} {i.title}".replace("'", "")[:31] for i in INDICATORS} <= set(book.sheetnames)
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "<5" in cells
    assert f"Scrutiny pack: {SMALL_CSP[1]} ({SMALL_CSP[0]})" in cells

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the printable report (HTML)").click()
    report = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "<script" not in report
    assert "&lt;5" in report and "<svg" in report

    with page.expect_download() as download_info:
        key_grid.get_by_role("button", name="Download CSV").click()
    csv = pd.read_csv(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8-sig")), dtype=str)
    assert list(csv.columns) == ["Measure", "Partnership", "Cases", "Force", "Reference"]
    incidents_row = csv[csv["Measure"] == "Domestic abuse incidents"].iloc[0]
    assert (incidents_row["Partnership"], incidents_row["Cases"]) == ("<5", "<5")
    assert incidents_row["Force"] == f"{int(force_incidents['value']):,}"


def test_definitions_page_lists_every_metric(page):
    page.goto("/definitions")
    expect(page.get_by_role("heading", level=1, name="Definitions")).to_be_visible()
    for metric in METRICS.values():
        expect(page.locator(f"#metric-{metric.id}")).to_have_count(1)
    expect(page.get_by_role("heading", name="Not yet measured")).to_be_visible()
    screenshot(page, "definitions")


@pytest.mark.parametrize("path", ["/", "/division", "/partnership?csp=E22000001"])
def test_filter_change_is_quick(page, path):
    """A change of period answers well inside a second once the question has been asked before."""
    page.goto(path)
    _wait_for_url(page, "from=")
    select = page.get_by_label("From (month)")
    original = select.input_value()
    options = select.locator("option").all_inner_texts()
    assert len(options) > 1
    select.select_option(index=1)
    page.wait_for_load_state("networkidle")
    select.select_option(original)
    with page.expect_response(lambda r: "_dash-update-component" in r.url) as response_info:
        select.select_option(index=1)
    timing = response_info.value.request.timing
    assert timing["responseEnd"] - timing["requestStart"] < 500

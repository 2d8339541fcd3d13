"""How do we compare, over HTTP: the tiles' comparator lines, the detail view's "Forces compared", the
/compare page (and its refusal for a partnership member), and the force selector.

The database is the synthetic force among made-up figures for the 43 police force areas
(tests/comparator_fixtures.py); the expected values are worked out here with ``metrics.comparators`` on a
connection of its own, and read back from what the pages send.
"""
from __future__ import annotations

import json
from datetime import date

import pytest

from app import ids
from daperf.db import connect_readonly
from metrics import comparators
from metrics.formatting import format_period, format_value
from metrics.periods import add_months, default_period, month_end, previous_period, whole_months
from metrics.registry import HEADLINE_IDS, INDICATORS, METRICS
from tests.comparator_fixtures import PEERS, build_force_with_comparators
from tests.conftest import FORCE
from tests.dash_requests import components, grid_rows, open_route, post_callback
from tests.serving import PAGE_USERS, signed_in_client

PERIOD = default_period(date.today())  # the data end with last month: the overview's opening view


@pytest.fixture(scope="module")
def compare_db(synthetic_force_db, tmp_path_factory):
    return build_force_with_comparators(synthetic_force_db, tmp_path_factory.mktemp("compare") / "force.duckdb", FORCE)


@pytest.fixture(scope="module")
def client(compare_db, tmp_path_factory):
    yield from signed_in_client(compare_db, tmp_path_factory.mktemp("compare-auth"), PAGE_USERS)


@pytest.fixture(scope="module")
def expected(compare_db):
    """The comparisons worked out straight from the metrics layer."""
    con = connect_readonly(compare_db)
    try:
        frame = comparators.figures(con, *PERIOD, HEADLINE_IDS)
        group = comparators.most_similar_group(con, FORCE)
        yield {metric_id: comparators.compare(frame, metric_id, FORCE, *PERIOD, group=group)
               for metric_id in HEADLINE_IDS}
    finally:
        con.close()


def _text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.dumps(response.get_json())


def test_the_tiles_show_the_force_beside_its_group_and_england_and_wales(client, expected):
    payload = open_route(client, "chief", "/", f"?from={PERIOD[0]:%Y-%m}&to={PERIOD[1]:%Y-%m}").get_json()
    lines = [c for c in components(payload) if c["props"].get("className") == "small mb-0 tile-comparators"]
    assert len(lines) == len(INDICATORS)
    text = json.dumps(lines)
    for metric_id in HEADLINE_IDS:
        result = expected[metric_id]
        metric = METRICS[metric_id]
        assert result.msg is not None and set(result.msg.forces) == set(PEERS)
        assert format_value(metric, result.england_wales.value) in text
        assert format_value(metric, result.msg.value) in text
    standing = json.dumps([c for c in components(payload) if c["props"].get("className") == "small mb-1 tile-standing"])
    assert comparators.rank_text(expected["charge_rate"]) in standing
    assert "of 44 forces" in standing  # the 43 police force areas and the synthetic force


def test_the_detail_view_compares_every_force(client, expected):
    search = f"?from={PERIOD[0]:%Y-%m}&to={PERIOD[1]:%Y-%m}&metric=charge_rate"
    payload = open_route(client, "chief", "/", search).get_json()
    text = json.dumps(payload)
    assert "Forces compared" in text
    result = expected["charge_rate"]
    rows = grid_rows(payload, "overview-ski-slope-table")
    assert len(rows) == result.ranked == 44
    ours = next(r for r in rows if r["Most similar group"] == "This force")
    assert ours["Value"] == format_value(METRICS["charge_rate"], result.value) and ours["Rank"] == result.rank
    assert sum(r["Most similar group"] == "Yes" for r in rows) == len(PEERS)
    # The ski slope: the force and its group in traces of their own.
    graphs = [c for c in components(payload) if c.get("type") == "Graph"]
    slope = next(g for g in graphs if "every force, highest first" in json.dumps(g["props"]["figure"]["layout"]))
    names = [trace["name"] for trace in slope["props"]["figure"]["data"]]
    assert "Most similar group" in names and "Other forces" in names and len(names) == 3
    assert "illustrative" in text  # the group is not HMICFRS's


def test_a_division_is_set_among_the_forces(client):
    payload = open_route(client, "chief", "/division", f"?division=NORTH&from={PERIOD[0]:%Y-%m}&to={PERIOD[1]:%Y-%m}")
    text = json.dumps(payload.get_json())
    assert "Would be " in text and "among 44 forces" in text


def test_a_period_without_comparators_is_compared_over_the_latest_held(client, compare_db):
    # Three months that no comparator figures are held for (not a financial quarter, which is held): the
    # latest held 3 months (a quarter) stand in.
    start = add_months(PERIOD[1], -2)  # the three months ending with the data's last month
    if (start.month - 1) % 3 == 0:  # a quarter (April, July, October, January): one month earlier
        start = add_months(start, -1)
    end = month_end(add_months(start, 2))
    assert (start.month - 1) % 3 != 0 and whole_months(start, end) == 3
    con = connect_readonly(compare_db)
    try:
        held = comparators.comparison_period(con, FORCE, start, end)
    finally:
        con.close()
    assert held is not None and held != (start, end)
    payload = open_route(client, "chief", "/", f"?from={start:%Y-%m}&to={end:%Y-%m}").get_json()
    text = json.dumps(payload)
    assert "the latest period with every force's figures" in text
    assert f"Compared over {format_period(*held)}" in text


def test_the_compare_page_lists_the_nine_indicators(client, expected):
    payload = open_route(client, "chief", "/compare").get_json()
    rows = grid_rows(payload, ids.page_id("compare", "standings"))
    assert [r["Indicator"] for r in rows] == [f"{i.number}. {i.title}" for i in INDICATORS]
    for row, indicator in zip(rows, INDICATORS):
        result = expected[indicator.headline]
        metric = METRICS[indicator.headline]
        assert row["This force"] == format_value(metric, result.value)
        assert row["Most similar group"] == format_value(metric, result.msg.value)
        assert row["England and Wales"] == format_value(metric, result.england_wales.value)
        assert row["Rank"] == comparators.rank_text(result)
        assert row["Rank a year before"] != "No figures held"  # the year before is held too


def test_the_compare_page_period_callback(client, expected):
    before = previous_period(*PERIOD)
    key = f"{before[0]:%Y-%m}:{before[1]:%Y-%m}"
    response = post_callback(client, "chief", [(ids.page_id("compare", "content"), "children")],
                             [{"id": ids.filter_id("compare", "period"), "property": "value", "value": key}],
                             [{"id": ids.filter_id("shell", "force"), "property": "value", "value": ""}])
    text = _text(response)
    assert "The nine indicators" in text and f"{before[1]:%B %Y}" in text


def test_the_compare_page_is_refused_to_a_partnership_member(client):
    page = open_route(client, "ashford_partnership", "/compare")
    assert page.status_code == 200 and "Not available to you" in page.get_data(as_text=True)
    assert "standings" not in page.get_data(as_text=True)
    response = post_callback(client, "ashford_partnership", [(ids.page_id("compare", "content"), "children")],
                             [{"id": ids.filter_id("compare", "period"), "property": "value", "value": None}],
                             [{"id": ids.filter_id("shell", "force"), "property": "value", "value": ""}])
    assert "Not available to you" in response.get_data(as_text=True)
    assert "England and Wales" not in response.get_data(as_text=True)
    # A division lead sees force-wide comparisons.
    assert "Not available to you" not in open_route(client, "north_lead", "/compare").get_data(as_text=True)


# --- the partnership page and the scrutiny pack, beside the force and England and Wales ------------

def _year(con) -> tuple[str, date, date]:
    from metrics.periods import reporting_periods

    ((first, last),) = con.execute("SELECT data_first_day, data_last_day FROM mart_build").fetchall()
    return next(p for p in reporting_periods(first, last) if "-Q" not in p[0])


def test_the_partnership_page_sets_every_rate_beside_the_force_and_england_and_wales(client, compare_db):
    con = connect_readonly(compare_db)
    try:
        key, year_from, year_to = _year(con)
        frame = comparators.figures(con, year_from, year_to)
        expected = comparators.compare(frame, "charge_rate", FORCE, year_from, year_to)
    finally:
        con.close()
    payload = open_route(client, "chief", "/partnership", f"?period={key}&csp=E22000001").get_json()
    key_rows = {r["Measure"]: r for r in grid_rows(payload, "partnership-key")}
    assert key_rows["Charged or summonsed"]["England and Wales"] == format_value(METRICS["charge_rate"],
                                                                                 expected.england_wales.value)
    assert key_rows["Domestic abuse incidents"]["England and Wales"] == "–"  # a count is not compared
    # Every measure the pack carries is on the page: arrest, charge and outcome 16 among them.
    shown = set(key_rows)
    for indicator in INDICATORS:
        shown |= {r["Measure"] for r in grid_rows(payload, f"partnership-indicator-{indicator.number}")}
    assert {METRICS[m].name for m in METRICS if any(m in i.metric_ids for i in INDICATORS)} <= shown
    assert {"Arrest where a power of arrest existed", "Charged or summonsed",
            "Victim does not support action (outcome 16)"} <= set(key_rows)


def test_the_partnership_page_offers_fixed_reporting_periods_only(client, compare_db):
    con = connect_readonly(compare_db)
    try:
        key = _year(con)[0]
    finally:
        con.close()
    payload = open_route(client, "chief", "/partnership", f"?from={PERIOD[0]:%Y-%m}&to={PERIOD[1]:%Y-%m}&csp=E22000001")
    text = json.dumps(payload.get_json(), ensure_ascii=False)
    assert "whole financial years and their quarters only" in text
    period_control = next(c for c in components(payload.get_json())
                          if c["props"].get("id") == ids.filter_id("partnership", "period"))
    assert period_control["props"]["value"] == key
    assert all(o["label"].startswith("Financial year") or " to " in o["label"]
               for o in period_control["props"]["options"])
    csp_control = next(c for c in components(open_route(client, "chief", "/partnership").get_json())
                       if c["props"].get("id") == ids.filter_id("partnership", "csp"))
    # Nothing chosen: the box says what to do, rather than starting blank.
    assert csp_control["props"]["placeholder"] == "Choose a partnership" and csp_control["props"]["value"] == ""
    assert csp_control["props"]["options"][0] == {"label": "Choose a partnership", "value": ""}


def test_the_pack_stores_numbers_as_numbers_with_charts_for_every_key_measure(compare_db):
    import io
    import zipfile

    import openpyxl

    from app import scrutiny_pack

    con = connect_readonly(compare_db)
    try:
        key, year_from, year_to = _year(con)
        pack = scrutiny_pack.build_pack(con, "E22000001", year_from, year_to)
        report = scrutiny_pack.html_report(pack)
    finally:
        con.close()
    workbook = scrutiny_pack.excel_bytes(pack)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook))["Summary"]
    rows = list(sheet.iter_rows(values_only=False))
    header = next(i for i, r in enumerate(rows) if r[0].value == "Measure")
    columns = [c.value for c in rows[header]]
    by_measure = {r[0].value: dict(zip(columns, r)) for r in rows[header + 1:] if r[0].value}
    charge = by_measure["Charged or summonsed"]
    for column in ("Force", "England and Wales", "Most similar group"):
        assert isinstance(charge[column].value, float) and charge[column].number_format == "0.0%", column
    incidents = by_measure["Domestic abuse incidents"]
    assert isinstance(incidents["Force"].value, int | float) and incidents["Force"].number_format == "#,##0"
    assert isinstance(incidents["Numerator"].value, int | float)
    rate = by_measure["Incidents per 1,000 people aged 16+"]
    assert rate["Force"].number_format == "#,##0.0" and rate["Denominator"].number_format == "#,##0"
    # Charts: a trend per key measure, and every force for each key rate or share.
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == len(scrutiny_pack.SUMMARY_METRICS) + len(pack.comparisons)
    assert len(pack.comparisons) == len([m for m in scrutiny_pack.SUMMARY_METRICS if m in comparators.COMPARABLE_IDS])
    # The printable report: a picture per key measure (trend, and every force for rates), no script.
    assert report.count("every force, highest first") == len(pack.comparisons)
    assert report.count(" by quarter</text>") == len(scrutiny_pack.SUMMARY_METRICS)
    assert "<script" not in report and scrutiny_pack.file_stem(pack) == f"scrutiny-pack-ashford-vale-{key}"

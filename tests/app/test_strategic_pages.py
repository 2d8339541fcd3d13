"""The strategic pages over HTTP (Flask test client), their building blocks, and the scrutiny pack.

Signed in through the proxy mode (a trusted address sends the user name; role and units come from the
users file), so each request can be a different principal.
"""
from __future__ import annotations

import io
import json
import shutil
from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest

from app import data, figures, ids
from tests.dash_requests import open_route, post_callback
from app.components import FilterState, dom_id
from daperf.db import atomic_write
from etl.marts import build_marts
from metrics.comparison import rest_text
from metrics.compute import compute
from metrics.registry import INDICATORS, METRICS, NOT_YET_MEASURED

LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
FIRST_MONTH = (LAST_MONTH.replace(day=1) - pd.DateOffset(months=11)).date()
FROM, TO = f"{FIRST_MONTH:%Y-%m}", f"{LAST_MONTH:%Y-%m}"
PERIOD = (FIRST_MONTH, date.today().replace(day=1) - timedelta(days=1))
TINY_CSP = "E22000004"  # 3 incidents in any 12 whole months (tests/conftest.py)


def filter_input(page: str, name: str, value) -> dict:
    return {"id": ids.filter_id(page, name), "property": "value", "value": value}


def call(client, user: str, output: tuple[str, str], inputs: list[dict], state: list[dict] | None = None,
         outputs: list[tuple[str, str]] | None = None):
    return post_callback(client, user, outputs or [output], inputs, state)


# --- filters in the URL -----------------------------------------------------------------------

def test_filter_state_reads_and_writes_the_query_string(client):
    state = FilterState.from_query({"from": "2024-01", "to": "2024-03", "division": "NORTH", "csp": ""})
    # 2024 is a leap year: March ends on the 31st, February is not involved in the end date.
    assert (state.period_from, state.period_to) == (date(2024, 1, 1), date(2024, 3, 31))
    assert state.division == "NORTH" and state.csp is None
    assert state.query_string() == "?from=2024-01&to=2024-03&division=NORTH"
    assert state.months == 3
    assert state.notices == ()
    # A reversed range is not guessed at: the default period, and the page says why.
    reversed_state = FilterState.from_query({"from": "2024-03", "to": "2024-01"})
    assert (reversed_state.period_from, reversed_state.period_to) == PERIOD
    assert "started (March 2024) after it ended (January 2024)" in reversed_state.notices[0]
    # Nonsense falls back to the default (the 12 whole months ending last month, where the data end),
    # visibly: month 13, a word, an unknown division, partnership and measure each get a notice.
    fallback = FilterState.from_query({"from": "2024-13", "to": "soon", "division": "XYZ", "csp": "NOPE",
                                       "metric": "m7"})
    assert (fallback.period_from, fallback.period_to) == PERIOD
    assert (fallback.division, fallback.csp, fallback.metric) == (None, None, None)
    assert len(fallback.notices) == 5
    assert any("“XYZ”" in notice for notice in fallback.notices)


def test_dom_id_matches_dash_for_pattern_matching_ids():
    # Dash writes a dict id as JSON with sorted keys and no spaces.
    assert dom_id(ids.filter_id("overview", "from")) == '{"name":"from","page":"overview","type":"filter"}'
    assert dom_id("plain") == "plain"


# --- pages and callbacks ----------------------------------------------------------------------

def test_shell_has_landmarks_nav_and_language(client):
    html = client.get("/", headers={"X-Forwarded-User": "chief", "Accept": "text/html"}).get_data(as_text=True)
    assert '<html lang="en-GB">' in html
    layout = json.dumps(client.get("/_dash-layout", headers={"X-Forwarded-User": "chief"}).get_json())
    for landmark in ('"Header"', '"Main"', '"Footer"', "Skip to main content"):
        assert landmark in layout
    for path in ("/", "/division", "/partnership", "/definitions"):
        assert f'"href": "{path}"' in layout


def test_overview_tiles_show_the_metrics_layer_values(client, con):
    response = open_route(client, "chief", "/", f"?from={FROM}&to={TO}")
    assert response.status_code == 200
    text = json.dumps(response.get_json())
    expected = compute(con, "force", *PERIOD, metric_ids=[i.headline for i in INDICATORS], breakdowns=False)
    for indicator in INDICATORS:
        assert f"{indicator.number}. {indicator.title}" in text
        row = expected[expected["metric_id"] == indicator.headline].iloc[0]
        shown = figures.format_number(float(row["value"]), percent=METRICS[indicator.headline].kind == "proportion")
        assert f'"children": "{shown}", "className": "tile-value mb-0", "data-metric": "{indicator.headline}"' in text


def test_tiles_callback_answers_a_period_change(client, con):
    output = (ids.page_id("overview", "tiles"), "children")
    response = call(client, "chief", output, [filter_input("overview", "from", "2025-01"), filter_input("overview", "to", "2025-03")])
    assert response.status_code == 200
    text = json.dumps(response.get_json())
    row = compute(con, "force", date(2025, 1, 1), date(2025, 3, 31), metric_ids=["charge_rate"], breakdowns=False).iloc[0]
    assert figures.format_number(float(row["value"]), percent=True) in text
    assert "January 2025 to March 2025" in text


def test_detail_view_has_definition_spc_and_funnel(client):
    response = open_route(client, "chief", "/", "?from=2023-06&to=2024-05&metric=crimes_per_1000")
    text = json.dumps(response.get_json())
    assert METRICS["crimes_per_1000"].question in text
    assert figures.COUNTING_RULE_LABEL in text
    assert "Funnel plot of Crimes per 1,000 people aged 16+" in text


def test_partnership_user_sees_only_its_own_partnership_suppressed(client):
    content = (ids.page_id("partnership", "content"), "children")
    own = call(client, "ashford_partnership", content, [filter_input("partnership", "from", FROM),
                                                         filter_input("partnership", "to", TO),
                                                         filter_input("partnership", "csp", "E22000001")])
    assert own.status_code == 200 and "Key measures for Ashford Vale" in own.get_data(as_text=True)
    other = call(client, "ashford_partnership", content, [filter_input("partnership", "from", FROM),
                                                           filter_input("partnership", "to", TO),
                                                           filter_input("partnership", "csp", TINY_CSP)])
    assert _refused(other) and "Key measures" not in other.get_data(as_text=True)
    division = open_route(client, "ashford_partnership", "/division", "?division=NORTH")
    assert _refused(division) and "Partnerships in" not in division.get_data(as_text=True)


def _refused(response) -> bool:
    """Refused by either lock: the sign-in guard (403 before the callback runs) or the page's own check."""
    return response.status_code == 403 or "Not available to you" in response.get_data(as_text=True)


def test_the_pages_own_policy_check(client):
    """The page's lock on its own, without the sign-in guard in front of it."""
    import flask

    from app import views
    from app.auth.policy import Forbidden, Principal

    with client.application.test_request_context():
        flask.g.principal = Principal("p", "partnership", frozenset({"E22000001"}))
        assert views.authorise("csp", "E22000001")[1] is True  # allowed, and suppressed
        assert views.authorise("force", None)[1] is True
        for level, unit in (("csp", TINY_CSP), ("division", "NORTH")):
            with pytest.raises(Forbidden):
                views.authorise(level, unit)
        flask.g.principal = Principal("c", "chief_officer")
        assert views.authorise("division", "NORTH") == (flask.g.principal, False)


def test_scrutiny_pack_download_is_refused_for_another_partnership(client):
    outputs = [(ids.download_id("partnership", "pack-xlsx"), "data"), (ids.download_id("partnership", "pack-html"), "data"),
               (ids.page_id("partnership", "pack-status"), "children")]
    clicks = [{"id": ids.page_id("partnership", "pack-xlsx"), "property": "n_clicks", "value": 1},
              {"id": ids.page_id("partnership", "pack-html"), "property": "n_clicks", "value": None}]
    state = [filter_input("partnership", "from", FROM), filter_input("partnership", "to", TO),
             filter_input("partnership", "csp", TINY_CSP)]
    refused = call(client, "ashford_partnership", outputs[0], clicks, state=state, outputs=outputs)
    assert _refused(refused) and "base64" not in refused.get_data(as_text=True)
    allowed = call(client, "chief", outputs[0], clicks, state=state, outputs=outputs)
    download = allowed.get_json()["response"][ids.download_id("partnership", "pack-xlsx")]["data"]
    assert download["filename"] == f"scrutiny-pack-{TINY_CSP}-{FROM}-to-{TO}.xlsx" and download["base64"]


def test_partnership_page_suppresses_small_counts_for_everyone(client):
    content = (ids.page_id("partnership", "content"), "children")
    response = call(client, "chief", content, [filter_input("partnership", "from", FROM),
                                               filter_input("partnership", "to", TO),
                                               filter_input("partnership", "csp", TINY_CSP)])
    rows = _grid_rows(response.get_json(), "partnership-key")
    incidents = next(r for r in rows if r["Measure"] == "Domestic abuse incidents")
    assert (incidents["Partnership"], incidents["Cases"]) == ("<5", "<5")  # 3 incidents


def _grid_rows(payload: dict, grid: str) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == {"type": "grid", "grid": grid}:
                found.extend(props["rowData"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload)
    return found


def test_definitions_page_lists_every_metric_and_what_is_not_measured(client):
    text = open_route(client, "chief", "/definitions").get_data(as_text=True)
    for metric in METRICS.values():
        assert f"metric-{metric.id}" in text
    for item in NOT_YET_MEASURED:
        assert item.name in text


# --- the scrutiny pack ------------------------------------------------------------------------

def test_scrutiny_pack_workbook_and_report_are_suppressed(con):
    from app import scrutiny_pack

    pack = scrutiny_pack.build_pack(con, TINY_CSP, *PERIOD)
    summary = scrutiny_pack.summary_frame(pack).set_index("Measure")
    assert summary.loc["Domestic abuse incidents", "Partnership"] == "<5"  # 3 incidents
    assert summary.loc["Domestic abuse incidents", "Numerator"] == "<5"
    book = openpyxl.load_workbook(io.BytesIO(scrutiny_pack.excel_bytes(pack)), read_only=True)
    assert book.sheetnames == ["Summary", *[f"{i.number} {i.title}".replace("'", "")[:31] for i in INDICATORS],
                               "Victim profile", "Definitions"]
    definitions = list(book["Definitions"].iter_rows(values_only=True))
    assert len(definitions) == 1 + len(METRICS) + len(NOT_YET_MEASURED)  # header + one row each
    report = scrutiny_pack.html_report(pack, charts=False)
    assert "<script" not in report and "&lt;5" in report and "Scrutiny pack: Dunwick Isle" in report


# --- the database connection ------------------------------------------------------------------

def test_connection_follows_a_replaced_database_file(synthetic_force_db, tmp_path):
    copy = tmp_path / "force.duckdb"
    shutil.copy2(synthetic_force_db, copy)
    try:
        data.configure(copy)
        assert list(data.divisions()["division_name"]) == ["North Division", "South Division"]
        with atomic_write(copy) as writer:  # a load renames a new file into place
            writer.execute("UPDATE divisions SET division_name = 'Northern Division' WHERE division_code = 'NORTH'")
            build_marts(writer)  # as every load does, inside the same atomic write
        assert list(data.divisions()["division_name"]) == ["Northern Division", "South Division"]
    finally:
        data.configure(synthetic_force_db)


def test_a_missing_database_says_so(client, tmp_path, synthetic_force_db):
    try:
        data.configure(tmp_path / "nothing-loaded-yet.duckdb")
        assert not data.database_ready()
        text = open_route(client, "chief", "/").get_data(as_text=True)
        assert "No data loaded yet" in text
    finally:
        data.configure(synthetic_force_db)


# --- figures ----------------------------------------------------------------------------------

def test_format_number():
    assert figures.format_number(0.4567, percent=True) == "45.7%"
    assert figures.format_number(1843.0, percent=False) == "1,843"
    assert figures.format_number(5.0211, percent=False) == "5.0"
    assert figures.format_number(float("nan"), percent=False) == "–"
    assert figures.format_number("<5", percent=False) == "<5"


def test_spc_chart_marks_the_counting_rule_change_only_when_the_series_covers_it():
    def series(first: str, months: int) -> pd.DataFrame:
        frame = pd.DataFrame({"month": pd.date_range(first, periods=months, freq="MS").date, "value": 10.0,
                              "centre": 10.0, "lcl": 4.0, "ucl": 16.0, "phase": 0, "special_cause": False})
        frame.loc[2, ["value", "special_cause"]] = [20.0, True]
        return frame

    covering = figures.spc_chart(series("2023-01-01", 12), title="t", percent=False, counting_rule_marker=True)
    assert [a.text for a in covering.layout.annotations] == [figures.COUNTING_RULE_LABEL]
    assert [t.name for t in covering.data][-1] == "Special cause"
    later = figures.spc_chart(series("2024-01-01", 12), title="t", percent=False, counting_rule_marker=True)
    assert list(later.layout.annotations) == []
    spark = figures.sparkline(series("2023-01-01", 12), percent=False, counting_rule_marker=True)
    assert len(spark["data"]) == 3 and spark["data"][2]["x"] == ["2023-03-01"]
    assert spark["layout"]["shapes"][0]["x0"] == "2023-06-01"


def test_rest_of_force_pools_the_other_divisions(client, con):
    from app import views

    rows = compute(con, "division", *PERIOD, metric_ids=["charge_rate", "incidents_per_1000"], breakdowns=False)
    north = rows[rows["unit_code"] == "NORTH"].set_index("metric_id")
    # With two divisions and every record placed, the rest of the force for SOUTH is NORTH.
    charge = views.rest_of_force("charge_rate", "SOUTH", *PERIOD)
    assert (charge.numerator, charge.denominator) == (north.loc["charge_rate", "numerator"], north.loc["charge_rate", "denominator"])
    assert charge.value == pytest.approx(north.loc["charge_rate", "value"])
    rate = views.rest_of_force("incidents_per_1000", "SOUTH", *PERIOD)
    # incidents x 365.25 / days / (population 16+ / 1,000): the metrics layer's own convention.
    assert rate.value == pytest.approx(north.loc["incidents_per_1000", "value"])
    assert rest_text(METRICS["incidents_per_1000"], rate).startswith(
        f"Rest of the force: {figures.format_number(rate.value, percent=False)}; ")


def test_tile_change_is_in_the_metrics_own_units(client, con):
    from app import views
    from metrics.periods import previous_period

    tiles = {t.metric.id: t for t in views.tile_summaries("force", None, *PERIOD, suppressed=False)}
    now = compute(con, "force", *PERIOD, metric_ids=["incidents_per_1000", "charge_rate"], breakdowns=False).set_index("metric_id")
    before = compute(con, "force", *previous_period(*PERIOD), metric_ids=["incidents_per_1000", "charge_rate"],
                     breakdowns=False).set_index("metric_id")
    # A rate: the difference of the two values per 1,000 a year, and that difference over the earlier value.
    change = now.loc["incidents_per_1000", "value"] - before.loc["incidents_per_1000", "value"]
    relative = change / before.loc["incidents_per_1000", "value"]
    assert tiles["incidents_per_1000"].change_text.startswith(f"{change:+,.1f} ({relative * 100:+.1f}%) on the previous period")
    # A proportion: percentage points.
    points = (now.loc["charge_rate", "value"] - before.loc["charge_rate", "value"]) * 100
    assert tiles["charge_rate"].change_text.startswith(f"{points:+.1f} percentage points on the previous period")


def test_a_partnership_user_is_offered_only_its_own_partnership(client):
    text = json.dumps(open_route(client, "ashford_partnership", "/partnership").get_json())
    assert '"value": "E22000001"' in text and '"value": "E22000002"' not in text
    # With a single partnership the page opens on it.
    assert "Key measures for Ashford Vale" in text
    chief = json.dumps(open_route(client, "chief", "/partnership").get_json())
    assert '"value": "E22000002"' in chief and "Choose a community safety partnership" in chief

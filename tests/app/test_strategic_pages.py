"""The strategic pages over HTTP (Flask test client), their building blocks, and the scrutiny pack.

Signed in through the proxy mode (a trusted address sends the user name; role and units come from the
users file), so each request can be a different principal.
"""
from __future__ import annotations

import io
import json
import re
import shutil
from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import data, figures, ids
from tests.dash_requests import components, grid_rows, open_route, post_callback
from app.components import FilterState, dom_id
from metrics.formatting import format_date
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


# The partnership page and the pack offer fixed reporting periods only: the latest financial year the data
# cover wholly (issue 11: disclosure control across periods).
def _latest_year() -> tuple[str, date, date]:
    from metrics.periods import reporting_periods

    months = data.data_months()
    return next(p for p in reporting_periods(months.first_day, months.last_day) if "-Q" not in p[0])


def partnership_inputs(csp: str | None, period: str | None = None) -> tuple[list[dict], list[dict]]:
    """The content callback's inputs (reporting period, partnership) and state (the header's force)."""
    return ([filter_input("partnership", "period", period or _latest_year()[0]), filter_input("partnership", "csp", csp)],
            [filter_input("shell", "force", "")])


def test_partnership_user_sees_only_its_own_partnership_suppressed(client):
    content = (ids.page_id("partnership", "content"), "children")
    own = call(client, "ashford_partnership", content, *partnership_inputs("E22000001"))
    assert own.status_code == 200 and "Key measures for Ashford Vale" in own.get_data(as_text=True)
    other = call(client, "ashford_partnership", content, *partnership_inputs(TINY_CSP))
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
    key = _latest_year()[0]
    state = [filter_input("partnership", "period", key), filter_input("partnership", "csp", TINY_CSP),
             filter_input("shell", "force", "")]
    refused = call(client, "ashford_partnership", outputs[0], clicks, state=state, outputs=outputs)
    assert _refused(refused) and "base64" not in refused.get_data(as_text=True)
    allowed = call(client, "chief", outputs[0], clicks, state=state, outputs=outputs)
    download = allowed.get_json()["response"][ids.download_id("partnership", "pack-xlsx")]["data"]
    assert download["filename"] == f"scrutiny-pack-dunwick-isle-{key}.xlsx" and download["base64"]


def test_partnership_page_suppresses_small_counts_for_everyone(client):
    content = (ids.page_id("partnership", "content"), "children")
    response = call(client, "chief", content, *partnership_inputs(TINY_CSP))
    rows = grid_rows(response.get_json(), "partnership-key")
    incidents = next(r for r in rows if r["Measure"] == "Domestic abuse incidents")
    assert (incidents["Partnership"], incidents["Cases"]) == ("<5", "<5")  # 3 incidents in a financial year


def test_definitions_page_lists_every_metric_and_what_is_not_measured(client):
    text = open_route(client, "chief", "/definitions").get_data(as_text=True)
    for metric in METRICS.values():
        assert f"metric-{metric.id}" in text
    for item in NOT_YET_MEASURED:
        assert item.name in text


def test_definitions_show_the_thresholds_the_figures_were_built_with(client):
    answer = open_route(client, "chief", "/definitions").get_json()
    rows = {}
    for component in components(answer):
        if component.get("type") == "Tr":
            cells = [c["props"].get("children") for c in component["props"]["children"]]
            rows[cells[0]] = cells[1:]
    # The values of daperf/thresholds.toml the synthetic force was built with, in words.
    assert rows["Look-back for repeats and serial perpetrators"][0] == "365 days"
    assert rows["SafeLives expected MARAC repeat rate"][0] == "28% to 40%"
    assert rows["London strategy arrest levels"][0] == "50%, 65% and 80%"
    assert rows["SafeLives recommended MARAC volume"][0] == "40 cases per 10,000 women aged 16+ a year"
    assert rows["Time allowed for Clare's Law initial checks"][1][0].startswith("College of Policing")
    text = "\n".join(shown_text(answer))
    for metric in METRICS.values():  # a measure is named by its name; its id is for exports
        if "_" in metric.id:
            assert metric.id not in text


# --- the scrutiny pack ------------------------------------------------------------------------

def test_scrutiny_pack_workbook_and_report_are_suppressed(client, con):  # client: the app's data, for the period
    from app import scrutiny_pack

    _, year_from, year_to = _latest_year()
    pack = scrutiny_pack.build_pack(con, TINY_CSP, year_from, year_to)
    summary = scrutiny_pack.summary_frame(pack).set_index("Measure")
    assert summary.loc["Domestic abuse incidents", "Partnership"] == "<5"  # 3 incidents
    assert summary.loc["Domestic abuse incidents", "Numerator"] == "<5"
    book = openpyxl.load_workbook(io.BytesIO(scrutiny_pack.excel_bytes(pack)), read_only=True)
    assert book.sheetnames == ["Summary", "Trends", "Forces compared",
                               *[f"{i.number} {i.title}".replace("'", "")[:31] for i in INDICATORS],
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
    assert tiles["incidents_per_1000"].change_text.startswith(
        f"Against the previous period: {change:+,.1f} ({relative * 100:+.1f}%), ")
    # A proportion: percentage points.
    points = (now.loc["charge_rate", "value"] - before.loc["charge_rate", "value"]) * 100
    assert tiles["charge_rate"].change_text.startswith(f"Against the previous period: {points:+.1f} percentage points, ")


def test_a_partnership_user_is_offered_only_its_own_partnership(client):
    text = json.dumps(open_route(client, "ashford_partnership", "/partnership").get_json())
    assert '"value": "E22000001"' in text and '"value": "E22000002"' not in text
    # With a single partnership the page opens on it.
    assert "Key measures for Ashford Vale" in text
    chief = json.dumps(open_route(client, "chief", "/partnership").get_json())
    assert '"value": "E22000002"' in chief and "Choose a community safety partnership" in chief


# --- honest states: the shell, periods without data, part months, signals that agree ---------------

SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")  # a code or a field name, never a word of English
FILE_NAME = re.compile(r"\b[\w-]+\.(?:toml|md|txt|py|sql|duckdb)\b")


def shown_text(tree) -> list[str]:
    """The words a layout or callback answer puts in front of a person: text children, option labels,
    table headings and cells, and the words inside charts (titles, axes, categories, legends, notes)."""
    words: list[str] = []

    def strings(value):
        if isinstance(value, str):
            words.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, str):
                    words.append(item)

    for component in components(tree):
        props = component.get("props", {})
        strings(props.get("children"))
        for option in props.get("options") or []:
            if isinstance(option, dict):
                strings(option.get("label"))
        for column in props.get("columnDefs") or []:
            strings(column.get("headerName"))
        for row in props.get("rowData") or []:
            strings([str(v) for v in row.values() if v is not None])
        figure = props.get("figure") or {}
        layout = figure.get("layout") or {}
        strings((layout.get("title") or {}).get("text") if isinstance(layout.get("title"), dict) else layout.get("title"))
        for axis in ("xaxis", "yaxis"):
            title = (layout.get(axis) or {}).get("title")
            strings(title.get("text") if isinstance(title, dict) else title)
        for note in layout.get("annotations") or []:
            strings(note.get("text"))
        for trace in figure.get("data") or []:
            strings(trace.get("name"))
            for key in ("x", "y", "text"):
                values = trace.get(key)
                if isinstance(values, list) and values and all(isinstance(v, str) for v in values) \
                        and not re.match(r"\d{4}-\d{2}-\d{2}", values[0]):
                    strings(values)
    return words


def assert_plain_english(tree, where: str) -> None:
    text = "\n".join(shown_text(tree))
    assert text.strip(), f"{where}: nothing shown"
    codes = sorted(set(SNAKE_CASE.findall(text)))
    assert not codes, f"{where} shows codes or field names: {codes}"
    files = sorted(set(FILE_NAME.findall(text)))
    assert not files, f"{where} shows file names: {files}"
    assert not re.search(r"-0(?:\.0+)?(?![\d.,])", text), f"{where} shows a negative zero"


def _breakdown(client, user: str, page: str, metric_id: str, breakdown: str, context: dict):
    """Post the detail view's breakdown chooser as Dash's renderer does (a MATCH callback)."""
    def key(kind: str) -> str:
        return json.dumps({"page": ["MATCH"], "type": kind}, separators=(",", ":"))

    body = {
        "output": f"{key('breakdown-view')}.children",
        "outputs": {"id": {"page": page, "type": "breakdown-view"}, "property": "children"},
        "inputs": [{"id": {"page": page, "type": "breakdown-select"}, "property": "value", "value": breakdown}],
        "state": [{"id": {"page": page, "type": "breakdown-context"}, "property": "data",
                   "value": {"metric": metric_id, **context}},
                  {"id": {"page": page, "type": "breakdown-context"}, "property": "id",
                   "value": {"page": page, "type": "breakdown-context"}}],
        "changedPropIds": [json.dumps({"page": page, "type": "breakdown-select"}, separators=(",", ":")) + ".value"],
    }
    return client.post("/_dash-update-component", json=body, headers={"X-Forwarded-User": user})


def test_the_strategic_pages_speak_plain_english(client):
    """No code, field name or file name on the overview, the division page, the detail views (every
    breakdown of a measure that has them) or the definitions."""
    views_to_read = [("/", f"?from={FROM}&to={TO}"), ("/division", f"?from={FROM}&to={TO}&division=SOUTH"),
                     ("/definitions", "")]
    views_to_read += [("/", f"?from={FROM}&to={TO}&metric={m}") for m in
                      ("crime_conversion_rate", "arrest_rate_where_power", "order_application_rate", "incidents")]
    views_to_read.append(("/division", f"?from={FROM}&to={TO}&division=NORTH&metric=dvds_decided_within_28d_rate"))
    for path, search in views_to_read:
        response = open_route(client, "chief", path, search)
        assert response.status_code == 200
        assert_plain_english(response.get_json(), path + search)
    context = {"level": "force", "unit": None, "from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()}
    for breakdown in METRICS["crime_conversion_rate"].breakdowns:
        response = _breakdown(client, "chief", "overview", "crime_conversion_rate", breakdown, context)
        assert response.status_code == 200, breakdown
        assert_plain_english(response.get_json(), f"breakdown {breakdown}")
    # The categories are the vocabulary's words, in its order.
    answer = json.dumps(_breakdown(client, "chief", "overview", "crime_conversion_rate", "relationship", context).get_json())
    assert "Former partner" in answer and "Son or daughter" in answer and "ex_partner" not in answer


def test_the_header_says_when_the_data_were_loaded_and_to_which_day(client, con):
    from metrics.formatting import format_date, format_datetime

    ((last_day, loaded_at),) = con.execute("SELECT data_last_day, data_loaded_at FROM mart_build").fetchall()
    layout = json.dumps(client.get("/_dash-layout", headers={"X-Forwarded-User": "chief"}).get_json())
    assert (f"Data loaded {format_datetime(loaded_at, with_year=True)}; records up to {format_date(last_day)}."
            in layout)


def test_an_unknown_page_answers_404(client):
    headers = {"X-Forwarded-User": "chief", "Accept": "text/html"}
    for path in ("/no-such-page", "/division/extra", "/definitions.md"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert "Page not found" in response.get_data(as_text=True)
    for path in ("/", "/division", "/definitions", "/partnership", "/assets/app.css"):
        response = client.get(path, headers=headers)
        response.close()
        assert response.status_code == 200, path


@pytest.mark.parametrize(("from_", "to", "words"), [("2099-01", "2099-03", "January 2099 to March 2099"),
                                                    ("2010-01", "2010-12", "January 2010 to December 2010")])
def test_a_period_with_no_data_says_so_and_shows_no_figures(client, con, from_, to, words):
    ((first_day, last_day),) = con.execute("SELECT data_first_day, data_last_day FROM mart_build").fetchall()
    from metrics.formatting import format_date

    expected = (f"No data for {words}: the data run from {format_date(first_day)} to {format_date(last_day)}.")
    answers = [open_route(client, "chief", "/", f"?from={from_}&to={to}"),
               open_route(client, "chief", "/", f"?from={from_}&to={to}&metric=charge_rate"),
               open_route(client, "chief", "/division", f"?from={from_}&to={to}&division=NORTH"),
               call(client, "chief", (ids.page_id("overview", "tiles"), "children"),
                    [filter_input("overview", "from", from_), filter_input("overview", "to", to)])]
    for answer in answers:
        text = json.dumps(answer.get_json())
        assert expected in text
        for figure_word in ("tile-value", "no significant change", "funnel plot", "percentage points", "Partnerships in"):
            assert figure_word not in text
    # The controls show the period asked for, marked as having no data, rather than another period.
    layout = json.dumps(answers[0].get_json())
    assert f'"label": "{date.fromisoformat(from_ + "-01"):%b %Y} (no data)", "value": "{from_}"' in layout


def test_a_period_partly_before_the_data_is_not_compared_with_the_period_before(client, con):
    ((first_day,),) = con.execute("SELECT data_first_day FROM mart_build").fetchall()
    first = first_day.replace(day=1) if first_day.day == 1 else (first_day.replace(day=1) + pd.DateOffset(months=1)).date()
    end = (pd.Timestamp(first) + pd.DateOffset(months=12) - pd.Timedelta(days=1)).date()
    from app import views

    tiles = views.tile_summaries("force", None, first, end, suppressed=False)
    assert all(t.direction is None for t in tiles)  # no badge at all
    assert all(t.change_text.startswith("No comparison with the previous period: the data do not cover all of it")
               for t in tiles)
    text = json.dumps(open_route(client, "chief", "/", f"?from={first:%Y-%m}&to={end:%Y-%m}").get_json())
    assert "tile-badge" not in text and "tile-value" in text


def test_a_period_running_past_the_data_is_annualised_over_the_days_with_data(client, con):
    """A saved link to months not loaded yet (issue found in review: 7.8 incidents per 1,000 shown for about
    30.8, the count spread over 51 months of which 13 had data)."""
    from app import views

    ((last_day,),) = con.execute("SELECT data_last_day FROM mart_build").fetchall()
    start = (pd.Timestamp(LAST_MONTH) - pd.DateOffset(months=9)).date()  # ten months of data, then none
    beyond = date(last_day.year + 3, 1, 31)
    # By hand: incidents from the period's start to the data's last day, per 1,000 people aged 16+ a year,
    # a year being 365.25 days over the days with data (not 12 whole months, so annualised).
    ((incidents,),) = con.execute("SELECT count(*) FROM incidents WHERE CAST(reported_at AS DATE) BETWEEN ? AND ?",
                                  [start, last_day]).fetchall()
    ((adults,),) = con.execute("SELECT sum(population_16plus) FROM csps").fetchall()
    days = (last_day - start).days + 1
    expected = incidents / adults * 1000 * 365.25 / days
    frame = views.headline_frame("force", start, beyond, metric_ids=("incidents_per_1000",))
    assert frame["value"].iloc[0] == pytest.approx(expected, rel=1e-9)
    text = json.dumps(open_route(client, "chief", "/", f"?from={start:%Y-%m}&to={beyond:%Y-%m}").get_json())
    assert "Only part of" in text and "compared with the same length of time before it" not in text
    assert "tile-badge" not in text


def test_repeat_figures_say_when_the_look_back_reaches_before_the_data(client, con):
    """Over the data's first 365 days a victim's earlier incidents may lie before the data begin, so the
    repeat measures run low there; the tiles say so, and only for those measures and periods."""
    from app import views

    ((first_day,),) = con.execute("SELECT data_first_day FROM mart_build").fetchall()
    start = (pd.Timestamp(first_day) + pd.DateOffset(months=1)).date().replace(day=1)
    end = (pd.Timestamp(start) + pd.DateOffset(months=3) - pd.Timedelta(days=1)).date()
    early = {t.metric.id: t.lookback_text for t in views.tile_summaries("force", None, start, end, suppressed=False)}
    assert early["repeat_victim_rate"] == (
        f"Runs low: the data start on {format_date(first_day)}, so records before "
        f"{format_date(first_day + timedelta(days=365))} have less than the 365 days of history looked back over "
        "for an earlier incident.")
    assert [mid for mid, text in early.items() if text] == ["repeat_victim_rate"]  # the other tiles look back at nothing
    late = views.tile_summaries("force", None, first_day + timedelta(days=365), PERIOD[1], suppressed=False)
    assert all(t.lookback_text is None for t in late)
    assert {m.id for m in METRICS.values() if m.looks_back} == {
        "repeat_victim_rate", "repeat_incident_rate", "repeat_suspect_rate", "serial_perpetrators",
        "marac_repeat_rate"}


def test_tiles_never_contradict_their_monthly_chart(client):
    """Wherever the period test and the monthly chart disagree, the tile says why; where there is no
    comparison there is no badge."""
    from app import views

    disagreements = 0
    for level, unit in (("force", None), ("division", "NORTH"), ("division", "SOUTH")):
        for months in (12, 6, 3):
            start = (pd.Timestamp(PERIOD[1]) - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date()
            for tile in views.tile_summaries(level, unit, start, PERIOD[1], suppressed=False):
                signal = views.spc_signal(tile.spc, start, PERIOD[1])
                assert signal is not None
                differ = (tile.direction == "no significant change") == signal.special_cause
                assert bool(tile.disagreement_text) == (tile.direction is not None and differ), (level, unit, months)
                disagreements += bool(tile.disagreement_text)
                assert (tile.signal_text or "").startswith("Monthly chart: ")
    assert disagreements  # the synthetic force has some: the rule is exercised, not vacuous


def test_disagreement_words():
    from app import views
    from metrics.comparison import Change

    trend = views.SpcSignal(tuple(pd.to_datetime(["2026-05-01", "2026-06-01", "2026-07-01", "2026-09-01"])),
                            ("trend",), ())
    quiet = views.SpcSignal((), (), ())
    not_significant = Change(0.005, 0.01, False, "none", "two_proportion_z")
    worse = Change(0.031, 0.09, True, "worse", "two_proportion_z")
    assert views.signal_text(trend) == ("Monthly chart: special cause in 4 months of this period "
                                        "(May 2026 to Jul 2026 and Sep 2026: a trend).")
    assert views.disagreement_text(not_significant, trend).startswith("Why they differ: the comparison tests")
    assert views.disagreement_text(worse, quiet).startswith("Why they differ: the two periods' totals differ")
    assert views.disagreement_text(worse, trend) is None and views.disagreement_text(not_significant, quiet) is None
    assert views.direction_word(Change(-2.0, -0.1, True, "change", "conditional_poisson_rates")) == "lower"
    assert views.direction_word(Change(None, None, False, "none", "none")) is None


@given(st.floats(-0.0499, 0.0499, allow_nan=False), st.sampled_from(["charge_rate", "incidents_per_1000", "incidents"]))
def test_a_tiny_change_is_never_a_negative_zero(change, metric_id):
    from metrics.formatting import format_change

    metric = METRICS[metric_id]
    tiny = change / 1000 if metric.kind == "proportion" else change
    text = format_change(metric, tiny, tiny / 30)
    assert not re.search(r"-0(?:\.0+)?(?![\d.,])", text), text


@pytest.fixture(scope="module")
def partial_month_db(synthetic_force_db, tmp_path_factory):
    from tests.browser.conftest import with_partial_first_month

    return with_partial_first_month(synthetic_force_db, tmp_path_factory.mktemp("partial") / "force.duckdb")


def test_a_part_month_is_marked_and_left_out_of_the_control_limits(client, partial_month_db, synthetic_force_db):
    from app import views
    from metrics.stats import xmr_limits

    try:
        data.configure(partial_month_db)
        months = data.data_months()
        assert months.first_day.day > 1  # the load starts in the middle of its first month
        start = months.first_month
        end = (pd.Timestamp(start) + pd.DateOffset(months=12) - pd.Timedelta(days=1)).date()
        spc = views.monthly_spc("incidents", "force", None, start, end)
        assert spc.iloc[0]["partial"] and not spc.iloc[1:]["partial"].any()
        assert not spc.iloc[0]["special_cause"]
        whole = xmr_limits(spc.iloc[1:]["value"])
        assert spc["centre"].tolist() == pytest.approx([whole.centre] * len(spc))
        assert spc.iloc[0]["value"] < whole.lcl  # it would have been a special cause
        answer = open_route(client, "chief", "/", f"?from={start:%Y-%m}&to={end:%Y-%m}&metric=incidents").get_json()
        text = json.dumps(answer)
        assert f"{start:%B %Y} is a part month (data for only some of the days)" in text
        assert figures.PART_MONTH_LABEL in text
        rows = grid_rows(answer, "overview-spc-table")
        assert rows[0]["Month"] == f"{start:%B %Y}" and rows[0]["Signal"] == "Part month: not assessed"
        assert all(r["Signal"] == "Common cause" or r["Signal"].startswith("Special cause: ") for r in rows[1:])
    finally:
        data.configure(synthetic_force_db)


# --- filters that tell the truth, and the unit taken from the request's scope ------------------------

def test_a_bad_address_value_falls_back_visibly_and_the_controls_show_the_fallback(client):
    answer = open_route(client, "chief", "/division", "?from=2024-13&division=XYZ").get_json()
    text = json.dumps(answer, ensure_ascii=False)
    assert "Check the filters." in text
    assert "“2024-13” is not a month (use YYYY-MM)" in text
    assert "There is no division “XYZ” in this data: showing North Division instead." in text
    selects = {c["props"]["id"]["name"]: c["props"]["value"] for c in components(answer)
               if isinstance(c["props"].get("id"), dict) and c["props"]["id"].get("type") == "filter"}
    assert selects == {"from": FROM, "to": TO, "division": "NORTH"}
    assert "Partnerships in North Division" in text


def test_a_reversed_period_chosen_in_the_controls_shows_a_message_not_figures(client):
    answer = call(client, "chief", (ids.page_id("overview", "tiles"), "children"),
                  [filter_input("overview", "from", "2025-06"), filter_input("overview", "to", "2025-03")])
    text = json.dumps(answer.get_json())
    assert "starts in June 2025, after the month it ends (March 2025)" in text and "tile-value" not in text


def test_the_division_page_opens_on_the_users_own_division_and_refuses_a_partnership_user(client):
    lead = json.dumps(open_route(client, "north_lead", "/division").get_json())
    assert "Partnerships in North Division" in lead
    refused = open_route(client, "ashford_partnership", "/division")
    assert _refused(refused) and "tile-value" not in refused.get_data(as_text=True)


def _page_module(name: str):
    """A page module as Dash Pages loaded it (importing ``app.pages.x`` would register the page twice)."""
    import sys

    import dash

    return sys.modules[dash.page_registry[f"pages.{name}"]["module"]]


def test_a_callback_takes_its_division_from_the_scope_not_from_its_arguments(client, con):
    """The callback's own division argument is ignored: the unit is the scope the guard resolved (a
    control renamed so the guard cannot read it is refused before it gets that far)."""
    import flask

    from app.auth.policy import Principal
    from app.auth.scope import resolve_scope, set_current_scope
    from plotly.utils import PlotlyJSONEncoder

    renamed = {"type": "not-a-filter", "page": "division", "name": "division"}
    inputs = [filter_input("division", "from", FROM), filter_input("division", "to", TO),
              {"id": renamed, "property": "value", "value": "SOUTH"}]
    refused = call(client, "ashford_partnership", (ids.page_id("division", "tiles"), "children"), inputs)
    assert refused.status_code in (400, 403) and "tile-value" not in refused.get_data(as_text=True)

    division = _page_module("division")
    with client.application.test_request_context():
        flask.g.principal = Principal("chief", "chief_officer")
        set_current_scope(resolve_scope(flask.g.principal, {"division": "NORTH"}))
        shown = json.dumps(division.update_tiles(FROM, TO, "SOUTH"), cls=PlotlyJSONEncoder)
        assert "Partnerships in North Division" in shown and "South Division" not in shown
        flask.g.principal = Principal("p", "partnership", frozenset({"E22000001"}))
        set_current_scope(resolve_scope(flask.g.principal, {}))
        shown = json.dumps(division.update_tiles(FROM, TO, "NORTH"), cls=PlotlyJSONEncoder)
        assert "Not available to you" in shown and "tile-value" not in shown
    # The breakdown chooser: a context whose level and unit the guard cannot read gives the force's figures.
    context = {"lvl": "division", "unit_code": "SOUTH", "from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()}
    answer = _breakdown(client, "chief", "division", "crime_conversion_rate", "victim_sex", context)
    rows = grid_rows(answer.get_json(), "division-breakdown-table")
    force = compute(con, "force", *PERIOD, metric_ids=["crime_conversion_rate"])
    female = force[(force["breakdown"] == "victim_sex") & (force["breakdown_value"] == "female")].iloc[0]
    shown = next(r for r in rows if r["Category"] == "Female")
    assert shown["Count"] == f"{int(female['numerator']):,}" and shown["Out of"] == f"{int(female['denominator']):,}"


def test_tiles_monthly_series_cut_from_the_whole_series_equal_the_series_asked_for(client, con):
    """The tiles' monthly series for a period of whole months inside the data is cut from the unit's whole
    series (asked once): each month is a period of its own, so the cut must equal the series asked for the
    period itself, to the last digit, at force and division level. A period starting before the data is not
    cut (it is asked for itself): for it, this checks only that it is the series asked for the period, with
    a row for each of its months, the two before the data as well."""
    from app import views
    from metrics.compute import monthly_series
    from metrics.periods import add_months, month_end
    from metrics.registry import HEADLINE_IDS

    with client.application.test_request_context():
        months = data.data_months()
        units = [("force", data.force_unit()[0]), *(("division", code) for code in data.divisions()["division_code"])]
        first, last = months.first_month, months.last_month
        # The synthetic force (tests/conftest.py): 42 months of incidents, ending with last month.
        this_month = date.today().replace(day=1)
        assert (first, last) == (add_months(this_month, -42), add_months(this_month, -1))
        assert len(units) == 3  # the force, NORTH and SOUTH
        # Each period with the months it holds, counted by hand.
        periods = [((first, month_end(last)), 42),  # the whole data
                   ((add_months(first, 1), month_end(add_months(first, 3))), 3),  # its 2nd to 4th months
                   ((last, month_end(last)), 1),  # its last month
                   ((add_months(first, -2), month_end(add_months(first, 2))), 5)]  # 2 months before, 3 in
        for level, unit in units:
            for (period_from, period_to), n in periods:
                cut = views._headline_monthly_frames(level, unit, period_from, period_to)
                asked = monthly_series(con, HEADLINE_IDS, level, unit, period_from, period_to)
                pd.testing.assert_frame_equal(cut, asked, check_exact=True)
                assert cut["month"].nunique() == n and len(cut) == len(HEADLINE_IDS) * n

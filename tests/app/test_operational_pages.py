"""The operational pages over HTTP (Flask test client): their callbacks answer with the metrics layer's
numbers in people's words, take their unit from the request's scope (never from their own arguments), and
refuse record-level views to those the access policy does not allow.

Signed in through the proxy mode (a trusted address sends the user name; role and units come from the
users file), so each request can be a different principal.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta

import pandas as pd

from app import ids
from metrics import attrition, daily
from metrics.formatting import format_count, format_datetime, format_number
from tests.dash_requests import components, open_route
from tests.dash_requests import post_callback as call

# The synthetic force ends with last month: the tests look at its last 12 whole months, and a meeting
# on the 20th of its last month.
LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
FIRST_MONTH = (LAST_MONTH - timedelta(days=330)).replace(day=1)
FROM, TO = f"{FIRST_MONTH:%Y-%m}", f"{LAST_MONTH:%Y-%m}"
PERIOD = (FIRST_MONTH, date.today().replace(day=1) - timedelta(days=1))
MEETING_AT = datetime.combine(LAST_MONTH.replace(day=20), time(8, 0))
MEETING = f"{MEETING_AT:%Y-%m-%dT%H:%M}"
DIVISIONS = {"NORTH": "North Division", "SOUTH": "South Division"}


def filter_input(page: str, name: str, value) -> dict:
    return {"id": ids.filter_id(page, name), "property": "value", "value": value}


def plain_input(component_id: str, value) -> dict:
    return {"id": component_id, "property": "value", "value": value}


def attrition_inputs(division="", csp="", from_=FROM, to=TO):
    return [filter_input("attrition", "from", from_), filter_input("attrition", "to", to),
            filter_input("attrition", "division", division), filter_input("attrition", "csp", csp)]


AGGREGATE_OUTPUTS = [(ids.page_id("attrition", name), "children")
                     for name in ("summary", "funnel", "outcomes", "timings", "by-unit")]
CASE_LIST = (ids.page_id("attrition", "case-list"), "children")
CASE_CSV = (ids.download_id("attrition", "case-list-csv"), "data")
CSV_CLICK = {"id": ids.page_id("attrition", "case-list-csv"), "property": "n_clicks", "value": 1}


def case_list_inputs(division="", csp="", stage_lost="any", outcome="any"):
    return attrition_inputs(division, csp) + [plain_input(ids.page_id("attrition", "stage-lost"), stage_lost),
                                              plain_input(ids.page_id("attrition", "outcome-type"), outcome)]


def texts(response) -> str:
    """Every string a callback's answer shows, joined (the JSON of the components, read as text)."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key not in ("id", "className", "type", "namespace", "href", "html_for", "style", "role"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(response.get_json()["response"])
    return " ".join(found)


def test_pages_render_for_a_signed_in_user(client):
    for path in ("/attrition", "/daily", "/data-quality", "/audit"):
        response = client.get(path, headers={"X-Forwarded-User": "chief", "Accept": "text/html"})
        assert response.status_code == 200, path


# --- attrition ---------------------------------------------------------------------------------------


def test_attrition_funnel_gives_each_stages_conversion(client, con):
    response = call(client, "coordinator", AGGREGATE_OUTPUTS, attrition_inputs(division="SOUTH"))
    assert response.status_code == 200
    text = texts(response)
    funnel = attrition.attrition_funnel(con, "division", "SOUTH", *PERIOD).set_index("stage")
    recorded = int(funnel.loc["recorded", "crimes"])
    assert recorded > 0
    assert f"{recorded:,} crimes recorded in South Division" in text
    # Each stage's count, its share of the stage before and of the crimes recorded, formatted alike
    for stage, words in (("arrest", "Suspect arrested"), ("cps_referral", "File sent to the CPS"),
                         ("charge", "Charged or summonsed"), ("conviction", "Convicted")):
        row = funnel.loc[stage]
        assert (f"{words.lower() if stage != 'cps_referral' else 'file sent to the CPS'} {int(row['crimes']):,} "
                f"({format_number(row['share_of_previous'], percent=True)} of the stage before, "
                f"{format_number(row['share_of_recorded'], percent=True)} of those recorded)") in text
    cps, charged = int(funnel.loc["cps_referral", "crimes"]), int(funnel.loc["charge", "crimes"])
    cps_charged = int(funnel["cps_charged"].iloc[0])
    assert f"The CPS decided to charge {cps_charged:,} of the {cps:,} files sent to it" in text
    assert f"{charged:,} crimes were charged or summonsed in all" in text


def test_attrition_timings_are_a_distribution(client, con):
    text = texts(call(client, "coordinator", AGGREGATE_OUTPUTS, attrition_inputs(division="NORTH")))
    timings = attrition.stage_timings(con, "division", "NORTH", *PERIOD).set_index("stage")
    from metrics.formatting import format_duration

    row = timings.loc["conviction"]
    assert (f"Convicted: median {format_duration(row['median_days'] * 24)}, nine in ten within "
            f"{format_duration(row['p90_days'] * 24)} (of {int(row['crimes']):,} crimes)") in text


def test_attrition_lists_the_chosen_divisions_partnerships_only(client):
    text = texts(call(client, "coordinator", AGGREGATE_OUTPUTS, attrition_inputs(division="NORTH")))
    assert "Partnerships in North Division" in text
    assert "Ashford Vale" in text and "Brookmere" in text
    assert "Castleton" not in text and "Dunwick Isle" not in text


def _page_module(name: str):
    """A page module as Dash Pages imported it (``pages.<name>``; importing ``app.pages`` would register
    the page twice)."""
    import sys

    return sys.modules[f"pages.{name}"]


def _as_scope(client, user: str, level: str, unit: str | None):
    """A request context whose scope (as the guard resolves it) is ``level``/``unit`` for ``user``."""
    from app.auth.policy import Principal
    from app.auth.scope import resolve_scope, set_current_scope

    context = client.application.test_request_context("/_dash-update-component", method="POST")
    context.push()
    filters = {"csp": unit} if level == "csp" else {"division": unit} if level == "division" else {}
    role = {"coordinator": "coordinator", "north_lead": "division_lead"}[user]
    principal = Principal(user, role, frozenset({"NORTH"}) if role == "division_lead" else frozenset())
    set_current_scope(resolve_scope(principal, filters))
    from flask import g

    g.principal = principal  # as the sign-in layer sets it (app.auth.context)
    return context


def test_attrition_takes_its_unit_from_the_scope_not_its_arguments(client):
    # The scope the guard resolved is South; the callback's own division argument says North: South it is.
    module = _page_module("attrition")
    context = _as_scope(client, "coordinator", "division", "SOUTH")
    try:
        summary = module.update_aggregates(FROM, TO, "NORTH", "")[0]
    finally:
        context.pop()
    assert "South Division" in json.dumps(summary.to_plotly_json(), default=str)
    assert "North Division" not in json.dumps(summary.to_plotly_json(), default=str)


def test_attrition_says_so_when_the_period_has_no_data(client):
    response = call(client, "coordinator", AGGREGATE_OUTPUTS, attrition_inputs(from_="2099-01", to="2099-03"))
    payload = response.get_json()["response"]
    text = texts(response)
    assert "No records cover January 2099 to March 2099" in text
    # no funnel of zeros, no badges
    assert all(payload[name]["children"] is None for name, _ in AGGREGATE_OUTPUTS[1:])


def test_attrition_case_list_in_plain_words(client, con):
    response = call(client, "coordinator", [CASE_LIST], case_list_inputs(division="NORTH", stage_lost="cps_referral"))
    assert response.status_code == 200
    expected = attrition.case_list(con, "division", "NORTH", *PERIOD, stage_lost="cps_referral")
    text = json.dumps(response.get_json())
    assert f"{len(expected):,} crimes" in text
    grid = next(c for c in components(response.get_json()) if c["props"].get("columnDefs"))["props"]
    headings = [d["headerName"] for d in grid["columnDefs"]]
    assert headings[:3] == ["Incident", "Crime number", "Crime recorded"]
    first = grid["rowData"][0]
    assert first["Lost before"] == "File sent to the CPS"
    assert first["Victim reference"] in set(expected["victim_ref"])
    assert all(len(ref) == 12 for ref in expected["victim_ref"].dropna())


def test_partnership_user_is_refused_the_case_list(client):
    response = call(client, "ashford_partnership", [CASE_LIST], case_list_inputs(csp="E22000001"))
    assert response.status_code == 403
    download = call(client, "ashford_partnership", [CASE_CSV], [CSV_CLICK],
                    state=case_list_inputs(csp="E22000001"))
    assert download.status_code == 403


def _last_whole_quarter() -> tuple[str, str]:
    """The data's last whole quarter of a financial year (ending in March, June, September or December)."""
    end = LAST_MONTH
    while end.month not in (3, 6, 9, 12):
        end = (end - timedelta(days=1)).replace(day=1)
    return f"{end.replace(month=end.month - 2):%Y-%m}", f"{end:%Y-%m}"


def test_partnership_user_sees_no_unsuppressed_attrition_figures(client):
    # The guard lets a partnership user ask about their own CSP for a reporting period (a quarter here);
    # the page refuses unsuppressed counts.
    quarter_from, quarter_to = _last_whole_quarter()
    response = call(client, "ashford_partnership", AGGREGATE_OUTPUTS,
                    attrition_inputs(csp="E22000001", from_=quarter_from, to=quarter_to))
    assert response.status_code == 200
    text = texts(response)
    assert "Not available to you" in text
    assert "crimes recorded" not in text


def test_division_lead_sees_own_division_case_list_only(client):
    assert call(client, "north_lead", [CASE_LIST], case_list_inputs(division="NORTH")).status_code == 200
    assert call(client, "north_lead", [CASE_LIST], case_list_inputs(division="SOUTH")).status_code == 403
    # a CSP of another division, and the whole force, are refused too
    assert call(client, "north_lead", [CASE_LIST], case_list_inputs(csp="E22000003")).status_code == 403
    assert call(client, "north_lead", [CASE_LIST], case_list_inputs()).status_code == 403


def test_case_list_download_is_the_filtered_list_in_words(client, con):
    response = call(client, "coordinator", [CASE_CSV], [CSV_CLICK],
                    state=case_list_inputs(division="SOUTH", outcome="16"))
    assert response.status_code == 200
    content = response.get_json()["response"][CASE_CSV[0]]["data"]["content"]
    rows = list(csv.DictReader(io.StringIO(content)))
    expected = attrition.case_list(con, "division", "SOUTH", *PERIOD, outcome_type="16")
    assert len(rows) == len(expected)
    assert list(rows[0])[:4] == ["Incident", "Crime number", "Crime recorded", "Offence group"]
    assert {row["Outcome"] for row in rows} == {"Evidential difficulties: victim does not support action (outcome 16)"}
    assert {row["Division"] for row in rows} == {"South Division"}
    assert sorted(row["Incident"] for row in rows) == sorted(expected["incident_id"])
    # Days to each stage as numbers a spreadsheet can sort (on screen they read "5 hours", "31 days").
    by_incident = {row["Incident"]: row for row in rows}
    arrested = 0
    for case in expected.itertuples():
        shown = by_incident[case.incident_id]["Days to arrest"]
        if pd.isna(case.days_to_arrest):
            assert shown == ""
        else:
            assert float(shown) == round(case.days_to_arrest, 1)
            arrested += 1
    assert arrested > 0


def test_attrition_shows_a_partnership_in_its_own_division(client):
    # The address names a partnership and another division: the controls show the partnership's division
    # and a message says so (the "North / Choose a partnership" beside Thurrock's figures).
    response = open_route(client, "coordinator", "/attrition", "?csp=E22000003")
    page = list(components(response.get_json()))
    division = next(c for c in page if c["props"].get("id") == ids.filter_id("attrition", "division"))
    csp = next(c for c in page if c["props"].get("id") == ids.filter_id("attrition", "csp"))
    assert (division["props"]["value"], csp["props"]["value"]) == ("SOUTH", "E22000003")
    assert {o["value"] for o in csp["props"]["options"]} == {"", "E22000003", "E22000004"}


# --- daily meeting -----------------------------------------------------------------------------------


def daily_inputs(division="", meeting=MEETING):
    return [filter_input("daily", "meeting", meeting), filter_input("daily", "division", division)]


SUMMARY_OUTPUTS = [(ids.page_id("daily", "window"), "children"), (ids.page_id("daily", "summary"), "children"),
                   (ids.page_id("daily", "present-link"), "href")]
ACTIONS = [(ids.page_id("daily", "actions"), "children")]


def summary_call(client, user, division="", meeting=MEETING):
    return call(client, user, SUMMARY_OUTPUTS, daily_inputs(division, meeting),
                state=[{"id": ids.page_id("daily", "view"), "property": "data", "value": "briefing"}])


def counts_shown(response) -> dict[tuple[str, str], str]:
    """(division, list) -> the count a summary card shows."""
    return {(c["props"]["data-division"], c["props"]["data-summary"]): c["props"]["children"]
            for c in components(response.get_json()) if "data-division" in c["props"]}


def test_daily_summary_counts_each_list_by_division(client, con):
    window = daily.meeting_window(MEETING_AT)
    divisions = con.execute("SELECT division_code, division_name FROM divisions ORDER BY division_code").df()
    summary = daily.daily_summary(con, window, divisions).set_index("division_code")
    response = summary_call(client, "coordinator")
    assert response.status_code == 200
    text = texts(response)
    assert (f"from {format_datetime(window.start)} to the meeting at {format_datetime(window.end, with_year=True)} "
            f"({window.hours} hours)") in text
    shown = counts_shown(response)
    for division in DIVISIONS:
        for key in daily.ACTION_LISTS:
            assert shown[(division, key)] == format_count(summary.loc[division, key]), (division, key)
    assert summary["new_incidents"].sum() > 0


def test_daily_counts_equal_their_lists_rows(client, con):
    window = daily.meeting_window(MEETING_AT)
    lists = daily.action_lists(con, window, "NORTH")
    response = call(client, "coordinator", ACTIONS, daily_inputs("NORTH"))
    assert response.status_code == 200
    grids = {c["props"]["id"]["grid"]: c["props"] for c in components(response.get_json())
             if isinstance(c["props"].get("id"), dict) and c["props"]["id"].get("type") == "grid"}
    badges = {c["props"]["data-list-count"]: c["props"]["children"] for c in components(response.get_json())
              if "data-list-count" in c["props"]}
    summary = counts_shown(summary_call(client, "coordinator", "NORTH"))
    for key, frame in lists.items():
        assert badges[key] == summary[("NORTH", key)] == format_count(len(frame)), key
        grid = grids.get(ids.page_id("daily", f"grid-{key}"))
        assert (len(grid["rowData"]) if grid else 0) == len(frame), key
    assert sum(len(frame) for frame in lists.values()) > 0


def test_daily_lists_are_in_words(client, con):
    window = daily.meeting_window(MEETING_AT)
    response = call(client, "coordinator", ACTIONS, daily_inputs())
    grids = [c["props"] for c in components(response.get_json())
             if isinstance(c["props"].get("id"), dict) and c["props"]["id"].get("type") == "grid"]
    assert grids
    for grid in grids:
        for definition in grid["columnDefs"]:
            assert "_" not in definition["headerName"] and definition["headerName"][0].isupper()
        for row in grid["rowData"]:
            shown = [row.get(f"{d['field']}_text", row[d["field"]]) for d in grid["columnDefs"]]
            assert not any(isinstance(v, bool) for v in shown)
            assert not any(isinstance(v, str) and "T" in v[10:11] for v in shown)  # no ISO moment shown
    repeat = daily.repeat_victims(con, window)
    if len(repeat):
        grid = next(g for g in grids if g["id"]["grid"] == ids.page_id("daily", "grid-repeat_victims"))
        first = grid["rowData"][0]
        assert first["latest_reported_at_text"] == format_datetime(repeat["latest_reported_at"].iloc[0])
        assert first["division_name"] in DIVISIONS.values()


def test_daily_with_no_data_says_so(client):
    response = summary_call(client, "coordinator", meeting="2099-01-06T08:00")
    text = texts(response)
    assert "No records cover this meeting" in text
    assert response.get_json()["response"][ids.page_id("daily", "summary")]["children"] is None


def test_daily_opens_on_the_last_working_days_meeting_and_explains_a_bad_address(client):
    response = open_route(client, "coordinator", "/daily", "?meeting=yesterday&division=NOWHERE")
    page = list(components(response.get_json()))
    meeting = next(c for c in page if c["props"].get("id") == ids.filter_id("daily", "meeting"))["props"]["value"]
    # the synthetic force ends with last month: the first working day after it, at 08:00
    opened = datetime.fromisoformat(meeting)
    assert opened.time() == time(8, 0) and daily.is_working_day(opened.date()) and opened.date() > LAST_MONTH
    text = json.dumps(response.get_json(), ensure_ascii=False)
    assert "“yesterday” is not a meeting time" in text
    assert "There is no division “NOWHERE” in this data: showing every division instead." in text


def test_daily_takes_its_division_from_the_scope(client, con):
    # The scope is North; the callback's own division argument says South: North's lists it is.
    module = _page_module("daily")
    context = _as_scope(client, "coordinator", "division", "NORTH")
    try:
        sections = module.update_action_lists(MEETING, "SOUTH")
    finally:
        context.pop()
    text = json.dumps([section.to_plotly_json() for section in sections], default=str)
    assert "North Division" in text and "South Division" not in text


def test_daily_refusals(client):
    # A partnership user may not see division figures; a division lead only their own division's lists.
    assert summary_call(client, "ashford_partnership").status_code == 403
    assert call(client, "north_lead", ACTIONS, daily_inputs("SOUTH")).status_code == 403
    assert call(client, "north_lead", ACTIONS, daily_inputs("NORTH")).status_code == 200


def test_a_division_lead_opens_on_their_own_division(client):
    for path in ("/attrition", "/daily"):
        response = open_route(client, "north_lead", path)
        assert response.status_code == 200, path
        division_select = [c for c in components(response.get_json()) if c.get("props", {}).get("id") ==
                           ids.filter_id(path.strip("/"), "division")]
        assert division_select and division_select[0]["props"]["value"] == "NORTH", path


# --- data quality and audit ------------------------------------------------------------------------


def test_data_quality_in_words(client, con):
    outputs = [(ids.page_id("data-quality", "completeness"), "children")]
    inputs = [filter_input("data-quality", "from", FROM), filter_input("data-quality", "to", TO)]
    response = call(client, "analyst", outputs, inputs)
    assert response.status_code == 200
    text = texts(response)
    assert f"Field completeness by division, {PERIOD[0]:%B %Y} to {PERIOD[1]:%B %Y}" in text
    assert "Victim's sex" in text and "victim_sex" not in text
    static = call(client, "analyst", [(ids.page_id("data-quality", n), "children")
                                      for n in ("loads", "quarantine", "unknown-codes", "orphans")],
                  [filter_input("data-quality", "from", FROM)])
    assert static.status_code == 200
    text = texts(static)
    assert "synthetic test force" in text and "Loaded" in text
    assert "arrests:" in text and "protective_orders" not in text
    assert call(client, "north_lead", outputs, inputs).status_code == 403


def test_audit_log_in_words(client):
    # A case list opened (audited), then the log read: roles, actions and filters in words.
    assert call(client, "coordinator", [CASE_LIST], case_list_inputs(division="NORTH")).status_code == 200
    response = call(client, "chief", [(ids.page_id("audit", "table"), "children")],
                    [plain_input(ids.page_id("audit", "action"), "view"), plain_input(ids.page_id("audit", "user"), "")])
    assert response.status_code == 200
    grid = next(c for c in components(response.get_json()) if c["props"].get("columnDefs"))["props"]
    row = next(r for r in grid["rowData"] if r["User"] == "coordinator")
    assert (row["Role"], row["Action"], row["What was opened"]) == ("Domestic abuse coordinator", "Viewed",
                                                                    "attrition case list")
    assert "division: North Division" in row["Filters"] and "NORTH" not in row["Filters"]
    assert "T" not in row["When"][10:11]
    assert call(client, "coordinator", [(ids.page_id("audit", "table"), "children")],
                [plain_input(ids.page_id("audit", "action"), "any"),
                 plain_input(ids.page_id("audit", "user"), "")]).status_code == 403

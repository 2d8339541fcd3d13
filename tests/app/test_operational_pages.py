"""The operational pages over HTTP (Flask test client): their callbacks answer with the metrics layer's
numbers, and record-level views are refused to those the access policy does not allow.

Signed in through the proxy mode (a trusted address sends the user name; role and units come from the
users file), so each request can be a different principal.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from app import ids
from metrics import attrition, daily
from tests.dash_requests import components
from tests.dash_requests import post_callback as call

# The synthetic force ends with last month: the tests look at its last 12 whole months, and a meeting
# on the 20th of its last month.
LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
FIRST_MONTH = (LAST_MONTH - timedelta(days=330)).replace(day=1)
FROM, TO = f"{FIRST_MONTH:%Y-%m}", f"{LAST_MONTH:%Y-%m}"
PERIOD = (FIRST_MONTH, date.today().replace(day=1) - timedelta(days=1))
MEETING_AT = datetime.combine(LAST_MONTH.replace(day=20), time(8, 0))
MEETING = f"{MEETING_AT:%Y-%m-%dT%H:%M}"


def filter_input(page: str, name: str, value) -> dict:
    return {"id": ids.filter_id(page, name), "property": "value", "value": value}


def plain_input(component_id: str, value) -> dict:
    return {"id": component_id, "property": "value", "value": value}


def attrition_inputs(division="", csp=""):
    return [filter_input("attrition", "from", FROM), filter_input("attrition", "to", TO),
            filter_input("attrition", "division", division), filter_input("attrition", "csp", csp)]


AGGREGATE_OUTPUTS = [(ids.page_id("attrition", name), "children")
                     for name in ("summary", "funnel", "outcomes", "timings", "by-unit")]
CASE_LIST = (ids.page_id("attrition", "case-list"), "children")


def case_list_inputs(division="", csp="", stage_lost="any", outcome="any"):
    return attrition_inputs(division, csp) + [plain_input(ids.page_id("attrition", "stage-lost"), stage_lost),
                                              plain_input(ids.page_id("attrition", "outcome-type"), outcome)]


def test_pages_render_for_a_signed_in_user(client):
    for path in ("/attrition", "/daily", "/data-quality"):
        response = client.get(path, headers={"X-Forwarded-User": "coordinator", "Accept": "text/html"})
        assert response.status_code == 200, path


def test_attrition_aggregates_match_the_metrics_layer(client, con):
    response = call(client, "coordinator", AGGREGATE_OUTPUTS, attrition_inputs(division="SOUTH"))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    funnel = attrition.attrition_funnel(con, "division", "SOUTH", *PERIOD)
    recorded = int(funnel["crimes"].iloc[0])
    assert recorded > 0
    assert f"{recorded:,} crimes recorded in South Division" in text
    convicted = int(funnel.set_index("stage").loc["conviction", "crimes"])
    assert f"{convicted:,} ended in a conviction" in text


def test_attrition_case_list_for_a_coordinator(client, con):
    response = call(client, "coordinator", [CASE_LIST], case_list_inputs(division="NORTH", stage_lost="cps_referral"))
    assert response.status_code == 200
    expected = attrition.case_list(con, "division", "NORTH", *PERIOD, stage_lost="cps_referral")
    payload = response.get_json()["response"][CASE_LIST[0]]["children"]
    text = json.dumps(payload)
    assert f"{len(expected):,} crimes" in text
    assert expected["victim_ref"].dropna().iloc[0] in text
    assert all(len(ref) == 12 for ref in expected["victim_ref"].dropna())


def test_partnership_user_is_refused_the_case_list(client):
    response = call(client, "ashford_partnership", [CASE_LIST], case_list_inputs(csp="E22000001"))
    assert response.status_code == 403
    download = call(client, "ashford_partnership", [(ids.download_id("attrition", "case-list-csv"), "data")],
                    [plain_input(ids.page_id("attrition", "case-list-csv"), 1)],
                    state=case_list_inputs(csp="E22000001"))
    assert download.status_code == 403


def test_partnership_user_sees_no_unsuppressed_attrition_figures(client):
    # The guard lets a partnership user ask about their own CSP; the page refuses unsuppressed counts.
    response = call(client, "ashford_partnership", AGGREGATE_OUTPUTS, attrition_inputs(csp="E22000001"))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Not available to you" in text
    assert "crimes recorded" not in text


def test_division_lead_sees_own_division_case_list_only(client):
    assert call(client, "north_lead", [CASE_LIST], case_list_inputs(division="NORTH")).status_code == 200
    assert call(client, "north_lead", [CASE_LIST], case_list_inputs(division="SOUTH")).status_code == 403
    # a CSP of another division, and the whole force, are refused too
    assert call(client, "north_lead", [CASE_LIST], case_list_inputs(csp="E22000003")).status_code == 403
    assert call(client, "north_lead", [CASE_LIST], case_list_inputs()).status_code == 403


def test_case_list_download_is_the_filtered_list(client, con):
    response = call(client, "coordinator", [(ids.download_id("attrition", "case-list-csv"), "data")],
                    [plain_input(ids.page_id("attrition", "case-list-csv"), 1)],
                    state=case_list_inputs(division="SOUTH", outcome="16"))
    assert response.status_code == 200
    data = response.get_json()["response"][ids.download_id("attrition", "case-list-csv")]["data"]
    lines = data["content"].strip().splitlines()
    expected = attrition.case_list(con, "division", "SOUTH", *PERIOD, outcome_type="16")
    assert len(lines) == len(expected) + 1  # header + one line per crime
    assert lines[0].startswith("incident_id,crime_ref,victim_ref,suspect_ref")


def daily_inputs(division=""):
    return [filter_input("daily", "meeting", MEETING), filter_input("daily", "division", division)]


def test_daily_summary_and_action_lists(client, con):
    window = daily.meeting_window(MEETING_AT)
    divisions = con.execute("SELECT division_code, division_name FROM divisions ORDER BY division_code").df()
    summary = daily.daily_summary(con, window, divisions).set_index("division_code")
    response = call(client, "coordinator", [(ids.page_id("daily", "window"), "children"),
                                            (ids.page_id("daily", "summary"), "children")], daily_inputs())
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f"{window.hours} hours from {window.start:%A %-d %B %Y %H:%M}" in text
    assert summary["new_incidents"].sum() > 0
    for code in summary.index:
        assert ids.page_id("daily", f"card-{code}") in text
    actions = call(client, "coordinator", [(ids.page_id("daily", "actions"), "children")], daily_inputs("NORTH"))
    assert actions.status_code == 200
    lists = daily.action_lists(con, window, "NORTH")
    for key, title in daily.ACTION_LISTS.items():
        shown = f"{title}: {len(lists[key]):,}" if len(lists[key]) else f"{title}: none."
        assert shown in actions.get_data(as_text=True)


def test_daily_refusals(client):
    # A partnership user may not see division figures; a division lead only their own division's lists.
    summary_outputs = [(ids.page_id("daily", "window"), "children"), (ids.page_id("daily", "summary"), "children")]
    assert call(client, "ashford_partnership", summary_outputs, daily_inputs()).status_code == 403
    actions = [(ids.page_id("daily", "actions"), "children")]
    assert call(client, "north_lead", actions, daily_inputs("SOUTH")).status_code == 403
    assert call(client, "north_lead", actions, daily_inputs("NORTH")).status_code == 200


def test_data_quality_callbacks(client, con):
    outputs = [(ids.page_id("data-quality", "completeness"), "children")]
    inputs = [filter_input("data-quality", "from", FROM), filter_input("data-quality", "to", TO)]
    response = call(client, "analyst", outputs, inputs)
    assert response.status_code == 200
    assert (f"Field completeness by division, {PERIOD[0]:%B %Y} to {PERIOD[1]:%B %Y}"
            in response.get_data(as_text=True))
    static = call(client, "analyst", [(ids.page_id("data-quality", n), "children")
                                      for n in ("loads", "quarantine", "unknown-codes", "orphans")],
                  [filter_input("data-quality", "from", FROM)])
    assert static.status_code == 200
    assert "synthetic test force" in static.get_data(as_text=True)
    assert call(client, "north_lead", outputs, inputs).status_code == 403


def test_a_division_lead_opens_on_their_own_division(client):
    for path in ("/attrition", "/daily"):
        response = call(client, "north_lead", [("_pages_content", "children"), ("_pages_store", "data")],
                        [{"id": "_pages_location", "property": "pathname", "value": path},
                         {"id": "_pages_location", "property": "search", "value": ""}])
        assert response.status_code == 200, path
        division_select = [c for c in components(response.get_json()) if c.get("props", {}).get("id") ==
                           ids.filter_id(path.strip("/"), "division")]
        assert division_select and division_select[0]["props"]["value"] == "NORTH", path


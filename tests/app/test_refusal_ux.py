"""A user always sees data or a clear refusal, never a silent blank: the server guard's 403 is not shown
by Dash, so the pages open every principal on choices the guard allows, offer no others, and say in
words (an ``role="alert"`` refusal) what a principal may not see at all.

Pages are opened as Dash opens them (the router callback) over the Flask test client, signed in through
the proxy mode. Synthetic force: NORTH holds E22000001 and E22000002; SOUTH holds E22000003 and E22000004.
"""
from __future__ import annotations

import json

import pytest

from app import ids
from tests.dash_requests import components, open_route
from tests.dash_requests import post_callback as post

REFUSED = "Not available to you"


def open_page(client, user: str, path: str, search: str = "") -> list[dict]:
    """The page's layout as the router renders it: every component, depth first."""
    response = open_route(client, user, path, search)
    assert response.status_code == 200, (user, path, search)
    return list(components(response.get_json()))


def by_id(components: list[dict], component_id) -> dict | None:
    found = [c for c in components if c["props"].get("id") == component_id]
    return found[0]["props"] if found else None


def refusals(components: list[dict]) -> list[str]:
    """The text of every refusal: an element with role="alert" around "Not available to you"."""
    return [json.dumps(c["props"].get("children")) for c in components
            if c["props"].get("role") == "alert" and REFUSED in json.dumps(c["props"].get("children"))]


def option_values(select: dict) -> list[str]:
    return [option["value"] for option in select["options"]]


CASE_LIST = ids.page_id("attrition", "case-list")
ACTIONS = ids.page_id("daily", "actions")


def filter_input(page: str, name: str, value) -> dict:
    return {"id": ids.filter_id(page, name), "property": "value", "value": value}


@pytest.mark.parametrize(("user", "search", "division", "offered"), [
    ("north_lead", "", "NORTH", ["NORTH"]),
    ("north_lead", "?division=SOUTH", "NORTH", ["NORTH"]),         # another division in the URL
    ("two_division_lead", "", "NORTH", ["NORTH", "SOUTH"]),        # the first of theirs, by name
    ("two_division_lead", "?csp=E22000003", "SOUTH", ["NORTH", "SOUTH"]),  # the partnership's division
])
def test_a_division_lead_opens_the_attrition_page_on_a_case_list_they_may_see(client, user, search, division,
                                                                             offered):
    page = open_page(client, user, "/attrition", search)
    select = by_id(page, ids.filter_id("attrition", "division"))
    assert select["value"] == division
    assert option_values(select) == offered  # no "All divisions": a force-wide case list is refused
    assert by_id(page, CASE_LIST) is not None and not refusals(page)
    csp = by_id(page, ids.filter_id("attrition", "csp"))["value"]
    # ... and the case list the page opens on answers (200), it is not the guard's silent 403
    inputs = [filter_input("attrition", "from", ""), filter_input("attrition", "to", ""),
              filter_input("attrition", "division", division), filter_input("attrition", "csp", csp),
              {"id": ids.page_id("attrition", "stage-lost"), "property": "value", "value": "any"},
              {"id": ids.page_id("attrition", "outcome-type"), "property": "value", "value": "any"}]
    assert post(client, user, [(CASE_LIST, "children")], inputs).status_code == 200


def test_a_division_lead_loses_a_partnership_of_another_division_from_the_url(client):
    page = open_page(client, "north_lead", "/attrition", "?csp=E22000003")  # E22000003 is in SOUTH
    assert by_id(page, ids.filter_id("attrition", "division"))["value"] == "NORTH"
    assert by_id(page, ids.filter_id("attrition", "csp"))["value"] == ""


@pytest.mark.parametrize(("user", "search", "division", "offered"), [
    ("north_lead", "", "NORTH", ["NORTH"]),
    ("north_lead", "?division=SOUTH", "NORTH", ["NORTH"]),
    ("two_division_lead", "", "NORTH", ["NORTH", "SOUTH"]),
])
def test_a_division_lead_opens_the_daily_meeting_on_their_own_division(client, user, search, division, offered):
    page = open_page(client, user, "/daily", search)
    select = by_id(page, ids.filter_id("daily", "division"))
    assert select["value"] == division
    assert option_values(select) == offered
    assert by_id(page, ACTIONS) is not None and not refusals(page)
    inputs = [filter_input("daily", "meeting", ""), filter_input("daily", "division", division)]
    assert post(client, user, [(ACTIONS, "children")], inputs).status_code == 200


def test_force_wide_roles_keep_every_division(client):
    for path in ("/attrition", "/daily"):
        page = open_page(client, "coordinator", path)
        select = by_id(page, ids.filter_id(path.strip("/"), "division"))
        assert option_values(select) == ["", "NORTH", "SOUTH"], path
        assert not refusals(page), path


def test_an_analyst_is_told_the_case_and_action_lists_are_not_theirs(client):
    # The analyst sees the aggregates, but every case list is refused: a refusal in words, and no list
    # (nor its download button) for the guard to answer with a silent 403.
    attrition_page = open_page(client, "analyst", "/attrition")
    assert by_id(attrition_page, ids.page_id("attrition", "summary")) is not None
    assert by_id(attrition_page, CASE_LIST) is None
    assert by_id(attrition_page, ids.page_id("attrition", "case-list-csv")) is None
    assert any("Case lists are for chief officers" in text for text in refusals(attrition_page))
    daily_page = open_page(client, "analyst", "/daily")
    assert by_id(daily_page, ids.page_id("daily", "summary")) is not None
    assert by_id(daily_page, ACTIONS) is None
    assert any("Action lists are for chief officers" in text for text in refusals(daily_page))


def test_a_partnership_user_is_told_attrition_is_not_theirs(client):
    page = open_page(client, "ashford_partnership", "/attrition")
    assert any("partnership page" in text for text in refusals(page))
    # nothing left whose callback the guard would refuse
    assert by_id(page, ids.filter_id("attrition", "division")) is None
    assert by_id(page, CASE_LIST) is None
    assert by_id(page, ids.page_id("attrition", "summary")) is None


def test_a_partnership_user_is_offered_only_their_own_partnership(client):
    page = open_page(client, "ashford_partnership", "/partnership")
    select = by_id(page, ids.filter_id("partnership", "csp"))
    assert option_values(select) == ["", "E22000001"]
    assert select["value"] == "E22000001"  # their one partnership, opened on
    assert not refusals(page)
    everyone = by_id(open_page(client, "coordinator", "/partnership"), ids.filter_id("partnership", "csp"))
    assert set(option_values(everyone)) == {"", "E22000001", "E22000002", "E22000003", "E22000004"}


def test_a_partnership_account_with_no_partnership_in_the_data_is_told_so(client):
    page = open_page(client, "unlinked_partnership", "/partnership")
    assert any("not linked to a community safety partnership" in text for text in refusals(page))
    assert by_id(page, ids.filter_id("partnership", "csp")) is None

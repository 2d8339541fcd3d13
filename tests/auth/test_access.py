"""Every role against every callback, page and download that returns record-level or other-unit data,
posted over HTTP exactly as Dash posts it: allowed where the role table allows, 403 everywhere else.

The callbacks are found from the app itself (its callback map) and from the record-level registry the
page modules fill (``app.auth.guard.record_level``), so a new page is covered without editing this file.

Synthetic force: NORTH holds E22000001 and E22000002; SOUTH holds E22000003 and E22000004.
Users (tests/auth/conftest.py): division_lead north_lead -> NORTH; partnership ashford -> E22000001.
"""
from __future__ import annotations


import json
from datetime import date, timedelta

import pytest

from app.auth import audit, guard, store
from app.auth.policy import ROLES
from tests.auth.conftest import auth_environment, sign_in
from tests.conftest import FORCE
from tests.dash_requests import callback_body, grid_rows, is_pattern, outputs_of, parse_id

HTML = {"Accept": "text/html"}

# Scope of a request: the unit filters it sends.
SCOPES = {
    "force": {},
    "NORTH": {"division": "NORTH"},
    "SOUTH": {"division": "SOUTH"},
    "E22000001": {"csp": "E22000001"},  # in NORTH
    "E22000003": {"csp": "E22000003"},  # in SOUTH
}
# Case lists and action lists: the role table, written out by hand.
RECORD_LEVEL_ALLOWED = {
    "chief_officer": set(SCOPES),
    "coordinator": set(SCOPES),
    "division_lead": {"NORTH", "E22000001"},  # own division, or a partnership inside it
    "partnership": set(),
    "analyst": set(),
}


def _filter_names(entry: dict) -> set[str]:
    names = set()
    for spec in entry["inputs"] + entry["state"]:
        component_id = parse_id(spec["id"])
        if isinstance(component_id, dict) and component_id.get("type") == "filter":
            names.add(component_id["name"])
    return names


def _server_callbacks(app) -> dict[str, dict]:
    """Every server-side callback with concrete ids (pattern-matching ones are checked separately)."""
    return {
        key: entry for key, entry in app.callback_map.items()
        if entry.get("callback") is not None and entry["inputs"]
        and not any(is_pattern(spec["id"]) for spec in entry["inputs"] + entry["state"])
        and not any(isinstance(o.component_id, dict) for o in outputs_of(entry))
        and not key.startswith(("_pages", ".._pages"))
    }


def _record_level_keys(app) -> list[str]:
    return sorted(key for key, entry in _server_callbacks(app).items()
                  if any(guard.declared_record_level(o.component_id) for o in outputs_of(entry)))


def _page_keys(app, page: str) -> list[str]:
    return sorted(key for key, entry in _server_callbacks(app).items()
                  if any(str(o.component_id).startswith(page + "-") for o in outputs_of(entry))
                  and not any(guard.declared_record_level(o.component_id) for o in outputs_of(entry)))


def post(client, body: dict):
    return client.post("/_dash-update-component", json=body)


def test_the_pages_declare_their_record_level_outputs(standalone):
    keys = _record_level_keys(standalone.app)
    assert any(key.startswith("attrition-case-list.") for key in keys)
    assert any(key.startswith("attrition-case-list-csv-download.") for key in keys)
    assert any(key.startswith("daily-actions.") for key in keys)


@pytest.mark.parametrize("role", ROLES)
def test_record_level_callbacks_follow_the_role_table(standalone, clients, role):
    app, client = standalone.app, clients[role]
    checked = 0
    for key in _record_level_keys(app):
        names = _filter_names(app.callback_map[key])
        for scope, filters in SCOPES.items():
            if not set(filters) <= names:
                continue  # this callback has no such filter (the daily page has no partnership filter)
            response = post(client, callback_body(app, key, filters))
            expected = 200 if scope in RECORD_LEVEL_ALLOWED[role] else 403
            assert response.status_code == expected, (role, key, scope, response.data[:200])
            checked += 1
    assert checked >= 13  # attrition list and download x 5 scopes, daily actions x 3 scopes


def test_record_level_views_and_refusals_are_audited(standalone, clients):
    app = standalone.app
    key = next(k for k in _record_level_keys(app) if k.startswith("attrition-case-list."))
    download = next(k for k in _record_level_keys(app) if k.startswith("attrition-case-list-csv-download."))
    assert post(clients["coordinator"], callback_body(app, key, {"division": "SOUTH", "from": "2024-01"})).status_code == 200
    assert post(clients["coordinator"], callback_body(app, download, {"csp": "E22000003"})).status_code == 200
    assert post(clients["partnership"], callback_body(app, key, {"csp": "E22000001"})).status_code == 403
    # Refused for another unit before the case-list rule is even reached: still a refused record-level view.
    assert post(clients["partnership"], callback_body(app, download, {"csp": "E22000003"})).status_code == 403
    newest = audit.read_audit(4)
    # A view or export records what the query used: the scope the guard resolved (force, level, unit and
    # the unit's division) and the period the case list was drawn from (a month not given is the default
    # period's: the 12 months to the end of the data, which the synthetic force ends last month). A refusal
    # records what was asked, as named: there is no scope it was allowed to use.
    last_month = date.today().replace(day=1) - timedelta(days=1)
    first_of_year = date(last_month.year - (last_month.month < 12), last_month.month % 12 + 1, 1)
    assert [(e.username, e.action, e.view, e.filters) for e in newest] == [
        ("ashford", "refused", "attrition case list", {"csp": "E22000003"}),
        ("ashford", "refused", "attrition case list", {"csp": "E22000001"}),
        ("coord", "export", "attrition case list",
         {"force": FORCE, "level": "csp", "unit": "E22000003", "division": "SOUTH",
          "from": f"{first_of_year:%Y-%m}", "to": f"{last_month:%Y-%m}"}),
        ("coord", "view", "attrition case list",
         {"force": FORCE, "level": "division", "unit": "SOUTH", "division": "SOUTH", "from": "2024-01",
          "to": f"{last_month:%Y-%m}"}),
    ]


def test_aggregate_views_do_not_write_the_audit_log(standalone, clients):
    app = standalone.app
    before = len(audit.read_audit(10_000))
    key = next(k for k in _server_callbacks(app) if "attrition-summary" in k)
    assert post(clients["coordinator"], callback_body(app, key, {})).status_code == 200
    assert len(audit.read_audit(10_000)) == before


def test_partnership_user_is_refused_other_partnerships_and_divisions_on_every_callback(standalone, clients):
    app, client = standalone.app, clients["partnership"]
    checked = 0
    for key, entry in _server_callbacks(app).items():
        names = _filter_names(entry)
        if "csp" in names:
            response = post(client, callback_body(app, key, {"csp": "E22000003"}))
            assert response.status_code == 403, (key, response.data[:200])
            checked += 1
        if "division" in names:
            response = post(client, callback_body(app, key, {"division": "NORTH"}))
            assert response.status_code == 403, (key, response.data[:200])
            checked += 1
    assert checked >= 4


def test_partnership_user_gets_own_partnership_aggregates(standalone, clients):
    app = standalone.app
    keys = [k for k, e in _server_callbacks(app).items() if "csp" in _filter_names(e)
            and not any(guard.declared_record_level(o.component_id) for o in outputs_of(e))]
    assert keys
    for key in keys:
        response = post(clients["partnership"], callback_body(app, key, {"csp": "E22000001"}))
        assert response.status_code == 200, (key, response.data[:200])


# Pages whose every callback is limited to some roles: page -> roles allowed.
PAGE_ROLES = {
    "data-quality": {"analyst", "chief_officer", "coordinator"},
    "audit": {"analyst", "chief_officer"},
    "daily": {"chief_officer", "coordinator", "division_lead", "analyst"},
}


@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
def test_restricted_pages_callbacks_follow_the_role_table(standalone, clients, page):
    app = standalone.app
    keys = _page_keys(app, page)
    assert keys, f"no callbacks found for {page}"
    for role in ROLES:
        for key in keys:
            response = post(clients[role], callback_body(app, key, {}))
            expected = 200 if role in PAGE_ROLES[page] else 403
            assert response.status_code == expected, (role, key, response.data[:200])


def _router_body(path: str, search: str = "") -> dict:
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "state": [],
        "changedPropIds": ["_pages_location.pathname"],
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_page_layout_follows_the_role_table(clients, role):
    """Every registered page, opened as Dash opens it (the router callback): 403 only where the role may
    not have the page at all; elsewhere the page answers, and refuses in its own words what it must."""
    import dash

    paths = sorted(page["path"] for page in dash.page_registry.values())
    assert {"/", "/attrition", "/daily", "/data-quality", "/audit"} <= set(paths)
    for path in paths:
        response = post(clients[role], _router_body(path))
        page = path.strip("/")
        expected = 403 if page in PAGE_ROLES and role not in PAGE_ROLES[page] else 200
        assert response.status_code == expected, (role, path, response.data[:200])


def test_page_urls_naming_another_unit_are_refused(clients):
    partnership = clients["partnership"]
    assert post(partnership, _router_body("/attrition", "?csp=E22000003")).status_code == 403
    assert post(partnership, _router_body("/division", "?division=SOUTH")).status_code == 403
    assert post(partnership, _router_body("/", "")).status_code == 200
    assert partnership.get("/attrition?csp=E22000003", headers=HTML).status_code == 403
    assert partnership.get("/attrition?csp=E22000001", headers=HTML).status_code == 200
    assert clients["division_lead"].get("/attrition?division=SOUTH", headers=HTML).status_code == 200  # aggregates
    # An address naming a partnership outside the division it also names opens the page, which says so
    # (the router's rule), rather than a bare refusal for someone who may see both.
    assert clients["chief_officer"].get("/attrition?division=NORTH&csp=E22000003", headers=HTML).status_code == 200
    assert clients["chief_officer"].get("/division?division=NORTH&csp=E22000003", headers=HTML).status_code == 200


def test_tile_context_naming_another_partnership_is_refused(standalone, clients):
    """Stores that carry a (level, unit) context are checked like filters."""
    body = {
        "output": '{"page":["MATCH"],"type":"breakdown-view"}.children',
        "outputs": {"id": {"type": "breakdown-view", "page": "partnership"}, "property": "children"},
        "inputs": [{"id": {"type": "breakdown-select", "page": "partnership"}, "property": "value", "value": "victim_sex"}],
        "state": [{"id": {"type": "breakdown-context", "page": "partnership"}, "property": "data",
                   "value": {"metric": "m", "level": "csp", "unit": "E22000003", "from": "2025-01-01", "to": "2025-12-31"}},
                  {"id": {"type": "breakdown-context", "page": "partnership"}, "property": "id",
                   "value": {"type": "breakdown-context", "page": "partnership"}}],
        "changedPropIds": ['{"page":"partnership","type":"breakdown-select"}.value'],
    }
    assert post(clients["partnership"], body).status_code == 403


def test_forbidden_raised_inside_a_callback_is_a_403_not_a_500(standalone, clients):
    """The audit page's callback calls ``require`` itself; with the guard's page rule taken away for this
    request the callback's own refusal must still come back as 403."""
    app = standalone.app
    key = _page_keys(app, "audit")[0]
    rule = guard.PAGE_RULES.pop("audit")
    try:
        response = post(clients["coordinator"], callback_body(app, key, {}))
    finally:
        guard.PAGE_RULES["audit"] = rule
    assert response.status_code == 403
    assert b"Not permitted" in response.data


def test_callbacks_must_be_json(clients):
    response = clients["chief_officer"].post("/_dash-update-component", data={"output": "x"})
    assert response.status_code == 403


def test_a_record_level_view_that_cannot_be_audited_is_not_shown(standalone, prepared_users, tmp_path, monkeypatch):
    app = standalone.app
    url = auth_environment(monkeypatch, tmp_path, prepared_users)
    client, _ = sign_in(standalone.server, "coord")
    with store.writing() as con:  # the log can no longer be appended to; sessions still work
        con.exec_driver_sql("DROP TABLE daperf_audit_head")
    assert store.state_url() == url
    key = next(k for k in _record_level_keys(app) if k.startswith("attrition-case-list."))
    response = post(client, callback_body(app, key, {"division": "NORTH"}))
    assert response.status_code == 500
    assert b"rowData" not in response.data


# --- issue 11: what is checked is what is queried is what is logged -------------------------------


NORTH_PARTNERSHIPS = {"E22000001", "E22000002", "Ashford Vale", "Brookmere"}
SOUTH_PARTNERSHIPS = {"E22000003", "E22000004", "Castleton", "Dunwick Isle"}


def _case_list_key(app) -> str:
    return next(k for k in _record_level_keys(app) if k.startswith("attrition-case-list."))


def _renamed(body: dict, name: str) -> dict:
    """The body with the ``name`` filter input's id changed, as an attacker would send it: Dash still
    hands the value to the callback by position."""
    for item in body["inputs"] + body["state"]:
        if isinstance(item["id"], dict) and item["id"].get("name") == name:
            item["id"] = {**item["id"], "name": f"{name}-decoy"}
    return body


def _rows(response) -> list[dict]:
    import json

    return grid_rows(json.loads(response.data))


def test_finding_3_a_renamed_input_is_refused_not_answered_and_the_refusal_is_logged(standalone, clients):
    """Issue 11 finding 3: a chief officer posting the case list with the division input's id renamed got
    that division's records while the log showed only the period. The request is not the callback it
    names, so it is refused (400) before anything runs, and the refusal is in the log."""
    app = standalone.app
    for key, view in ((_case_list_key(app), "attrition case list"),
                      (next(k for k in _record_level_keys(app) if k.startswith("daily-actions.")), "daily action lists")):
        before = len(audit.read_audit(10_000))
        body = _renamed(callback_body(app, key, {"division": "SOUTH"}), "division")
        response = post(clients["chief_officer"], body)
        assert response.status_code == 400, (key, response.data[:200])
        assert b"rowData" not in response.data
        newest = audit.read_audit(10_000)
        assert len(newest) == before + 1
        assert (newest[0].username, newest[0].action, newest[0].view, newest[0].filters) == (
            "chief", "refused", view, {"request": "malformed"})


def test_finding_3_other_ways_of_not_being_the_declared_callback_are_refused(standalone, clients):
    app, client = standalone.app, clients["chief_officer"]
    key = _case_list_key(app)
    good = callback_body(app, key, {"division": "NORTH"})
    assert post(client, good).status_code == 200
    changed_property = callback_body(app, key, {"division": "NORTH"})
    changed_property["inputs"][2]["property"] = "children"
    dropped_input = callback_body(app, key, {"division": "NORTH"})
    dropped_input["inputs"].pop()
    extra_input = callback_body(app, key, {"division": "NORTH"})
    extra_input["inputs"].append({"id": {"type": "filter", "page": "attrition", "name": "csp"}, "property": "value",
                                  "value": "E22000003"})
    other_output = callback_body(app, key, {"division": "NORTH"})
    other_output["outputs"] = {"id": "attrition-summary", "property": "children"}
    foreign_trigger = callback_body(app, key, {"division": "NORTH"})
    foreign_trigger["changedPropIds"] = ["somewhere-else.value"]
    for body in (changed_property, dropped_input, extra_input, other_output, foreign_trigger):
        assert post(client, body).status_code == 400, body


def test_the_audit_row_names_the_unit_whose_records_were_sent(standalone, clients):
    """The division lead's case list: every row sent is of the division the log records."""
    app = standalone.app
    response = post(clients["division_lead"], callback_body(app, _case_list_key(app), {"division": "NORTH"}))
    assert response.status_code == 200
    rows = _rows(response)
    assert rows
    for row in rows:  # each row names its partnership (by code or name): one of NORTH's, never SOUTH's
        shown = {str(value) for value in row.values()}
        assert shown & NORTH_PARTNERSHIPS and not shown & SOUTH_PARTNERSHIPS, row
    entry = audit.read_audit(1)[0]
    assert (entry.username, entry.action) == ("north_lead", "view")
    assert entry.filters["unit"] == "NORTH" and entry.filters["division"] == "NORTH"


def test_finding_4_a_partnership_outside_the_division_named_is_refused_and_logged_as_refused(standalone, clients):
    """Issue 11 finding 4: a division lead sending their own division with a partnership of another
    division was refused by the page but logged as a view. The one scope refuses the contradiction; the
    guard's refusal (its words, not the page's) is what the log says."""
    app = standalone.app
    response = post(clients["division_lead"],
                    callback_body(app, _case_list_key(app), {"division": "NORTH", "csp": "E22000003"}))
    assert response.status_code == 403
    assert b"not in division NORTH" in response.data
    entry = audit.read_audit(1)[0]
    assert (entry.username, entry.action, entry.filters) == (
        "north_lead", "refused", {"division": "NORTH", "csp": "E22000003"})
    # Another division's partnership alone: the guard refuses the case list before the page runs.
    response = post(clients["division_lead"], callback_body(app, _case_list_key(app), {"csp": "E22000003"}))
    assert response.status_code == 403
    assert b"attrition case list for division SOUTH" in response.data
    assert audit.read_audit(1)[0].action == "refused"


def test_finding_8_an_unknown_stage_is_a_bad_request_not_a_server_error(standalone, clients):
    """Issue 11 finding 8: an unknown stage value gave HTTP 500."""
    app = standalone.app
    body = callback_body(app, _case_list_key(app), {"division": "NORTH"})
    for item in body["inputs"]:
        if item["id"] == "attrition-stage-lost":
            item["value"] = "not-a-stage"
    response = post(clients["coordinator"], body)
    assert response.status_code == 400
    assert b"rowData" not in response.data


@pytest.mark.parametrize("value", [{"code": "NORTH"}, 7, "NORTH'; DROP TABLE incidents; --", "x" * 200, ["NORTH", 3]])
def test_a_filter_value_of_the_wrong_shape_is_a_bad_request(standalone, clients, value):
    app = standalone.app
    body = callback_body(app, _case_list_key(app), {})
    for item in body["inputs"]:
        if isinstance(item["id"], dict) and item["id"]["name"] == "division":
            item["value"] = value
    assert post(clients["coordinator"], body).status_code == 400


def test_requests_that_are_not_callbacks_are_bad_requests(clients):
    client = clients["chief_officer"]
    assert client.post("/_dash-update-component", data="{not json", content_type="application/json").status_code == 400
    assert client.post("/_dash-update-component", json=[1, 2]).status_code == 400
    unknown = {"output": "nope.children", "outputs": {"id": "nope", "property": "children"}, "inputs": [],
               "changedPropIds": []}
    assert client.post("/_dash-update-component", json=unknown).status_code == 400
    url_sync = {"output": "shell-url-sync.data", "outputs": {"id": "shell-url-sync", "property": "data"},
                "inputs": [[]], "changedPropIds": []}
    assert client.post("/_dash-update-component", json=url_sync).status_code == 400  # a clientside callback


# --- second round of attacks (issue 11, re-tested) ----------------------------------------------------


def _breakdown_body(page: str, unit: str, day_from: str, day_to: str, breakdown: str = "victim_sex") -> dict:
    body = {
        "output": '{"page":["MATCH"],"type":"breakdown-view"}.children',
        "outputs": {"id": {"type": "breakdown-view", "page": page}, "property": "children"},
        "inputs": [{"id": {"type": "breakdown-select", "page": page}, "property": "value", "value": breakdown}],
        "state": [{"id": {"type": "breakdown-context", "page": page}, "property": "data",
                   "value": {"metric": "incidents", "level": "csp", "unit": unit, "from": day_from, "to": day_to}},
                  {"id": {"type": "breakdown-context", "page": page}, "property": "id",
                   "value": {"type": "breakdown-context", "page": page}}],
        "changedPropIds": [f'{{"page":"{page}","type":"breakdown-select"}}.value'],
    }
    return body


def _last_financial_year() -> tuple[date, date]:
    """The synthetic force's newest whole financial year (its data end last month and reach back 42 months)."""
    last_day = date.today().replace(day=1) - timedelta(days=1)
    start = date(last_day.year - (1 if last_day.month >= 3 else 2), 4, 1)
    return start, date(start.year + 1, 3, 31)


def test_a_partnership_member_gets_reporting_periods_only_never_a_day_or_a_run_of_months(standalone, clients):
    """Counts under 5 are hidden, but a breakdown for one day, or two overlapping runs of months, would show
    them by subtraction: a suppressed audience is given whole financial years and their quarters only."""
    app, client = standalone.app, clients["partnership"]
    year_from, year_to = _last_financial_year()
    one_day = (year_to - timedelta(days=30)).isoformat()
    assert post(client, _breakdown_body("overview", "E22000001", one_day, one_day)).status_code == 403
    assert post(client, _breakdown_body("overview", "E22000001", year_from.isoformat(),
                                        year_to.isoformat())).status_code == 200
    # A store that leaves out its unit (so the request is about the force) is held to the same rule.
    unitless = _breakdown_body("overview", "E22000001", one_day, one_day)
    del unitless["state"][0]["value"]["level"], unitless["state"][0]["value"]["unit"]
    assert post(client, unitless).status_code == 403
    # The same breakdown for one day is a chief officer's to have (no suppression, no differencing risk).
    assert post(clients["chief_officer"], _breakdown_body("overview", "E22000001", one_day, one_day)).status_code == 200
    # A run of months on the force overview, and a period of months on the partnership page.
    tiles = next(k for k in _server_callbacks(app) if k.startswith("overview-tiles."))
    month = f"{year_to:%Y-%m}"
    assert post(client, callback_body(app, tiles, {"from": month, "to": month})).status_code == 403
    assert post(clients["chief_officer"], callback_body(app, tiles, {"from": month, "to": month})).status_code == 200
    content = next(k for k in _server_callbacks(app) if k.startswith("partnership-content."))
    months = f"{year_from:%Y-%m}:{year_to:%Y-%m}"
    assert post(client, callback_body(app, content, {"period": months, "csp": "E22000001"})).status_code == 403
    financial_year = f"{year_from.year}-{(year_from.year + 1) % 100:02d}"
    assert post(client, callback_body(app, content, {"period": financial_year, "csp": "E22000001"})).status_code == 200


def test_the_force_overview_points_a_partnership_member_to_the_partnership_page(standalone, clients):
    response = post(clients["partnership"], _router_body("/", "?from=2025-05&to=2025-05"))
    assert response.status_code == 200
    text = json.dumps(response.get_json())  # as the browser reads it (the answer escapes "/")
    assert "on the Partnership page" in text and "/partnership?csp=E22000001" in text
    assert "tile" not in text and "From (month)" not in text  # no figures and no month controls


def test_a_month_that_is_not_a_month_is_a_bad_request_not_logged_as_another_period(standalone, clients):
    """The log used to record "2025-13" while the case list sent the default period's records."""
    app = standalone.app
    key = next(k for k in _record_level_keys(app) if k.startswith("attrition-case-list."))
    for months in ({"from": "2025-13", "to": "2025-04"}, {"from": "2025-04", "to": "2025-00"},
                   {"from": "0000-01", "to": "2026-03"}):
        response = post(clients["coordinator"], callback_body(app, key, {"division": "SOUTH", **months}))
        assert response.status_code == 400, months
    # Nothing was sent: each is logged as a refused request that was not the one the page makes.
    assert [(e.action, e.filters) for e in audit.read_audit(3)] == [("refused", {"request": "malformed"})] * 3


@pytest.mark.parametrize("value", [["2025-04"], [None], ["x"], 202504, {"month": "2025-04"}])
def test_a_filter_holds_one_value_never_a_list(standalone, clients, value):
    app = standalone.app
    for output in ("overview-tiles.", "attrition-summary.", "partnership-content.", "compare-content."):
        key = next(k for k in _server_callbacks(app) if output in k)
        name = "period" if output.startswith(("partnership", "compare")) else "from"
        response = post(clients["chief_officer"], callback_body(app, key, {name: value}))
        assert response.status_code == 400, (output, value, response.data[:200])


def _with_value(body: dict, component_id: str, value) -> dict:
    for item in body["inputs"] + body["state"]:
        if item["id"] == component_id:
            item["value"] = value
    return body


@pytest.mark.parametrize("value", [5, True, ["1A"], {"code": "1A"}, "1A' OR '1'='1"])
def test_a_stage_or_outcome_of_the_wrong_shape_is_a_bad_request(standalone, clients, value):
    app = standalone.app
    key = next(k for k in _record_level_keys(app) if k.startswith("attrition-case-list."))
    for control in ("attrition-outcome-type", "attrition-stage-lost"):
        body = _with_value(callback_body(app, key, {"division": "NORTH"}), control, value)
        assert post(clients["coordinator"], body).status_code == 400, (control, value)


@pytest.mark.parametrize("value", [7, ["refused"], {"a": 1}])
def test_the_audit_pages_controls_take_words_only(standalone, clients, value):
    app = standalone.app
    key = next(k for k in _server_callbacks(app) if k.startswith("audit-table."))
    for control in ("audit-action", "audit-user"):
        body = _with_value(callback_body(app, key, {}), control, value)
        assert post(clients["analyst"], body).status_code == 400, (control, value)


@pytest.mark.parametrize(("path", "search"), [("abc", ""), (5, ""), ("/", 5), (["/"], ""), ("/", ["?x"])])
def test_the_router_takes_a_path_and_a_query_string_only(clients, path, search):
    assert post(clients["chief_officer"], _router_body(path, search)).status_code == 400


def test_one_odd_row_does_not_stop_the_audit_log_being_read(standalone, clients):
    """A refused request's row records what was asked, which may be anything a client sends; the page
    reads every row in words and marks what it cannot read."""
    import sys

    filters_words = sys.modules["pages.audit"].filters_words  # as Dash imported it (app.pages would register twice)
    assert filters_words({"from": "0000-01", "to": "2026-03"}) == "from a month not recognised; to March 2026"
    assert filters_words({"meeting": ["None"]}) == "a meeting time not recognised"
    assert filters_words({"from": 202504}) == "from a month not recognised"
    audit.record_event("ashford", "partnership", "refused", "attrition case list",
                       {"from": "0000-01", "meeting": ["None"]})
    app = standalone.app
    key = next(k for k in _server_callbacks(app) if k.startswith("audit-table."))
    for action, user in (("any", ""), ("refused", ""), ("any", "ashford")):
        body = _with_value(_with_value(callback_body(app, key, {}), "audit-action", action), "audit-user", user)
        response = post(clients["analyst"], body)
        assert response.status_code == 200, (action, user, response.data[:300])
        assert "a month not recognised" in response.get_data(as_text=True)


# --- third round (review of the second round's fixes) -------------------------------------------------


def test_a_case_list_refused_for_its_period_is_audited_as_refused(standalone, clients):
    app = standalone.app
    key = next(k for k in _record_level_keys(app) if k.startswith("attrition-case-list."))
    month = f"{_last_financial_year()[1]:%Y-%m}"
    body = callback_body(app, key, {"csp": "E22000001", "from": month, "to": month})
    assert post(clients["partnership"], body).status_code == 403
    (entry,) = audit.read_audit(1)
    assert (entry.username, entry.action, entry.view) == ("ashford", "refused", "attrition case list")
    assert entry.filters == {"csp": "E22000001", "from": month, "to": month}


def test_the_audit_log_records_the_meeting_whose_lists_were_sent(standalone, clients):
    app = standalone.app
    key = next(k for k in _record_level_keys(app) if k.startswith("daily-actions."))
    for impossible in ("2026-02-30T08:00", "2026-13-45T25:99"):
        assert post(clients["coordinator"], callback_body(app, key, {"meeting": impossible})).status_code == 400
    assert post(clients["coordinator"], callback_body(app, key, {"meeting": "2026-03-02T08:00"})).status_code == 200
    assert audit.read_audit(1)[0].filters["meeting"] == "2026-03-02T08:00"
    # No meeting named: the page shows the meeting it opens on (08:00 on the first working day after the
    # data, which end last month), and the log names that one, not nothing. Worked out here by hand: the
    # bank holidays that can fall in a month's first week are New Year's Day (or the Monday after it) and
    # the first Monday of May.
    assert post(clients["coordinator"], callback_body(app, key, {})).status_code == 200
    day = date.today().replace(day=1)
    while (day.weekday() >= 5 or (day.month, day.day) == (1, 1)
           or (day.month == 1 and day.day <= 3 and day.weekday() == 0) or (day.month == 5 and day.weekday() == 0)):
        day += timedelta(days=1)
    assert audit.read_audit(1)[0].filters["meeting"] == f"{day:%Y-%m-%d}T08:00"


@pytest.mark.parametrize("context", ["x", ["x"], 5, True, [None],
                                     {"metric": ["incidents"], "from": "2025-04-01", "to": "2026-03-31"}])
def test_a_breakdown_store_of_the_wrong_shape_is_a_bad_request(clients, context):
    body = _breakdown_body("overview", "E22000001", "2025-04-01", "2026-03-31")
    body["state"][0]["value"] = context
    assert post(clients["chief_officer"], body).status_code == 400


@pytest.mark.parametrize("store_id", ["x", 5, None, [], {}, {"a": 1}])
def test_a_breakdown_store_id_of_the_wrong_shape_is_a_bad_request(clients, store_id):
    body = _breakdown_body("overview", "E22000001", "2025-04-01", "2026-03-31")
    body["state"][1]["value"] = store_id
    assert post(clients["chief_officer"], body).status_code == 400


def test_a_download_that_sends_nothing_is_not_logged_as_an_export(standalone, clients):
    app = standalone.app
    download = next(k for k in _record_level_keys(app) if k.startswith("attrition-case-list-csv-download."))
    before = len(audit.read_audit(10_000))
    response = post(clients["coordinator"], callback_body(app, download, {"division": "NORTH"}, clicks=False))
    assert response.status_code == 204
    assert len(audit.read_audit(10_000)) == before

"""The force selector over HTTP: a database holding five forces' records (tests/metrics/test_comparators.py),
Essex at home; a user granted Kent's records is offered it, and only that user may ask for it.

(A module of its own: the dashboard's data module is per process, so each module builds its own app.)
"""
from __future__ import annotations

import json

import pytest

from app import ids
from tests.dash_requests import components, post_callback
from tests.serving import signed_in_client


REGIONAL_USERS = """
[users.chief]
role = "chief_officer"

[users.regional]
role = "chief_officer"
forces = ["E23000032"]
"""


@pytest.fixture(scope="module")
def regional(tmp_path_factory):
    """Five forces' records (tests/metrics/test_comparators.py), Essex at home; one user granted Kent."""
    from daperf.db import atomic_write
    from tests.metrics.test_comparators import build_forces

    db = tmp_path_factory.mktemp("regional") / "forces.duckdb"
    with atomic_write(db) as con:
        build_forces(con)
    yield from signed_in_client(db, tmp_path_factory.mktemp("regional-auth"), REGIONAL_USERS, DAPERF_HOME_FORCE="E23000028")


def _force_control(client, user: str) -> dict:
    layout = client.get("/_dash-layout", headers={"X-Forwarded-User": user}).get_json()
    return next(c for c in components(layout) if c["props"].get("id") == ids.filter_id("shell", "force"))


def test_the_force_selector_offers_the_forces_a_user_may_see(regional):
    control = _force_control(regional, "regional")
    assert control["type"] == "Select"
    assert [o["label"] for o in control["props"]["options"]] == ["Essex (home force)", "Kent"]
    assert _force_control(regional, "chief")["props"]["type"] == "hidden"  # no choice: nothing shown


def test_another_force_is_shown_only_to_a_user_granted_it(regional):
    body = ([(ids.page_id("compare", "content"), "children")],
            [{"id": ids.filter_id("compare", "period"), "property": "value", "value": "2024-04:2025-03"}],
            [{"id": ids.filter_id("shell", "force"), "property": "value", "value": "E23000032"}])
    answer = post_callback(regional, "regional", *body)
    assert answer.status_code == 200
    allowed = json.dumps(answer.get_json())
    assert "Kent, Financial year 2024 to 2025" in allowed
    assert post_callback(regional, "chief", *body).status_code == 403




def test_a_filter_changed_on_a_page_stays_on_the_force_it_was_opened_for(regional):
    """The header's selector keeps the page's force in a cookie; a callback that names no force (the
    overview's tiles) is answered for it, checked like any filter."""
    from app.force_selector import FORCE_COOKIE

    tiles = [(ids.page_id("overview", "tiles"), "children")]
    period = [{"id": ids.filter_id("overview", "from"), "property": "value", "value": "2024-04"},
              {"id": ids.filter_id("overview", "to"), "property": "value", "value": "2025-03"}]
    home = post_callback(regional, "regional", tiles, period)
    assert home.status_code == 200
    regional.set_cookie(FORCE_COOKIE, "E23000032")
    try:
        kent = post_callback(regional, "regional", tiles, period)
        assert kent.status_code == 200 and kent.get_json() != home.get_json()
        assert post_callback(regional, "chief", tiles, period).status_code == 403  # not granted Kent
        regional.set_cookie(FORCE_COOKIE, "not-a-force")  # not a force code: the home force, as before
        assert post_callback(regional, "regional", tiles, period).get_json() == home.get_json()
    finally:
        regional.delete_cookie(FORCE_COOKIE)

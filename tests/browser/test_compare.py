"""How do we compare, in headless Chromium: the tiles show the force beside its most similar group and
England and Wales; a measure's ski slope marks the force and its group; /compare opens for a chief
officer and refuses a partnership member.

The dashboard here serves the synthetic force among made-up figures for the 43 police force areas
(tests/comparator_fixtures.py), signed in through the proxy mode: each browser context sends its user
name in the header a trusted proxy would set.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.conftest import DESKTOP, TIMEOUT_MS, screenshot
from tests.comparator_fixtures import build_force_with_comparators
from tests.conftest import FORCE
from tests.serving import PAGE_USERS, proxy_sign_in, served


@pytest.fixture(scope="module")
def compare_url(synthetic_force_db, tmp_path_factory) -> Iterator[str]:
    from app import data

    folder = tmp_path_factory.mktemp("compare-browser")
    db = build_force_with_comparators(synthetic_force_db, folder / "force.duckdb", FORCE)
    with proxy_sign_in(folder, PAGE_USERS):
        from app.server import create_app

        try:
            with served(create_app(db).server, "compare-dashboard") as url:
                yield url
        finally:
            data.configure(synthetic_force_db)  # the other browser tests' dashboard reads the synthetic force


@pytest.fixture
def as_user(browser, compare_url):
    """A page for a user (by name), failing the test on any console or page error."""
    contexts, problems = [], []

    def open_as(username: str):
        context = browser.new_context(viewport=DESKTOP, base_url=compare_url,
                                      extra_http_headers={"X-Forwarded-User": username})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)


def test_the_tiles_show_the_force_beside_its_group_and_england_and_wales(as_user):
    from playwright.sync_api import expect

    page = as_user("chief")
    page.goto("/")
    tile = page.locator(".tile").filter(has_text="5. Justice")
    expect(tile.locator(".tile-value")).to_have_text(re.compile(r"^\d+\.\d%$"))  # the force's own value
    comparators = tile.locator(".tile-comparators")
    expect(comparators).to_contain_text("England and Wales")
    expect(comparators).to_contain_text("Most similar group")
    expect(comparators.locator("[data-comparator='england-wales'] strong")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(comparators.locator("[data-comparator='msg'] strong")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(tile.locator(".tile-standing")).to_contain_text("highest of 44 forces")
    expect(page.locator(".tile-comparators")).to_have_count(9)


def test_the_ski_slope_marks_the_force_and_its_group(as_user):
    from playwright.sync_api import expect

    page = as_user("chief")
    page.goto("/?metric=charge_rate")
    section = page.locator("#overview-forces-compared")
    expect(section.get_by_role("heading", name="Forces compared")).to_be_visible()
    slope = section.locator("#overview-ski-slope")
    legend = slope.locator(".legendtext")
    expect(legend.filter(has_text="Most similar group")).to_have_count(1)
    expect(legend.filter(has_text="Other forces")).to_have_count(1)
    expect(legend.filter(has_text=FORCE)).to_have_count(1)  # the synthetic force, named by its code
    # Seven peers in the group's colour, the force in its own: one bar each.
    expect(slope.locator(".trace.bars").nth(1).locator(".point")).to_have_count(7)
    expect(slope.locator(".trace.bars").nth(2).locator(".point")).to_have_count(1)
    slope.locator("summary").click()
    expect(slope.get_by_role("gridcell", name="This force")).to_have_count(1)
    screenshot(page, "forces-compared")


def test_the_compare_page_opens_for_a_chief_officer_and_refuses_a_partnership_member(as_user):
    from playwright.sync_api import expect

    chief = as_user("chief")
    chief.goto("/compare")
    expect(chief.get_by_role("heading", name="How do we compare?")).to_be_visible()
    grid = chief.locator("#compare-standings-caption")
    expect(grid).to_contain_text("The nine indicators")
    expect(chief.get_by_role("gridcell", name="9. MARAC")).to_be_visible()
    chief.get_by_label("Period compared").select_option(index=1)
    expect(chief.locator("#compare-content")).to_contain_text("against the forces of England and Wales")
    screenshot(chief, "compare")

    partnership = as_user("ashford_partnership")
    partnership.goto("/compare")
    expect(partnership.get_by_role("alert").first).to_contain_text("Not available to you")
    expect(partnership.locator("#compare-standings-caption")).to_have_count(0)

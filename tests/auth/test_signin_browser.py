"""The standalone sign-in journey in headless Chromium: redirected to the form, sign in, land on the page
asked for with no console error (the security headers let Dash run), sign out. The form passes axe."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.conftest import PASSWORD
from tests.conftest import TIMEOUT_MS
from tests.serving import served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def standalone_url(standalone) -> Iterator[str]:
    with served(standalone.server) as url:
        yield url


def test_sign_in_journey(browser, standalone_url):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    context = browser.new_context(base_url=standalone_url)
    try:
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))

        page.goto("/attrition?division=NORTH")
        expect(page).to_have_url(f"{standalone_url}/sign-in?next=/attrition%3Fdivision%3DNORTH")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag22aa"]}})
        serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == []

        page.get_by_label("User name").fill("north_lead")
        page.get_by_label("Password").fill("wrong password here")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("not right")

        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{standalone_url}/attrition?division=NORTH")
        expect(page.get_by_role("heading", name="Attrition: from crime to conviction")).to_be_visible()
        # A division lead in their own division sees the case list (a record-level view).
        expect(page.locator("#attrition-case-list .ag-row").first).to_be_visible()

        expect(page.locator("#shell-user")).to_contain_text("north_lead (Division lead)")
        page.get_by_role("link", name="Sign out").click()
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.goto("/")
        expect(page).to_have_url(f"{standalone_url}/sign-in?next=/")
        # The 401 answers to Dash's requests after sign-out are expected; before it nothing failed.
        assert [p for p in problems if "401" not in p] == []
    finally:
        context.close()

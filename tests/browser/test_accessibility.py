"""axe-core on every page of the dashboard (every link in the main nav, plus the strategic pages' detail
and chosen-unit views): no serious or critical WCAG 2.x A/AA violation."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

BLOCKING = {"serious", "critical"}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Views reached through a page's controls rather than the nav.
EXTRA_VIEWS = ["/?metric=charge_rate", "/division?metric=incidents_per_1000", "/partnership?csp=E22000001",
               # Honest states: a period with no data, and an address whose values fell back with a message.
               "/?from=2099-01&to=2099-03", "/division?division=XYZ&from=2024-13"]


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def _nav_paths(page) -> list[str]:
    page.goto("/")
    page.wait_for_load_state("networkidle")
    hrefs = page.locator("nav[aria-label='Main'] .nav-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "/" in hrefs and "/definitions" in hrefs, hrefs
    return list(dict.fromkeys(hrefs))


def _violations(page, axe: Axe, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.locator("main h1").first.wait_for()
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{path}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def test_every_page_passes_axe(page, axe):
    problems = []
    for path in _nav_paths(page) + EXTRA_VIEWS:
        problems += _violations(page, axe, path)
    assert not problems, "\n".join(problems)


def test_keyboard_user_can_skip_to_main_content(page):
    page.goto("/")
    page.locator("main h1").wait_for()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.location.hash === '#main-content'")


def test_page_reads_at_200_percent_zoom(page):
    """WCAG 1.4.10 reflow: at 200% zoom (a 683 px wide viewport) nothing scrolls sideways."""
    page.set_viewport_size({"width": 683, "height": 900})
    for path in ("/", "/partnership?csp=E22000001", "/definitions"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at 200% zoom"

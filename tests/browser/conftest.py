"""Browser-test harness: one database, one dashboard server and one headless Chromium per session.

- ``dashboard_db``: the synthetic force database (``tests/conftest.py``).
- ``dashboard_url``: ``create_app(db, demo=True)`` served by werkzeug on a free port in a thread.
- ``browser``: Debian's Chromium through Playwright's sync API (never Playwright's own download).
- ``page``: a fresh desktop-sized page that fails the test on any console error or uncaught page error.
- ``with_partial_first_month(source, target)``: a copy of a database whose first month is a part month.
- ``screenshot(page, name)``: writes ``test-artifacts/screenshots/<name>-<width>.png`` (git-ignored).

Every test in this folder is marked ``browser`` (run alone with ``pytest -m browser``).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TIMEOUT_MS
from tests.serving import served

DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def dashboard_db(synthetic_force_db: Path) -> Path:
    return synthetic_force_db


@pytest.fixture(scope="session")
def dashboard_url(dashboard_db: Path) -> Iterator[str]:
    from app.server import create_app

    with served(create_app(dashboard_db, demo=True).server) as url:
        yield url


@pytest.fixture
def page(browser, dashboard_url: str) -> Iterator[object]:
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True, base_url=dashboard_url)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    try:
        yield tab
    finally:
        context.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)


def with_partial_first_month(source: Path, target: Path, days: int = 20) -> Path:
    """A copy of ``source`` whose data begin ``days`` days into their first month, as a load that starts
    mid-month does (its first month is then a part month), with the marts rebuilt as a load would."""
    import shutil
    from datetime import timedelta

    from daperf.db import atomic_write
    from etl.marts import build_marts

    shutil.copy2(source, target)
    with atomic_write(target) as con:
        ((first,),) = con.execute("SELECT CAST(min(reported_at) AS DATE) FROM incidents").fetchall()
        con.execute("DELETE FROM incidents WHERE reported_at < $cut", {"cut": first + timedelta(days=days)})
        build_marts(con)
    return target


def screenshot(page, name: str) -> None:
    """Full-page screenshots at desktop and tablet width, each opened afresh at that width (the URL holds
    the view); the page is left at desktop width, on the same URL."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("tablet", TABLET)):
        if page.viewport_size != size:
            page.set_viewport_size(size)
            page.reload()
        page.wait_for_load_state("networkidle")
        page.locator("main h1").wait_for()
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.reload()
    page.wait_for_load_state("networkidle")

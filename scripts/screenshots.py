"""Screenshots of every page of the dashboard at desktop (1366 px) and tablet (820 px) width, for the README.

Serves the demo database (``make demo-db`` builds it: ``data/daperf.duckdb``) with the dashboard in demo
mode on a free loopback port, opens every page in the main navigation plus the views reached through a
page's controls (a measure's detail, a chosen partnership, a period with no data, the "page not found"
answer) in Debian's Chromium through Playwright, and writes full-page PNGs to ``docs/screenshots/``:
``<name>-1366.png`` and ``<name>-820.png``.

Usage: ``.venv/bin/python scripts/screenshots.py [--db data/daperf.duckdb] [--out docs/screenshots]``.
"""
from __future__ import annotations

import argparse
import logging
import re
import sys
import threading
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTHS = {1366: 900, 820: 1180}  # width -> viewport height (a laptop, a tablet held upright)
TIMEOUT_MS = 60_000
# Views reached through a page's controls rather than the navigation: (file name, address).
EXTRA_VIEWS = [
    ("overview-detail", "/?metric=arrest_rate_where_power"),
    ("division-detail", "/division?metric=incidents_per_1000"),
    ("overview-no-data", "/?from=2099-01&to=2099-03"),
    ("division-bad-address", "/division?division=XYZ&from=2024-13"),
]


def _name(path: str) -> str:
    """A file name for a page's path: ``/`` -> overview, ``/data-quality`` -> data-quality."""
    return re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()).strip("-") or "overview"


def _serve(db_path: Path):
    from werkzeug.serving import make_server

    from app.server import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise here
    app = create_app(db_path, demo=True)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, name="dashboard", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _views() -> list[tuple[str, str]]:
    """Every page in the navigation, in its order, then the extra views (a partnership chosen: the first)."""
    import dash

    from app import data
    from metrics.periods import add_months

    pages = sorted((p for p in dash.page_registry.values() if p["path"] != "/404" and not p.get("hide_from_nav")),
                   key=lambda p: (p.get("order") is None, p.get("order") or 0, p["path"]))
    views = [(_name(p["path"]), p["path"]) for p in pages]
    csps = data.csps()
    if len(csps):
        views.append(("partnership-chosen", f"/partnership?csp={csps.iloc[0]['csp_code']}"))
    months = data.data_months()
    if months is not None:  # the data's first year, its first month usually a part month
        last = add_months(months.first_month, 11)
        views.append(("overview-first-year", f"/?from={months.first_month:%Y-%m}&to={last:%Y-%m}&metric=incidents"))
    return views + EXTRA_VIEWS + [("page-not-found", "/no-such-page")]


def _settle(page) -> None:
    """Wait until the page has drawn: no request in flight, its heading there, no chart still loading."""
    page.wait_for_load_state("networkidle")
    page.locator("h1").first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.wait_for_load_state("networkidle")


def capture(db_path: Path, out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    server, base_url = _serve(db_path)
    written = []
    try:
        views = _views()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                for width, height in WIDTHS.items():
                    context = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
                    context.set_default_timeout(TIMEOUT_MS)
                    page = context.new_page()
                    for name, path in views:
                        page.goto(path)
                        _settle(page)
                        target = out_dir / f"{name}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        written.append(target)
                        print(f"{target.relative_to(REPO_ROOT) if target.is_relative_to(REPO_ROOT) else target}"
                              f"  ({path})")
                    context.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO_ROOT / "data" / "daperf.duckdb",
                        help="the database to serve (default: the demo's, built by `make demo-db`)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "screenshots",
                        help="where the PNGs go (default: docs/screenshots)")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"No database at {args.db}: run `make demo-db` first (or pass --db).", file=sys.stderr)
        return 1
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (make chromium).", file=sys.stderr)
        return 1
    written = capture(args.db.resolve(), args.out.resolve())
    print(f"{len(written)} screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Every page of the dashboard read as a person reads it: no raw code, field name, hash, raw boolean or
machine timestamp anywhere in what is shown.

Each page is opened in headless Chromium (every link of the main navigation, and the views reached
through a page's controls), every disclosure opened, and the visible text (with the choices of every
select and the words drawn in the charts) checked against:

- every code of ``reference.vocabulary.all_codes()`` and every column name of the database (the marts and
  the extracts), as whole words;
- anything written in snake_case (``csp_code``, ``decision_due_soon``): no English word has an underscore;
- the codes of the units themselves (an ONS partnership code, a division code): people read names;
- raw values: ``true``/``false``, ``NaN``, ``NaT``, a cell reading ``None``; an ISO timestamp with its "T"; a hash longer
  than the 12-character pseudonymised reference; a number with more decimal places than anyone reads.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import duckdb
import pytest

from reference.vocabulary import all_codes

SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
RAW_VALUE = re.compile(r"\b(?:true|false|True|False|NaN|nan|NaT)\b|^\s*None\s*$", re.MULTILINE)  # None: a cell
ISO_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
LONG_HASH = re.compile(r"\b(?=[0-9]*[a-f])[0-9a-f]{13,}\b")
UNFORMATTED_NUMBER = re.compile(r"\b\d+\.\d{4,}\b")
ONS_CODE = re.compile(r"\b[EW]\d{8}\b")

# The synthetic force (tests/conftest.py) ends with last month: a meeting inside its data.
LAST_MONTH = (datetime.now().date().replace(day=1) - timedelta(days=1)).replace(day=1)
MEETING = datetime.combine(LAST_MONTH.replace(day=20), time(8, 0))

# Every link of the main navigation (test_the_scan_covers_every_page_in_the_nav keeps this complete) and
# the views reached through a page's controls.
NAV_PAGES = ["/", "/division", "/partnership", "/compare", "/daily", "/attrition", "/data-quality", "/definitions",
             "/audit"]
OTHER_VIEWS = [
    "/?metric=charge_rate",
    "/?metric=high_risk_marac_referral_rate",
    "/division?division=NORTH",
    "/division?metric=incidents_per_1000",
    "/partnership?csp=E22000001",
    "/partnership?csp=E22000004",
    f"/daily?meeting={MEETING:%Y-%m-%dT%H:%M}",
    f"/daily?meeting={MEETING:%Y-%m-%dT%H:%M}&division=NORTH&view=present",
    "/attrition?division=SOUTH",
    "/attrition?division=NORTH&csp=E22000002",
    "/?from=2099-01&to=2099-03",
]

_TEXT_JS = """
() => {
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    const parts = [document.body.innerText];
    document.querySelectorAll('option').forEach(o => parts.push(o.textContent));
    document.querySelectorAll('svg text').forEach(t => parts.push(t.textContent));
    return parts.join('\\n');
}
"""


@pytest.fixture(scope="module")
def forbidden_words(dashboard_db) -> set[str]:
    """Codes and column names a person must never read."""
    con = duckdb.connect(str(dashboard_db), read_only=True)
    try:
        columns = {row[0] for row in con.execute("SELECT DISTINCT column_name FROM information_schema.columns").fetchall()}
        units = {row[0] for row in con.execute("SELECT DISTINCT unit_code FROM dim_units WHERE level <> 'force'").fetchall()}
    finally:
        con.close()
    # Single words among the column names are English ("route", "decision"); unit codes are not.
    return all_codes() | {c for c in columns if "_" in c} | {u for u in units if u}


def _settled_text(page, path: str) -> str:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.locator("main h1").first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.wait_for_load_state("networkidle")
    return page.evaluate(_TEXT_JS)


def _problems(text: str, forbidden: set[str]) -> list[str]:
    words = set(re.findall(r"[A-Za-z0-9_\-]+", text))
    found = sorted(words & forbidden)
    for pattern, what in ((SNAKE_CASE, "snake_case"), (RAW_VALUE, "raw value"), (ISO_TIMESTAMP, "ISO timestamp"),
                          (LONG_HASH, "hash"), (UNFORMATTED_NUMBER, "unformatted number"),
                          (ONS_CODE, "ONS code")):
        found += [f"{match} ({what})" for match in sorted(set(pattern.findall(text))) if match not in found]
    return found


@pytest.mark.parametrize("path", NAV_PAGES + OTHER_VIEWS)
def test_page_shows_no_raw_code(page, path, forbidden_words):
    text = _settled_text(page, path)
    problems = _problems(text, forbidden_words)
    assert not problems, f"{path} shows: " + ", ".join(problems)


def test_the_scan_covers_every_page_in_the_nav(page):
    page.goto("/")
    page.wait_for_load_state("networkidle")
    hrefs = page.locator("nav[aria-label='Main'] .nav-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert sorted(set(hrefs)) == sorted(NAV_PAGES)


def test_the_scan_finds_what_it_looks_for():
    """The checks themselves, on text a page must never show."""
    forbidden = {"csp_code", "not_applied"}
    text = ("csp_code E22000091 marac_referred false Mon 30 Nov 2026-11-30T09:14:00\nNone\n"
            "0123456789abcdef0123 not_applied 0.0008650090274614497")
    problems = " ".join(_problems(text, forbidden))
    for expected in ("csp_code", "not_applied", "marac_referred", "false", "None", "2026-11-30T09:14", "0123456789abcdef0123",
                     "E22000091", "0.0008650090274614497"):
        assert expected in problems
    assert not _problems("Victim reference 0123456789ab, Mon 30 Nov 09:14, South Division, 1,234 crimes.\n"
                         "None since the last meeting.", forbidden)

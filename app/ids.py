"""Every component id in the dashboard, in one place, so no id string is typed twice.

Stable API (the operational pages use it too):

- Shell ids: ``SHELL_*`` constants (header, nav, main landmark, demo banner, URL sync dummy).
- ``filter_id(page, name)`` -> the pattern-matching id ``{"type": "filter", "page": page, "name": name}``
  of a filter control. ``name`` is one of ``FILTER_NAMES``; the shell keeps the URL query string in step
  with every control that has such an id, so a page only has to *read* the controls.
- ``page_id(page, name)`` -> ``"<page>-<name>"``: a plain id for anything else on a page
  (e.g. ``page_id("daily", "table")``). Use it once in a module-level constant and refer to that constant.
- ``download_id(page, name)`` -> the id of a ``dcc.Download`` paired with a button ``page_id(page, name)``.
"""
from __future__ import annotations

# The query-string keys a filter may use, in the order they appear in the URL.
# meeting: the daily page's time; period: a fixed reporting period (partnership page) or a compared period
FILTER_NAMES = ("force", "from", "to", "period", "division", "csp", "metric", "meeting")
FILTER_TYPE = "filter"

# The force overview's page key and path (the shell warms its cache; the page module uses them too).
OVERVIEW_PAGE = "overview"
OVERVIEW_PATH = "/"

SHELL_SKIP_LINK = "shell-skip-link"
SHELL_HEADER = "shell-header"
SHELL_NAV = "shell-nav"
SHELL_MAIN = "main-content"  # the skip link's target: keep it a plain word
SHELL_DEMO_BANNER = "shell-demo-banner"
SHELL_URL_SYNC = "shell-url-sync"
SHELL_FOOTER = "shell-footer"
SHELL_FRESHNESS = "shell-freshness"
SHELL_USER = "shell-user"  # who is signed in, and the sign-out link


def filter_id(page: str, name: str) -> dict[str, str]:
    if name not in FILTER_NAMES:
        raise ValueError(f"Unknown filter {name!r}; expected one of {', '.join(FILTER_NAMES)}")
    return {"type": FILTER_TYPE, "page": page, "name": name}


def page_id(page: str, name: str) -> str:
    return f"{page}-{name}"


def download_id(page: str, name: str) -> str:
    return f"{page}-{name}-download"

"""Security headers on every kind of response, and references kept out of the logs."""
from __future__ import annotations

import logging
import re

from app.auth.hardening import REDACTED, RedactReferences, redact

HTML = {"Accept": "text/html"}
# Query-string keys that are not filters but choose what a page shows.
PAGE_SWITCHES = {"view"}


def _assert_hardened(response, *, cacheable: bool = False) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-eval" not in policy and "http" not in policy  # no third-party origin
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert (response.headers.get("Cache-Control") == "no-store") is not cacheable


def test_headers_on_pages_callbacks_sign_in_and_refusals(standalone, clients):
    server = standalone.server
    _assert_hardened(server.test_client().get("/sign-in"))
    _assert_hardened(server.test_client().get("/", headers=HTML))  # the redirect to sign-in
    _assert_hardened(server.test_client().post("/_dash-update-component", json={}))  # 401
    page = clients["chief_officer"].get("/", headers=HTML)
    _assert_hardened(page)
    _assert_hardened(clients["chief_officer"].get("/_dash-layout"))
    with clients["chief_officer"].get("/auth/static/signin.css") as stylesheet:
        _assert_hardened(stylesheet, cacheable=True)


def test_dash_inline_scripts_are_allowed_by_hash_only(clients):
    page = clients["chief_officer"].get("/", headers=HTML)
    script_src = next(d for d in page.headers["Content-Security-Policy"].split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'sha256-" in script_src  # Dash's renderer start-up script
    assert b"new DashRenderer()" in page.data


def test_redaction_of_person_ids_and_references():
    person_id = "0f" * 32
    assert redact(f"GET /x?victim={person_id} HTTP/1.1") == f"GET /x?victim={REDACTED} HTTP/1.1"
    assert redact("ref 0123456789ab seen") == f"ref {REDACTED} seen"
    assert redact("2025-01 to 2025-12, E22000001, NORTH") == "2025-01 to 2025-12, E22000001, NORTH"


def test_werkzeug_access_log_line_is_redacted(clients):
    reference = "a1b2c3d4e5f6"
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s %s',
                               ("127.0.0.1", "now", f"GET /attrition?ref={reference} HTTP/1.1", "200", "-"), None)
    # install_auth has put the filter on the werkzeug logger (the clients fixture built the app).
    assert any(isinstance(f, RedactReferences) for f in logging.getLogger("werkzeug").filters)
    logging.getLogger("werkzeug").filter(record)
    assert reference not in record.getMessage() and REDACTED in record.getMessage()


def _hrefs(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["href"]] if isinstance(node.get("href"), str) else []
        return found + [h for value in node.values() for h in _hrefs(value)]
    if isinstance(node, list):
        return [h for item in node for h in _hrefs(item)]
    return []


def test_links_carry_filters_only_never_a_reference(standalone, clients):
    """Access logs print URLs: every link a page renders has a query string of filter names only."""
    import json
    from urllib.parse import parse_qs, urlsplit

    import dash

    from app import ids
    from app.auth.hardening import HEX_TOKEN

    checked = 0
    for page in dash.page_registry.values():
        body = {
            "output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": page["path"]},
                       {"id": "_pages_location", "property": "search", "value": "?division=NORTH"}],
            "state": [], "changedPropIds": ["_pages_location.pathname"],
        }
        response = clients["chief_officer"].post("/_dash-update-component", json=body)
        assert response.status_code == 200, page["path"]
        for href in _hrefs(json.loads(response.data)):
            query = parse_qs(urlsplit(href).query)
            # Filters, or a page's own view switch (the daily page's ``view``): short words, never an id.
            assert all(re.fullmatch(r"[a-z]{1,20}", name) for name in query), href
            assert set(query) - set(ids.FILTER_NAMES) <= PAGE_SWITCHES, href
            assert not HEX_TOKEN.search(href), href
            checked += 1
    assert checked > 0

"""The dashboard's shell: the Dash app, its pages and the frame around them.

Stable API:

- ``create_app(db_path, *, demo=False) -> dash.Dash``: Dash Pages from ``app/pages`` (each page module
  calls ``dash.register_page``), Bootstrap served from ``app/assets`` (no CDN: forces run offline), and
  sign-in installed by ``app.auth.signin.install_auth(server, demo=demo)``.
  The shell is: a skip link, a header with the product name (and, in demo mode, a banner saying the data
  are synthetic and who is signed in), a nav to every registered page in ``order``, the main landmark
  holding the page, a footer.
- ``serve(db_path, host="127.0.0.1", port=8050, debug=False, demo=False)``: run it (``daperf serve``),
  warming the cache with the force overview's default view in the background.
- ``NAV_ORDER``: the order pages appear in the nav (pages register ``order=`` to match; unknown last).

Filters live in the URL. A page builds its filter controls from the query string (Dash Pages passes it
to ``layout(**query)``, see ``app.components.FilterState``); one clientside callback here writes every
filter control's value back into the query string as it changes, with ``history.replaceState`` so the page
is not rebuilt and keyboard focus stays on the control.
"""
from __future__ import annotations

import importlib
import logging
import os
import threading
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, dcc, html
from dash import _callback as dash_callback_registry

from app import data, force_selector, ids

PRODUCT_NAME = "Domestic abuse performance"
APP_DIR = Path(__file__).resolve().parent
PAGES_DIR = APP_DIR / "pages"
ASSETS_DIR = APP_DIR / "assets"

_URL_SYNC_JS = """
function (values) {
    const ctx = window.dash_clientside.callback_context;
    let items = (ctx.inputs_list && ctx.inputs_list[0]) || [];
    // Only the controls that changed write the address: the header's force control follows the address
    // (after Back, say) while the last page's controls are still in place, and must not write theirs back.
    const changed = (ctx.triggered || []).map(t => t.prop_id).filter(id => id && id !== ".");
    if (changed.length) {
        items = items.filter(item => changed.includes(JSON.stringify(item.id, Object.keys(item.id).sort()) + ".value"));
    }
    if (!items.length) { return window.dash_clientside.no_update; }
    const params = new URLSearchParams(window.location.search);
    for (const item of items) {
        const value = item.value;
        if (value === null || value === undefined || value === "") { params.delete(item.id.name); }
        else { params.set(item.id.name, value); }
    }
    const text = params.toString();
    const search = text ? "?" + text : "";
    if (search !== window.location.search) {
        window.history.replaceState(window.history.state, "",
            window.location.pathname + search + window.location.hash);
    }
    return search;
}
"""


# Dash's default page, with the document language declared (WCAG 3.1.1).
_INDEX_STRING = """<!DOCTYPE html>
<html lang="en-GB">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        {%config%}
        {%scripts%}
        {%renderer%}
    </body>
</html>"""


def _install_auth(app: dash.Dash, demo: bool) -> None:
    try:
        signin = importlib.import_module("app.auth.signin")
    except ModuleNotFoundError as exc:
        if exc.name != "app.auth.signin":
            raise
        # The sign-in layer is another part of the product; without it nobody is signed in and every
        # data callback refuses (current_principal raises Forbidden), which is the safe failure.
        return
    signin.install_auth(app.server, demo=demo, dash_app=app)


def _nav_links() -> list:
    pages = sorted(dash.page_registry.values(), key=lambda p: (p.get("order") is None, p.get("order") or 0, p["path"]))
    return [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
        for page in pages
        if page["path"] != "/404" and not page.get("hide_from_nav")
    ]


def _freshness() -> html.P | None:
    """When the data were last loaded and to which day they run: on every page, so nobody briefs from
    stale figures without knowing."""
    from metrics.formatting import format_date, format_datetime

    try:
        months = data.data_months() if data.database_ready() else None
    except Exception:  # no database: the page says so in its own words
        months = None
    if months is None:
        return html.P("No data loaded yet.", id=ids.SHELL_FRESHNESS, className="small mb-0 text-white-50 ms-auto")
    loaded = f"Data loaded {format_datetime(months.loaded_at, with_year=True)}; " if months.loaded_at else ""
    return html.P(f"{loaded}records up to {format_date(months.last_day)}.", id=ids.SHELL_FRESHNESS,
                  className="small mb-0 text-white-50 ms-auto")


def _demo_role() -> str:
    from app.auth.demo import DEMO_ROLE
    from reference.vocabulary import label

    return label("role", DEMO_ROLE).lower()


def _signed_in() -> html.P | None:
    """Who is signed in, with their role, and the way to sign out (not in the demo, where everyone is the
    demo user, nor behind single sign-on, where the force's sign-on signs people out)."""
    import flask

    from reference.vocabulary import label

    principal = getattr(flask.g, "principal", None) if flask.has_request_context() else None
    if principal is None or principal.demo or getattr(flask.g, "session_digest", None) is None:
        return None
    return html.P([f"{principal.username} ({label('role', principal.role)}) · ",
                   html.A("Sign out", href="/sign-out", className="text-white")],
                  id=ids.SHELL_USER, className="small mb-0 text-white")


def _shell(demo: bool) -> html.Div:
    header_children = [
        dbc.Container(
            [
                html.A(PRODUCT_NAME, href="/", className="navbar-brand fw-bold text-white"),
                dbc.Nav(_nav_links(), id=ids.SHELL_NAV, navbar=True, className="flex-wrap"),
                _freshness(),
                force_selector.force_selector(),
                _signed_in(),
            ],
            fluid=True,
            className="d-flex flex-wrap align-items-center gap-2",
        )
    ]
    banner = []
    if demo:
        banner = [
            html.Div(
                dbc.Container(
                    [
                        html.Strong(f"Demo data — signed in as the demo user, with the role {_demo_role()}. "),
                        "Every record here is synthetic; no real person's data is shown.",
                    ],
                    fluid=True,
                ),
                id=ids.SHELL_DEMO_BANNER,
                className="demo-banner py-2",
                role="note",
            )
        ]
    return html.Div(
        [
            html.A("Skip to main content", href=f"#{ids.SHELL_MAIN}", id=ids.SHELL_SKIP_LINK,
                   className="visually-hidden-focusable skip-link"),
            html.Header(
                html.Nav(header_children, className="navbar navbar-expand navbar-dark site-nav",
                         **{"aria-label": "Main"}),
                id=ids.SHELL_HEADER,
            ),
            *banner,
            html.Main(
                dbc.Container(dash.page_container, fluid="xxl", className="py-3"),
                id=ids.SHELL_MAIN,
                tabIndex="-1",
            ),
            html.Footer(
                dbc.Container(
                    [
                        "How each figure is counted, and where its definition comes from: see ",
                        html.A("Definitions", href="/definitions"),
                        ". Small numbers are protected in partnership views (counts of 1 to 4 are shown as <5).",
                    ],
                    fluid=True,
                ),
                id=ids.SHELL_FOOTER,
                className="site-footer py-3 mt-4 small",
            ),
            dcc.Store(id=ids.SHELL_URL_SYNC),
        ]
    )


def _drop_stale_page_callbacks() -> None:
    """Dash Pages re-imports the page modules for each app, so a second app built in one process before
    the first served a request (tests do) would find each page callback twice. Keep the newest of each;
    nothing else registered globally is dropped."""
    registry = dash_callback_registry.GLOBAL_CALLBACK_LIST
    seen: set[str] = set()
    newest_first = []
    for spec in reversed(registry):
        if spec["output"] not in seen:
            seen.add(spec["output"])
            newest_first.append(spec)
    registry[:] = list(reversed(newest_first))


def create_app(db_path: str | os.PathLike, *, demo: bool = False) -> dash.Dash:
    data.configure(db_path)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        suppress_callback_exceptions=True,
        title=PRODUCT_NAME,
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    _drop_stale_page_callbacks()
    app.index_string = _INDEX_STRING
    # A function, so the header's data freshness is read afresh for every page load.
    app.layout = lambda: _shell(demo)
    app.clientside_callback(
        _URL_SYNC_JS,
        Output(ids.SHELL_URL_SYNC, "data"),
        Input({"type": ids.FILTER_TYPE, "page": ALL, "name": ALL}, "value"),
    )
    from app import components, tiles

    components.register_callbacks(app)
    tiles.register_callbacks(app)
    force_selector.register_callbacks(app)
    _install_auth(app, demo)
    _answer_unknown_pages_404(app)
    return app


# Paths the server answers besides the pages: Dash's own routes, assets and the sign-in routes.
_SERVER_PREFIXES = ("/_dash-", "/_reload-hash", "/_favicon.ico", "/assets/", "/auth/static/")
_SERVER_PATHS = {"/sign-in", "/sign-out", "/favicon.ico"}


def _answer_unknown_pages_404(app: dash.Dash) -> None:
    """Dash serves its page for any path and shows "not found" in the browser with HTTP 200; an address
    that is no page answers 404, so links checkers, proxies and people are told the truth."""
    import flask

    def not_found():
        path = flask.request.path
        pages = {page["path"] for page in dash.page_registry.values()}
        if flask.request.method != "GET" or path in pages or path in _SERVER_PATHS or path.startswith(_SERVER_PREFIXES):
            return None
        body = ("<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>Page not found – "
                f"{PRODUCT_NAME}</title></head><body><main><h1>Page not found</h1><p>There is no page at this "
                "address. <a href='/'>Go to the force overview</a>.</p></main></body></html>")
        return flask.Response(body, status=404, mimetype="text/html")

    app.server.before_request(not_found)


def serve(
    db_path: str | os.PathLike,
    host: str = "127.0.0.1",
    port: int = 8050,
    debug: bool = False,
    demo: bool = False,
) -> None:
    """Raises ``app.auth.demo.DemoRefused`` for ``demo`` on any database but the project's demo database
    or on an address that is not loopback: the demo signs every visitor in."""
    if demo:
        from app.auth.demo import check_demo_serving

        check_demo_serving(db_path, host)
    app = create_app(db_path, demo=demo)
    threading.Thread(target=warm_cache, name="warm-cache", daemon=True).start()
    app.run(host=host, port=port, debug=debug)


def warm_cache() -> None:
    """Ask the force overview's default questions once at start-up, so the first visitor is answered
    from the cache. Nothing is shown to anyone here: the pages still check the policy on every request."""
    from app import tiles
    from app.components import FilterState

    try:
        if data.database_ready():
            tiles.tiles_grid(ids.OVERVIEW_PAGE, ids.OVERVIEW_PATH, FilterState.default(), "force", None,
                             suppressed=False, forces=(data.home_force(),) if data.home_force() else None)
    except Exception:  # a cold cache is slower, not wrong: never let warming stop the server
        logging.getLogger(__name__).exception("Warming the cache failed")


def wsgi():
    """The WSGI application for a production server: ``gunicorn 'app.server:wsgi()'``. The database is
    ``DAPERF_DB``; sign-in is configured by the environment (docs/DEPLOYMENT.md), never the demo's."""
    from daperf.config import settings

    return create_app(settings().db_path, demo=False).server

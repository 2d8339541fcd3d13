"""The force in view, chosen in the header: for a user granted other forces' records
(``Principal.forces``) in a database that holds them (a regional collaboration, an inspectorate, the
national demo set). Everyone else has one force and sees no choice.

- ``force_selector()``: the header's control. Its id is the filter ``FORCE`` (``ids.filter_id("shell",
  "force")``), so the guard reads it like any unit filter (``app.auth.scope``: the force is checked with
  ``policy.can_see_force`` before anything is queried) and the shell keeps it in the address
  (``?force=CODE``; the home force is the empty value). For one force it is a hidden input with the
  empty value, so a callback can always carry ``State(FORCE, "value")``.
- ``register_callbacks(app)``: the control follows the address; choosing another force opens the same
  page for it (a page is built for one force, so it is reloaded rather than patched).
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from app import data, ids
from app.auth.policy import can_see_force

FORCE = ids.filter_id("shell", "force")
LOADED = "shell-force-loaded"  # the force the page was built for

# The page's force travels with every later callback in a cookie (the guard reads it as the ``force``
# filter and checks it like any other), so a filter changed on a page stays on that page's force.
FORCE_COOKIE = "daperf_force"
_FOLLOW_ADDRESS_JS = """
function (search) {
    const force = new URLSearchParams(search || "").get("force") || "";
    document.cookie = "%s=" + encodeURIComponent(force) + "; path=/; SameSite=Strict"
        + (window.location.protocol === "https:" ? "; Secure" : "");
    return [force, force];
}
""" % FORCE_COOKIE
_OPEN_FOR_FORCE_JS = """
function (value, loaded) {
    const chosen = value || "";
    if (loaded === null || loaded === undefined || chosen === loaded) {
        return window.dash_clientside.no_update;
    }
    const params = new URLSearchParams(window.location.search);
    if (chosen) { params.set("force", chosen); } else { params.delete("force"); }
    const search = params.toString();
    window.location.assign(window.location.pathname + (search ? "?" + search : ""));
    return window.dash_clientside.no_update;
}
"""


def offered_forces(principal) -> list[tuple[str, str]]:
    """(code, name) of the forces with data the principal may see, the home force first."""
    if principal is None or not data.database_ready():
        return []
    home = data.home_force()
    frame = data.forces()
    allowed = [(str(code), str(name)) for code, name in zip(frame["force_code"], frame["force_name"])
               if can_see_force(principal, str(code), home)]
    return sorted(allowed, key=lambda item: (item[0] != home, item[1]))


def force_selector() -> html.Div:
    """The header's force control: a select when the signed-in user has a choice, else hidden."""
    import flask

    principal = getattr(flask.g, "principal", None) if flask.has_request_context() else None
    try:
        forces = offered_forces(principal)
    except Exception:  # no database yet: nothing to choose from
        forces = []
    stored = dcc.Store(id=LOADED)
    if len(forces) < 2:
        return html.Div([dcc.Input(id=FORCE, type="hidden", value=""), stored], className="d-none")
    home = forces[0][0]
    options = [{"label": f"{name} (home force)" if code == home else name, "value": "" if code == home else code}
               for code, name in forces]
    return html.Div([
        dbc.Label("Force", html_for=_dom_id(), className="small text-white mb-0 me-1"),
        dbc.Select(id=FORCE, options=options, value="", size="sm", className="w-auto"),
        stored,
    ], className="d-flex align-items-center force-selector")


def _dom_id() -> str:
    from app.components import dom_id

    return dom_id(FORCE)


def register_callbacks(app) -> None:
    app.clientside_callback(_FOLLOW_ADDRESS_JS, Output(FORCE, "value"), Output(LOADED, "data"),
                            Input("_pages_location", "search"))
    app.clientside_callback(_OPEN_FOR_FORCE_JS, Output(LOADED, "data", allow_duplicate=True),
                            Input(FORCE, "value"), State(LOADED, "data"), prevent_initial_call=True)

"""Sign-in: who is asking, set on ``flask.g.principal`` before any page, callback or download runs.

``install_auth(server, demo=...)`` is the one entry point (``app.server.create_app`` calls it). Modes:

- demo (``daperf serve --demo``): every visitor is the demo chief officer (``Principal.demo`` is True,
  and the shell says so on every page). Demo data only.
- proxy (``DAPERF_AUTH_MODE=proxy``): the force's reverse proxy has signed the user in and passes the
  user name in ``DAPERF_IDENTITY_HEADER``; the header is believed only from ``DAPERF_TRUSTED_PROXIES``,
  and the user must be in the users file, which gives their role and units.
- standalone (the default): a sign-in form checks the users file's argon2 hashes; the session is
  Flask's signed cookie, ending after ``DAPERF_SESSION_IDLE_MINUTES`` idle or
  ``DAPERF_SESSION_MAX_HOURS`` after sign-in.

Whatever the mode, nothing but the sign-in page and its stylesheet answers without a principal:
a page asked for in a browser redirects to ``/sign-in``, anything else (callbacks, XHR, POSTs) gets 401.
The same hook then runs the server-side guard (``app.auth.guard``) on every Dash callback and every
request that names a unit, audits record-level views, and adds the security headers.
"""
from __future__ import annotations

import hmac
import logging
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import flask
from markupsafe import Markup

from app.auth import audit, guard
from app.auth.session_key import session_secret
from daperf.config import AuthConfig, auth_config
from app.auth.hardening import add_security_headers, install_log_redaction
from app.auth.policy import Forbidden, Principal
from app.auth.users import find_user, load_users, verify_password
from daperf.config import settings

log = logging.getLogger(__name__)

DEMO_PRINCIPAL = Principal(username="demo", role="chief_officer", demo=True)

SIGN_IN_PATH = "/sign-in"
SIGN_OUT_PATH = "/sign-out"
STATIC_PATH = "/auth/static"
# Reachable without signing in: the form, its stylesheet, and the browser's automatic favicon fetch.
PUBLIC_PATHS = (SIGN_IN_PATH,)
PUBLIC_PREFIXES = (STATIC_PATH + "/", "/_favicon.ico", "/favicon.ico")
DASH_CALLBACK_PATH = "/_dash-update-component"

SESSION_COOKIE = "daperf_session"
_USER, _SIGNED_IN_AT, _LAST_SEEN, _CSRF = "user", "signed_in_at", "last_seen", "csrf"
# Refresh the idle clock at most once a minute, so the cookie is not rewritten on every callback.
_TOUCH_INTERVAL = 60


def install_auth(server: flask.Flask, *, demo: bool) -> None:
    """Install sign-in, the server-side guard, the audit hook and the security headers on ``server``."""
    config = auth_config()
    # The demo signs nobody in, so its sessions (only the sign-out form's token) need no lasting key.
    server.secret_key = secrets.token_hex(32) if demo else session_secret(config)
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=config.session_max_seconds),
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    install_log_redaction()
    if not demo and not load_users(settings().users_file):
        log.warning("No users in %s: nobody can sign in. Add one with `daperf add-user`.", settings().users_file)

    blueprint = flask.Blueprint(
        "daperf_auth", __name__, static_folder=str(Path(__file__).with_name("static")), static_url_path=STATIC_PATH
    )
    blueprint.add_url_rule(SIGN_IN_PATH, "sign_in", _sign_in_view(config, demo), methods=["GET", "POST"])
    blueprint.add_url_rule(SIGN_OUT_PATH, "sign_out", _sign_out_view(demo), methods=["GET", "POST"])
    server.register_blueprint(blueprint)

    def authenticate_and_guard() -> Any:
        flask.g.principal = None
        principal = DEMO_PRINCIPAL if demo else _principal_from_request(config)
        path = flask.request.path
        if principal is None:
            if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
                return None
            return _unauthenticated(config)
        flask.g.principal = principal
        return _guard(principal)

    # First in line: before Dash's own first-request hooks, which build every page's layout.
    server.before_request_funcs.setdefault(None, []).insert(0, authenticate_and_guard)
    server.after_request(_audit_after_request)
    server.after_request(add_security_headers)
    server.register_error_handler(Forbidden, _forbidden)


# --- who is asking -------------------------------------------------------------------------------


def _principal_from_request(config: AuthConfig) -> Principal | None:
    users_file = settings().users_file
    if config.mode == "proxy":
        username = flask.request.headers.get(config.identity_header)
        if not username:
            return None
        if not config.is_trusted_proxy(flask.request.remote_addr):
            log.warning("Identity header from an untrusted address was ignored")
            return None
        user = find_user(users_file, username.strip())
        return user.principal() if user is not None else None

    session = flask.session
    username = session.get(_USER)
    if not username:
        return None
    now = time.time()
    signed_in_at, last_seen = session.get(_SIGNED_IN_AT, 0), session.get(_LAST_SEEN, 0)
    if now - signed_in_at > config.session_max_seconds or now - last_seen > config.session_idle_seconds:
        session.clear()
        return None
    user = find_user(users_file, username)
    if user is None:  # removed from the users file since signing in
        session.clear()
        return None
    if now - last_seen >= _TOUCH_INTERVAL:
        session[_LAST_SEEN] = now
    return user.principal()


def _wants_html() -> bool:
    request = flask.request
    return (
        request.method == "GET"
        and not request.path.startswith("/_dash-")
        and request.headers.get("X-Requested-With") != "XMLHttpRequest"
        and "text/html" in request.headers.get("Accept", "")
    )


def _unauthenticated(config: AuthConfig) -> flask.Response:
    if config.mode == "standalone" and _wants_html():
        return flask.redirect(f"{SIGN_IN_PATH}?next={quote(_safe_next(flask.request.full_path), safe='/')}", code=302)
    if config.mode == "proxy" and _wants_html():
        return _page(
            "Not signed in",
            Markup("<p>Your single sign-on did not identify you as a user of this dashboard. "
                   "Ask your administrator to add you.</p>"),
            status=401,
        )
    return flask.Response("Sign in first.", status=401, mimetype="text/plain")


# --- the guard -----------------------------------------------------------------------------------


def _guard(principal: Principal) -> None:
    request = flask.request
    # Every request that names a unit in its query string (pages, download routes) is checked.
    guard.check_unit_filters(principal, {name: request.args.getlist(name) for name in guard.UNIT_FILTERS if name in request.args})
    if request.path == DASH_CALLBACK_PATH:
        if request.method != "POST" or not request.is_json:
            # JSON only: a cross-site form cannot send it without a CORS pre-flight we never grant.
            raise Forbidden("Not permitted: a callback must be a JSON POST")
        try:
            flask.g.audit_intents = guard.check_callback(principal, request.get_json(silent=True))
        except guard.RecordLevelRefused as refused:
            audit.record(principal, "refused", refused.declared.view, refused.filters)
            raise


def _audit_after_request(response: flask.Response) -> flask.Response:
    intents = getattr(flask.g, "audit_intents", None)
    principal = getattr(flask.g, "principal", None)
    if intents and principal is not None and response.status_code == 200:
        for intent in intents:
            audit.record(principal, intent.action, intent.view, intent.filters)
    return response


def _forbidden(error: Forbidden) -> flask.Response:
    message = str(error) or "Not permitted"
    if _wants_html():
        return _page("Not permitted", Markup("<p>{}</p><p><a href=\"/\">Back to the force overview</a></p>").format(message), status=403)
    return flask.Response(message, status=403, mimetype="text/plain")


# --- sign-in and sign-out pages ------------------------------------------------------------------


def _csrf_token() -> str:
    token = flask.session.get(_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        flask.session[_CSRF] = token
    return token


def _csrf_ok() -> bool:
    expected = flask.session.get(_CSRF)
    given = flask.request.form.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(str(expected), given)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme) is a place to return to."""
    target = (target or "/").rstrip("?")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _sign_in_view(config: AuthConfig, demo: bool):
    def sign_in() -> Any:
        if demo:
            return flask.redirect("/")
        if config.mode == "proxy":
            return _page(
                "Sign in",
                Markup("<p>This dashboard uses your force's single sign-on. Open it from your intranet link.</p>"),
            )
        next_path = _safe_next(flask.request.values.get("next"))
        if flask.request.method == "GET":
            return _sign_in_form(next_path)
        if not _csrf_ok():
            return _sign_in_form(next_path, "The form had expired. Please sign in again.", status=400)
        username = flask.request.form.get("username", "").strip()
        password = flask.request.form.get("password", "")
        user = verify_password(settings().users_file, username, password) if username and password else None
        if user is None:
            return _sign_in_form(next_path, "The user name or password is not right.", status=401, username=username)
        flask.session.clear()  # a fresh session (and CSRF token) after signing in
        now = time.time()
        flask.session.permanent = True
        flask.session.update({_USER: user.username, _SIGNED_IN_AT: now, _LAST_SEEN: now})
        return flask.redirect(next_path, code=303)

    return sign_in


def _sign_out_view(demo: bool):
    def sign_out() -> Any:
        if flask.request.method == "POST":
            if not _csrf_ok():
                return flask.Response("The form had expired.", status=400, mimetype="text/plain")
            flask.session.clear()
            if demo:
                return flask.redirect("/", code=303)
            return flask.redirect(SIGN_IN_PATH, code=303)
        body = Markup(
            '<form method="post" action="{action}">'
            '<input type="hidden" name="csrf_token" value="{token}">'
            '<button type="submit">Sign out</button></form>'
            '<p><a href="/">Back to the dashboard</a></p>'
        ).format(action=SIGN_OUT_PATH, token=_csrf_token())
        return _page("Sign out", body)

    return sign_out


def _sign_in_form(next_path: str, error: str | None = None, *, status: int = 200, username: str = "") -> flask.Response:
    error_html = (
        Markup('<div class="error" role="alert" id="sign-in-error"><p>{}</p></div>').format(error) if error else Markup("")
    )
    described = Markup(' aria-describedby="sign-in-error"') if error else Markup("")
    body = Markup(
        "{error}"
        '<form method="post" action="{action}" novalidate>'
        '<input type="hidden" name="csrf_token" value="{token}">'
        '<input type="hidden" name="next" value="{next}">'
        '<div class="field"><label for="username">User name</label>'
        '<input id="username" name="username" type="text" autocomplete="username" required value="{username}"{described}></div>'
        '<div class="field"><label for="password">Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required{described}></div>'
        '<button type="submit">Sign in</button>'
        "</form>"
    ).format(
        error=error_html, action=SIGN_IN_PATH, token=_csrf_token(), next=next_path, username=username, described=described
    )
    return _page("Sign in", body, status=status)


def _page(title: str, body: Markup, *, status: int = 200) -> flask.Response:
    html = Markup(
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title} – Domestic abuse performance</title>"
        '<link rel="stylesheet" href="{css}"></head>'
        '<body><header><p class="service">Domestic abuse performance</p></header>'
        '<main id="main-content"><h1>{title}</h1>{body}</main></body></html>'
    ).format(title=title, css=f"{STATIC_PATH}/signin.css", body=body)
    return flask.Response(str(html), status=status, mimetype="text/html")


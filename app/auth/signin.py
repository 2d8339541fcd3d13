"""Sign-in: who is asking, set on ``flask.g.principal`` before any page, callback or download runs.

``install_auth(server, demo=..., dash_app=...)`` is the one entry point (``app.server.create_app`` calls
it). Modes:

- demo (``daperf serve --demo``): every visitor is the demo user (``app.auth.demo``; the shell names its
  role on every page). It answers loopback clients only; ``daperf serve`` refuses ``--demo`` on any
  database but the project's demo database and on any address but a loopback one.
- proxy (``DAPERF_AUTH_MODE=proxy``): the force's reverse proxy has signed the user in and passes the
  user name in ``DAPERF_IDENTITY_HEADER``; the header is believed only from ``DAPERF_TRUSTED_PROXIES``,
  and the user must be in the users directory, which gives their role and units.
- standalone (the default): a sign-in form checks the argon2id hashes, throttled per account and per
  address (``app.auth.throttle``); the session lives in the state store (``app.auth.sessions``) and the
  cookie holds only its random token.

Nothing but a fixed set of public paths (``PUBLIC_PATHS``: the form, its stylesheet, the favicon) answers
without a principal: a page asked for in a browser redirects to ``/sign-in``, anything else gets 401.
The same hook then runs the server-side guard (``app.auth.guard``) on every Dash callback and every
request that names a unit; the audit log records record-level views, refusals, and signing in and out.
Bad input anywhere answers 400, never 500.
"""
from __future__ import annotations

import ipaddress
import logging
import math
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import flask
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

from app.auth import audit, guard, sessions, throttle
from app.auth.demo import demo_principal, is_loopback
from app.auth.hardening import add_security_headers, install_log_redaction
from app.auth.policy import Forbidden, Principal
from app.auth.users import find_user, has_users, users_file, verify_password
from daperf.config import AuthConfig, auth_config

log = logging.getLogger(__name__)

SIGN_IN_PATH = "/sign-in"
SIGN_OUT_PATH = "/sign-out"
STATIC_PATH = "/auth/static"
STYLESHEET_PATH = f"{STATIC_PATH}/signin.css"
FAVICON_PATH = "/_favicon.ico"  # Dash's own route; the pages link to it
# Reachable without signing in: exactly these paths, nothing that merely starts like them.
PUBLIC_PATHS = frozenset({SIGN_IN_PATH, STYLESHEET_PATH, FAVICON_PATH})
DASH_CALLBACK_PATH = "/_dash-update-component"

SESSION_COOKIE = "daperf_session"
SIGN_IN_COOKIE = "daperf_sign_in"  # ties the sign-in form's token to the browser it was given to
HSTS = "max-age=31536000"
SIGN_IN_VIEW = "sign-in"


def install_auth(server: flask.Flask, *, demo: bool, dash_app: Any = None) -> None:
    """Install sign-in, the server-side guard, the audit hook and the security headers on ``server``."""
    config = auth_config()
    install_log_redaction()
    if not demo and config.mode == "standalone" and not has_users():
        where = users_file() or "the state store"
        log.warning("No users in %s: nobody can sign in. Add one with `daperf add-user`.", where)

    blueprint = flask.Blueprint(
        "daperf_auth", __name__, static_folder=str(Path(__file__).with_name("static")), static_url_path=STATIC_PATH
    )
    blueprint.add_url_rule(SIGN_IN_PATH, "sign_in", _sign_in_view(config, demo), methods=["GET", "POST"])
    blueprint.add_url_rule(SIGN_OUT_PATH, "sign_out", _sign_out_view(config, demo), methods=["GET", "POST"])
    server.register_blueprint(blueprint)

    def callback_map() -> dict:
        import dash

        return (dash_app or dash.get_app()).callback_map

    def authenticate_and_guard() -> Any:
        flask.g.principal = None
        request = flask.request
        if demo:
            if not is_loopback(request.remote_addr):
                return flask.Response("The demo answers only on this computer.", status=403, mimetype="text/plain")
            principal: Principal | None = demo_principal()
        else:
            principal = _principal_from_request(config)
        if principal is None:
            if request.path in PUBLIC_PATHS:
                return None
            return _unauthenticated(config)
        flask.g.principal = principal
        return _guard(principal, callback_map)

    # After Dash's own first-request hooks (they build the callback map the guard checks requests against
    # and run no page's layout), before anything that answers a request.
    server.before_request(authenticate_and_guard)
    server.after_request(_audit_after_request)
    server.after_request(lambda response: _cookies_and_transport(response, config))
    server.after_request(add_security_headers)
    server.register_error_handler(Forbidden, _forbidden)
    server.register_error_handler(BadRequest, _bad_request)
    server.register_error_handler(ValueError, _bad_value)


# --- who is asking -------------------------------------------------------------------------------


def client_address(config: AuthConfig) -> str:
    """The client's address: the connection's, or, when that is a trusted proxy, the last address the
    proxy appended to ``X-Forwarded-For`` (the one hop we can believe)."""
    remote = flask.request.remote_addr or ""
    if config.is_trusted_proxy(remote):
        forwarded = flask.request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return remote


def _principal_from_request(config: AuthConfig) -> Principal | None:
    if config.mode == "proxy":
        username = flask.request.headers.get(config.identity_header)
        if not username:
            return None
        if not config.is_trusted_proxy(flask.request.remote_addr):
            log.warning("Identity header from an untrusted address was ignored")
            return None
        user = find_user(username.strip())
        return user.principal() if user is not None else None
    token = flask.request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    resumed = sessions.resume(token, config)
    if resumed is None:
        flask.g.clear_session_cookie = True
        return None
    session, user = resumed
    flask.g.session_digest = session.digest
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
        return flask.redirect(f"{SIGN_IN_PATH}?next={quote(safe_next(flask.request.full_path), safe='/')}", code=302)
    if config.mode == "proxy" and _wants_html():
        return _page(
            "Not signed in",
            Markup("<p>Your single sign-on did not identify you as a user of this dashboard. "
                   "Ask your administrator to add you.</p>"),
            status=401,
        )
    return flask.Response("Sign in first.", status=401, mimetype="text/plain")


# --- the guard -----------------------------------------------------------------------------------


def _guard(principal: Principal, callback_map) -> None:
    request = flask.request
    # Every request that names a unit in its query string (pages, download routes) is checked.
    named = {name: request.args.getlist(name) for name in guard.UNIT_FILTERS if name in request.args}
    if named:
        guard.check_unit_filters(principal, named)
    if request.path == DASH_CALLBACK_PATH:
        if request.method != "POST" or not request.is_json:
            # JSON only: a cross-site form cannot send it without a CORS pre-flight we never grant.
            raise Forbidden("Not permitted: a callback must be a JSON POST")
        body = request.get_json(silent=True)
        try:
            flask.g.audit_intents = guard.check_callback(principal, body, callback_map())
        except guard.RecordLevelRefused as refused:
            audit.record(principal, "refused", refused.declared.view, refused.filters)
            raise
        except guard.MalformedRequest:
            declared = guard.malformed_record_level(body)
            if declared is not None:
                audit.record(principal, "refused", declared.view, {"request": "malformed"})
            raise


def _audit_after_request(response: flask.Response) -> flask.Response:
    intents = getattr(flask.g, "audit_intents", None)
    principal = getattr(flask.g, "principal", None)
    if intents and principal is not None and response.status_code == 200:
        for intent in intents:
            audit.record(principal, intent.action, intent.view, intent.filters)
    return response


def secure_transport(config: AuthConfig) -> bool:
    """``Secure`` cookies and HSTS: as configured, else on unless the browser talks to this server on a
    loopback address directly (the demo, a developer), where there is no HTTPS to insist on."""
    if config.secure_cookies is not None:
        return config.secure_cookies
    request = flask.request
    direct = not config.is_trusted_proxy(request.remote_addr)
    return not (direct and is_loopback(request.remote_addr) and is_loopback(_host_name(request.host)))


def _over_https(config: AuthConfig) -> bool:
    request = flask.request
    forwarded = request.headers.get("X-Forwarded-Proto", "") if config.is_trusted_proxy(request.remote_addr) else ""
    return request.is_secure or forwarded.strip().lower() == "https"


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]")[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _set_cookie(response: flask.Response, name: str, value: str, *, path: str, secure: bool) -> None:
    response.set_cookie(name, value, path=path, secure=secure, httponly=True, samesite="Lax")


def _cookies_and_transport(response: flask.Response, config: AuthConfig) -> flask.Response:
    secure = secure_transport(config)
    if secure:
        response.headers["Strict-Transport-Security"] = HSTS
    token = getattr(flask.g, "new_session_token", None)
    if token:
        _set_cookie(response, SESSION_COOKIE, token, path="/", secure=secure)
    elif getattr(flask.g, "clear_session_cookie", False):
        response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="Lax")
    binding = getattr(flask.g, "new_sign_in_cookie", None)
    if binding:
        _set_cookie(response, SIGN_IN_COOKIE, binding, path=SIGN_IN_PATH, secure=secure)
    elif getattr(flask.g, "clear_sign_in_cookie", False):
        response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH, secure=secure, httponly=True, samesite="Lax")
    return response


def _forbidden(error: Forbidden) -> flask.Response:
    message = str(error) or "Not permitted"
    if _wants_html():
        return _page("Not permitted", Markup("<p>{}</p><p><a href=\"/\">Back to the force overview</a></p>").format(message), status=403)
    return flask.Response(message, status=403, mimetype="text/plain")


def _bad_request(error: BadRequest) -> flask.Response:
    message = error.description if isinstance(error, guard.MalformedRequest) else "Bad request."
    return flask.Response(message, status=400, mimetype="text/plain")


def _bad_value(error: ValueError) -> flask.Response:
    # A value the code below refused (an unknown stage, a malformed date): the request was wrong.
    log.warning("Refused a request with a value that was not accepted: %s", error, exc_info=error)
    return flask.Response("Bad request: a value in the request was not accepted.", status=400,
                          mimetype="text/plain")


# --- where to go after signing in ----------------------------------------------------------------

_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SAFE_PATH_CHARACTERS = "/?=&-._~:@!$'()*+,;"


def safe_next(target: Any) -> str:
    """A same-site path to return to after signing in, else ``/``. The target is percent-decoded until it
    stops changing and stripped of control and invisible characters (browsers drop a tab or newline
    from a URL, so ``/<tab>/evil.example`` is ``//evil.example`` to them) before it is checked, and
    re-encoded after, so the header holds exactly the path that was checked."""
    if not isinstance(target, str) or len(target) > 2048:
        return "/"
    text = target
    for _ in range(4):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    text = "".join(ch for ch in _INVISIBLE.sub("", text) if unicodedata.category(ch) != "Cf").strip()
    text = text.rstrip("?")
    if (not text.startswith("/") or text.startswith("//") or "\\" in text
            or urlsplit(text).scheme or urlsplit(text).netloc):
        return "/"
    path = urlsplit(text).path
    if path in (SIGN_IN_PATH, SIGN_OUT_PATH):
        return "/"
    return quote(text, safe=_SAFE_PATH_CHARACTERS)


# --- sign-in and sign-out pages ------------------------------------------------------------------


def _sign_in_binding() -> str:
    """The browser's sign-in cookie (made now if it has none): form tokens are valid only with it."""
    value = flask.request.cookies.get(SIGN_IN_COOKIE)
    if not value or len(value) > 256:
        value = getattr(flask.g, "new_sign_in_cookie", None) or sessions.new_token()
        flask.g.new_sign_in_cookie = value
    return sessions.digest(value)


def _wait_words(seconds: float) -> str:
    if seconds >= 90:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minutes"
    whole = max(1, math.ceil(seconds))
    return f"{whole} second{'s' if whole != 1 else ''}"


def _throttled_message(retry_after: float) -> str:
    if retry_after >= throttle.ACCOUNT.lock_seconds / 2:
        return (f"Signing in is paused for {_wait_words(retry_after)} after repeated failed attempts. "
                "If these were not yours, tell your administrator.")
    return f"Too many failed attempts. Wait {_wait_words(retry_after)} before trying again."


def _sign_in_view(config: AuthConfig, demo: bool):
    def sign_in() -> Any:
        if demo:
            return flask.redirect("/")
        if config.mode == "proxy":
            return _page(
                "Sign in",
                Markup("<p>This dashboard uses your force's single sign-on. Open it from your intranet link.</p>"),
            )
        request = flask.request
        next_path = safe_next(request.values.get("next"))
        if request.method == "GET":
            return _sign_in_form(next_path)
        had_cookie = bool(request.cookies.get(SIGN_IN_COOKIE))
        if not (had_cookie and sessions.use_form_token("sign-in", _sign_in_binding(), request.form.get("csrf_token"))):
            if not had_cookie and secure_transport(config) and not _over_https(config):
                # The browser dropped the form's Secure cookie: it was sent over plain HTTP.
                return _sign_in_form(next_path, "Signing in needs a secure address: open the dashboard at its "
                                                "https:// address.", status=400)
            return _sign_in_form(next_path, "The form had expired. Please sign in again.", status=400)
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or not password:
            return _sign_in_form(next_path, "Enter your user name and password.", status=400, username=username)
        address = client_address(config)
        account = throttle.account_key(username)
        keys = [(account, throttle.ACCOUNT), (throttle.address_key(address), throttle.ADDRESS)]
        verdict = throttle.begin_attempt(keys)
        if not verdict.allowed:
            response = _sign_in_form(next_path, _throttled_message(verdict.retry_after), status=429, username=username)
            response.headers["Retry-After"] = str(math.ceil(verdict.retry_after))
            return response
        user = verify_password(username, password)
        if user is None:
            known = find_user(username)
            who, role = (known.username, known.role) if known else (audit.UNKNOWN_USER, audit.NO_ROLE)
            audit.record_event(who, role, "sign_in_failed", SIGN_IN_VIEW, {"address": address})
            if throttle.locked(keys):
                audit.record_event(who, role, "sign_in_locked", SIGN_IN_VIEW, {"address": address})
            return _sign_in_form(next_path, "The user name or password is not right.", status=401, username=username)
        throttle.succeeded(account, keys[1:])
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            sessions.end(old)  # a new session, never one a visitor was handed before signing in
        flask.g.new_session_token = sessions.start(user, address, config)
        flask.g.clear_sign_in_cookie = True
        audit.record_event(user.username, user.role, "sign_in", SIGN_IN_VIEW, {"address": address})
        return flask.redirect(next_path, code=303)

    return sign_in


def _sign_out_view(config: AuthConfig, demo: bool):
    def sign_out() -> Any:
        if demo:
            return _page("Sign out", Markup("<p>The demo signs every visitor in as the demo user: there is "
                                            "nothing to sign out of.</p><p><a href=\"/\">Back to the dashboard</a></p>"))
        session_digest = getattr(flask.g, "session_digest", None)
        if session_digest is None:  # proxy mode: the single sign-on decides
            return _page("Sign out", Markup("<p>Sign out of your force's single sign-on to leave this dashboard.</p>"))
        if flask.request.method == "POST":
            if not sessions.use_form_token("sign-out", session_digest, flask.request.form.get("csrf_token")):
                return flask.Response("The form had expired.", status=400, mimetype="text/plain")
            sessions.end_digest(session_digest)
            principal = flask.g.principal
            audit.record_event(principal.username, principal.role, "sign_out", SIGN_IN_VIEW,
                               {"address": client_address(config)})
            flask.g.clear_session_cookie = True
            return flask.redirect(SIGN_IN_PATH, code=303)
        body = Markup(
            '<form method="post" action="{action}">'
            '<input type="hidden" name="csrf_token" value="{token}">'
            '<button type="submit">Sign out</button></form>'
            '<p><a href="/">Back to the dashboard</a></p>'
        ).format(action=SIGN_OUT_PATH, token=sessions.issue_form_token("sign-out", session_digest))
        return _page("Sign out", body)

    return sign_out


def _sign_in_form(next_path: str, error: str | None = None, *, status: int = 200, username: str = "") -> flask.Response:
    error_html = (
        Markup('<div class="error" role="alert" id="sign-in-error"><p>{}</p></div>').format(error) if error else Markup("")
    )
    described = Markup(' aria-describedby="sign-in-error"') if error else Markup("")
    token = sessions.issue_form_token("sign-in", _sign_in_binding())
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
        error=error_html, action=SIGN_IN_PATH, token=token, next=next_path, username=username[:128], described=described
    )
    return _page("Sign in", body, status=status)


def _page(title: str, body: Markup, *, status: int = 200) -> flask.Response:
    html = Markup(
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title} – Domestic abuse performance</title>"
        '<link rel="icon" href="{icon}">'
        '<link rel="stylesheet" href="{css}"></head>'
        '<body><header><p class="service">Domestic abuse performance</p></header>'
        '<main id="main-content"><h1>{title}</h1>{body}</main></body></html>'
    ).format(title=title, icon=FAVICON_PATH, css=STYLESHEET_PATH, body=body)
    return flask.Response(str(html), status=status, mimetype="text/html")

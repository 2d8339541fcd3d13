"""Standalone sign-in, proxy sign-in, demo mode, sessions, throttling and the users directory, over HTTP."""
from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import tomllib
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from app.auth import audit, sessions, store, throttle
from app.auth.signin import SESSION_COOKIE, safe_next
from app.auth.users import add_user, find_user, new_user, remove_user, save_user, verify_password
from tests.auth.conftest import (PASSWORD, TRUSTED_PROXY, USERS, as_if_at_once, auth_environment, csrf_token,
                                 sign_in)

HTML = {"Accept": "text/html"}
GOOD_BATCH = Path(__file__).resolve().parents[1] / "fixtures" / "extracts" / "good"


def _age_sessions(**values: float) -> None:
    """Move every session's clocks back (the store is the only place they are kept)."""
    with store.writing() as con:
        con.execute(update(store.sessions).values(**values))


def _cookie(client) -> str:
    return client.get_cookie(SESSION_COOKIE).value


def test_every_page_redirects_to_sign_in_when_signed_out(standalone):
    server = standalone.server
    client = server.test_client()
    for path in ("/", "/attrition?from=2025-01&to=2025-12", "/daily", "/audit", "/data-quality"):
        response = client.get(path, headers=HTML)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/sign-in?next=/")


def test_callbacks_and_layout_refuse_without_a_session(standalone):
    client = standalone.server.test_client()
    assert client.post("/_dash-update-component", json={"output": "x.children", "outputs": {"id": "x", "property": "children"},
                                                         "inputs": [], "changedPropIds": []}).status_code == 401
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-dependencies").status_code == 401


def test_sign_in_page_its_stylesheet_and_the_favicon_are_public(standalone):
    client = standalone.server.test_client()
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert b'<label for="username">' in page.data and b'<label for="password">' in page.data
    with client.get("/auth/static/signin.css") as stylesheet:
        assert stylesheet.status_code == 200
    with client.get("/_favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype.startswith("image/")


@pytest.mark.parametrize("path", ["/favicon.ico.anything", "/_favicon.icox", "/_favicon.ico/x", "/favicon.ico",
                                  "/auth/static/signin.cssx", "/auth/static/other.css", "/sign-inx", "/sign-in/x",
                                  "/_dash-layout", "/assets/x.css"])
def test_finding_5_public_paths_are_exact_not_prefixes(standalone, path):
    """Issue 11 finding 5: ``/favicon.ico.anything`` and ``/_favicon.icox`` answered 200 without sign-in,
    with the app's page (and the Python, Dash and Plotly versions in it)."""
    client = standalone.server.test_client()
    for headers in (HTML, {}):
        response = client.get(path, headers=headers)
        assert response.status_code in (302, 401), (path, response.status_code)
        assert b"DashRenderer" not in response.data and b"dash_renderer" not in response.data


def test_good_password_signs_in_and_returns_to_the_page_asked_for(standalone):
    server = standalone.server
    client = server.test_client()
    token = csrf_token(client.get("/sign-in?next=/daily").data)
    response = client.post("/sign-in", data={"username": "coord", "password": PASSWORD, "csrf_token": token,
                                              "next": "/daily"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/daily"
    assert client.get("/daily", headers=HTML).status_code == 200
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # a loopback address: no HTTPS to insist on
    assert "Strict-Transport-Security" not in response.headers
    entry = audit.read_audit(1)[0]
    assert (entry.username, entry.role, entry.action, entry.filters) == ("coord", "coordinator", "sign_in",
                                                                        {"address": "127.0.0.1"})


def test_next_never_leaves_the_site(standalone):
    server = standalone.server
    client = server.test_client()
    token = csrf_token(client.get("/sign-in").data)
    response = client.post("/sign-in", data={"username": "coord", "password": PASSWORD, "csrf_token": token,
                                              "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


EVIL_NEXT = ["/\t/evil.example/login", "/%09/evil.example/login", "/\n/evil.example", "/%0a/evil.example",
             "\t//evil.example", " //evil.example", "/%2F/evil.example", "/%252F%252Fevil.example",
             "/\\evil.example", "/%5Cevil.example", "https://evil.example/", "javascript:alert(1)",
             "/\u200b/evil.example", "/\r\n/evil.example", "evil.example"]


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_finding_1_next_is_a_same_site_path_after_decoding_and_stripping(standalone, target):
    """Issue 11 finding 1: ``/sign-in?next=/%09/evil.example/login`` sent a signed-in user to
    ``//evil.example/login`` (the check saw ``/<tab>/``; the tab was dropped when the header was built).
    Finding 8: a newline in ``next=`` gave 500."""
    server = standalone.server
    client = server.test_client()
    form = client.get("/sign-in", query_string={"next": target})
    assert form.status_code == 200
    response = client.post("/sign-in", data={"username": "coord", "password": PASSWORD,
                                              "csrf_token": csrf_token(form.data), "next": target})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == "/", (target, location)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40).map(lambda t: "/" + t) | st.text(max_size=40))
def test_safe_next_is_always_one_path_on_this_site(target):
    result = safe_next(target)
    parts = urlsplit(result)
    assert result.startswith("/") and not result.startswith("//")
    assert not parts.scheme and not parts.netloc
    assert all(32 < ord(ch) < 127 for ch in result)  # percent-encoded: nothing a browser would drop or fold
    assert "\\" not in result


def test_a_path_with_its_query_survives_the_round_trip(standalone):
    client = standalone.server.test_client()
    first = client.get("/attrition?division=NORTH&from=2025-01", headers=HTML)
    assert first.headers["Location"] == "/sign-in?next=/attrition%3Fdivision%3DNORTH%26from%3D2025-01"
    form = client.get(first.headers["Location"])
    response = client.post("/sign-in", data={"username": "coord", "password": PASSWORD, "csrf_token": csrf_token(form.data),
                                              "next": "/attrition?division=NORTH&from=2025-01"})
    assert response.headers["Location"] == "/attrition?division=NORTH&from=2025-01"


def test_bad_password_and_unknown_user_are_refused_alike(standalone):
    server = standalone.server
    wrong, wrong_response = sign_in(server, "chief", "not the password at all")
    unknown, unknown_response = sign_in(server, "nobody", PASSWORD)
    for client, response in ((wrong, wrong_response), (unknown, unknown_response)):
        assert response.status_code == 401
        assert b"The user name or password is not right." in response.data
        assert client.get("/", headers=HTML).status_code == 302
    failed = audit.read_audit(2, action="sign_in_failed")
    # A name nobody has is not written down (it may be a password typed in the wrong box).
    assert [(e.username, e.role) for e in failed] == [(audit.UNKNOWN_USER, audit.NO_ROLE), ("chief", "chief_officer")]


def test_sign_in_without_the_csrf_token_is_refused(standalone):
    client = standalone.server.test_client()
    client.get("/sign-in")
    response = client.post("/sign-in", data={"username": "chief", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/", headers=HTML).status_code == 302
    forged = client.post("/sign-in", data={"username": "chief", "password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 400


def test_a_sign_in_token_serves_one_attempt_and_only_its_own_browser(standalone):
    """Issue 11 finding 6 (in part): one sign-in CSRF token served unlimited attempts."""
    server = standalone.server
    client = server.test_client()
    token = csrf_token(client.get("/sign-in").data)
    first = client.post("/sign-in", data={"username": "analyst", "password": "a wrong password", "csrf_token": token})
    assert first.status_code == 401
    again = client.post("/sign-in", data={"username": "analyst", "password": PASSWORD, "csrf_token": token})
    assert again.status_code == 400 and b"The form had expired" in again.data
    elsewhere = server.test_client()  # another browser, with the token but not the cookie it was given with
    elsewhere.get("/sign-in")
    stolen = csrf_token(client.get("/sign-in").data)
    assert elsewhere.post("/sign-in", data={"username": "analyst", "password": PASSWORD,
                                            "csrf_token": stolen}).status_code == 400


def test_finding_6_password_guessing_is_slowed_then_paused_and_audited(standalone):
    """Issue 11 finding 6: 3–8 guesses a second for one user, no 429, no lock-out. Now: three free
    failures, then a growing wait (429 with Retry-After and a clear message), and at ten failures the
    account is paused for 15 minutes, even for the right password; every failure and the pause are in the
    audit log. Waiting is simulated by moving the recorded times back, as the clock would."""
    server = standalone.server
    client = server.test_client()

    def attempt(password: str):
        token = csrf_token(client.get("/sign-in").data)
        return client.post("/sign-in", data={"username": "analyst", "password": password, "csrf_token": token})

    def wait_out() -> None:
        with store.writing() as con:
            con.execute(update(store.sign_in_throttle).values(next_allowed_at=0.0))

    _forget_failures()
    before = max((e.audit_id for e in audit.read_audit(1)), default=0)
    assert [attempt(f"wrong guess {n}").status_code for n in range(4)] == [401, 401, 401, 401]
    as_if_at_once()
    refused = attempt("another wrong guess")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert b"Too many failed attempts. Wait 1 second before trying again." in refused.data
    for failures in range(5, 10):
        wait_out()
        assert attempt(f"guess {failures}").status_code == 401
        as_if_at_once()
        assert attempt("too soon").status_code == 429
    wait_out()
    assert attempt("the tenth guess").status_code == 401
    paused = attempt(PASSWORD)
    assert paused.status_code == 429
    assert paused.headers["Retry-After"] == str(15 * 60)
    assert b"Signing in is paused for 15 minutes after repeated failed attempts" in paused.data
    failures = audit.read_audit(100, username="analyst", action="sign_in_failed")
    assert len([e for e in failures if e.audit_id > before]) == 10
    assert [e.action for e in audit.read_audit(2, username="analyst")] == ["sign_in_locked", "sign_in_failed"]
    wait_out()  # fifteen minutes later: the right password works and the count starts again
    assert attempt(PASSWORD).status_code == 303
    assert throttle.failures(throttle.account_key("analyst")) == 0


def _forget_failures() -> None:
    """Earlier tests' failures from this test client's address count too: start from nothing."""
    with store.writing() as con:
        con.execute(store.sign_in_throttle.delete())


def test_guessing_many_accounts_from_one_address_is_slowed_too(standalone):
    _forget_failures()
    client = standalone.server.test_client()
    address = {"REMOTE_ADDR": "192.0.2.77"}

    def attempt(username: str):
        token = csrf_token(client.get("/sign-in", environ_base=address).data)
        return client.post("/sign-in", environ_base=address,
                           data={"username": username, "password": "not it at all", "csrf_token": token})

    assert [attempt(f"user{n}").status_code for n in range(11)] == [401] * 11  # a shared office address
    as_if_at_once()
    assert attempt("user11").status_code == 429
    other = standalone.server.test_client()  # the same account from another address is not held up
    _client, response = sign_in(standalone.server, "user11", "not it at all", client=other)
    assert response.status_code == 401


def test_finding_2_sign_out_ends_the_session_for_every_copy_of_the_cookie(standalone):
    """Issue 11 finding 2: a copy of the cookie taken before ``POST /sign-out`` still got 200 from
    ``/_dash-layout`` afterwards."""
    server = standalone.server
    client, _ = sign_in(server, "chief")
    copy = server.test_client()
    copy.set_cookie(SESSION_COOKIE, _cookie(client))
    assert copy.get("/_dash-layout").status_code == 200
    assert client.post("/sign-out", data={}).status_code == 400  # the form's token is needed
    token = csrf_token(client.get("/sign-out").data)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 303
    assert client.get("/", headers=HTML).status_code == 302
    assert copy.get("/_dash-layout").status_code == 401
    assert copy.get("/", headers=HTML).status_code == 302
    assert audit.read_audit(1)[0].action == "sign_out"


def test_idle_session_expires(standalone):
    client, _ = sign_in(standalone.server, "chief")
    assert client.get("/", headers=HTML).status_code == 200
    _age_sessions(last_seen_at=time.time() - 31 * 60)  # idle limit in this app: 30 minutes
    assert client.get("/", headers=HTML).status_code == 302


def test_absolute_session_limit_holds_even_when_active(standalone):
    client, _ = sign_in(standalone.server, "chief")
    _age_sessions(created_at=time.time() - 8 * 3600 - 60, last_seen_at=time.time())  # absolute limit: 8 hours
    assert client.get("/_dash-layout").status_code == 401


def test_use_refreshes_the_idle_clock_at_most_once_a_minute(standalone):
    client, _ = sign_in(standalone.server, "chief")
    long_ago = time.time() - 10 * 60
    _age_sessions(last_seen_at=long_ago)
    assert client.get("/_dash-layout").status_code == 200
    # This client's session (others that earlier tests left in the store are not used here, so not refreshed).
    own = sessions.digest(_cookie(client))
    with store.reading() as con:
        (seen,) = con.execute(store.select(store.sessions.c.last_seen_at)
                              .where(store.sessions.c.session_digest == own)).scalars().all()
    assert seen > long_ago + 9 * 60


def test_a_new_password_or_role_ends_the_users_sessions_at_once(standalone, tmp_path, monkeypatch):
    server = standalone.server
    client, _ = sign_in(server, "coord")
    assert client.get("/_dash-layout").status_code == 200
    add_user("coord", "coordinator", [], "a brand new passphrase")
    assert client.get("/_dash-layout").status_code == 401
    client, _ = sign_in(server, "coord", "a brand new passphrase")
    assert client.get("/_dash-layout").status_code == 200
    save_user(new_user("coord", "analyst", [], PASSWORD))  # a role change
    assert client.get("/_dash-layout").status_code == 401
    save_user(new_user("coord", "coordinator", [], PASSWORD))


def test_a_role_changed_in_a_users_file_ends_the_session_at_the_next_request(standalone, prepared_users, tmp_path,
                                                                             monkeypatch):
    users = tmp_path / "users.toml"
    for user in prepared_users:
        save_user(user, path=users)
    monkeypatch.setenv("DAPERF_USERS_FILE", str(users))
    client, response = sign_in(standalone.server, "north_lead")
    assert response.status_code == 303
    assert client.get("/_dash-layout").status_code == 200
    save_user(new_user("north_lead", "division_lead", ["SOUTH"], PASSWORD), path=users)  # another division
    assert client.get("/_dash-layout").status_code == 401


def test_a_removed_user_is_signed_out(standalone):
    server = standalone.server
    save_user(new_user("temp", "analyst", [], PASSWORD))
    client, response = sign_in(server, "temp")
    assert response.status_code == 303
    assert client.get("/", headers=HTML).status_code == 200
    assert remove_user("temp")
    assert client.get("/", headers=HTML).status_code == 302
    assert not remove_user("temp")


def test_sessions_command_lists_and_ends_sessions(standalone):
    from typer.testing import CliRunner

    from cli.main import app as cli

    server = standalone.server
    sessions.end_all()
    lead, _ = sign_in(server, "north_lead")
    chief, _ = sign_in(server, "chief")
    listed = CliRunner().invoke(cli, ["sessions", "list"])
    assert listed.exit_code == 0, listed.output
    assert "2 live sessions" in listed.output
    assert "north_lead (Division lead)" in listed.output and "chief (Chief officer)" in listed.output
    ended = CliRunner().invoke(cli, ["sessions", "end", "north_lead"])
    assert ended.exit_code == 0 and "Ended 1 session of north_lead" in ended.output
    assert lead.get("/_dash-layout").status_code == 401
    assert chief.get("/_dash-layout").status_code == 200
    assert CliRunner().invoke(cli, ["sessions", "end-all"]).exit_code == 0
    assert chief.get("/_dash-layout").status_code == 401
    assert [e.action for e in audit.read_audit(2)] == ["session_ended", "session_ended"]


def test_the_header_names_who_is_signed_in_and_links_to_sign_out(clients):
    import json

    from tests.dash_requests import components

    layout = json.loads(clients["division_lead"].get("/_dash-layout").data)
    user = next(c for c in components(layout) if c["props"].get("id") == "shell-user")
    assert "north_lead (Division lead)" in json.dumps(user["props"]["children"])
    assert any(c["props"].get("href") == "/sign-out" for c in components(user))


@pytest.fixture
def proxy_server(synthetic_force_db, prepared_users, tmp_path, monkeypatch):
    from app.server import create_app

    auth_environment(monkeypatch, tmp_path, prepared_users, DAPERF_AUTH_MODE="proxy",
                     DAPERF_TRUSTED_PROXIES=f"{TRUSTED_PROXY}, 127.0.0.1", DAPERF_IDENTITY_HEADER="X-Remote-User")
    return create_app(synthetic_force_db, demo=False).server


def test_proxy_header_is_trusted_from_the_proxy(proxy_server):
    client = proxy_server.test_client()
    response = client.get("/", headers={**HTML, "X-Remote-User": "chief"}, environ_base={"REMOTE_ADDR": "10.20.3.4"})
    assert response.status_code == 200


def test_proxy_header_from_an_untrusted_address_is_ignored(proxy_server):
    client = proxy_server.test_client()
    response = client.get("/", headers={**HTML, "X-Remote-User": "chief"}, environ_base={"REMOTE_ADDR": "192.168.1.9"})
    assert response.status_code == 401
    callback = client.post("/_dash-update-component", json={"outputs": {"id": "x", "property": "children"}, "inputs": []},
                           headers={"X-Remote-User": "chief"}, environ_base={"REMOTE_ADDR": "192.168.1.9"})
    assert callback.status_code == 401


def test_proxy_user_missing_from_the_users_directory_is_refused(proxy_server):
    client = proxy_server.test_client()
    response = client.get("/", headers={**HTML, "X-Remote-User": "stranger"}, environ_base={"REMOTE_ADDR": "10.20.3.4"})
    assert response.status_code == 401


def test_proxy_role_comes_from_the_users_directory_not_the_proxy(proxy_server):
    client = proxy_server.test_client()
    # ashford is a partnership user: the data quality page's callbacks are refused whatever else is sent.
    response = client.post("/_dash-update-component", json=_data_quality_body(),
                           headers={"X-Remote-User": "ashford", "X-Remote-Role": "chief_officer"},
                           environ_base={"REMOTE_ADDR": "10.20.3.4"})
    assert response.status_code == 403


def _data_quality_body() -> dict:
    return {"output": "data-quality-completeness.children",
            "outputs": {"id": "data-quality-completeness", "property": "children"},
            "inputs": [{"id": {"name": "from", "page": "data-quality", "type": "filter"}, "property": "value", "value": None},
                       {"id": {"name": "to", "page": "data-quality", "type": "filter"}, "property": "value", "value": None}],
            "state": [], "changedPropIds": []}


def test_proxy_mode_needs_trusted_addresses(monkeypatch):
    from daperf.config import auth_config

    monkeypatch.setenv("DAPERF_AUTH_MODE", "proxy")
    monkeypatch.delenv("DAPERF_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("DAPERF_AUTH_CONFIG", raising=False)
    with pytest.raises(ValueError, match="DAPERF_TRUSTED_PROXIES"):
        auth_config()


def test_config_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    from daperf.config import auth_config

    config_file = tmp_path / "auth.toml"
    config_file.write_text('auth_mode = "proxy"\ntrusted_proxies = ["10.0.0.1", "10.1.0.0/24"]\n'
                           'session_idle_minutes = 15\nsecure_cookies = true\n')
    for name in ("DAPERF_AUTH_MODE", "DAPERF_TRUSTED_PROXIES", "DAPERF_SESSION_IDLE_MINUTES", "DAPERF_SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAPERF_AUTH_CONFIG", str(config_file))
    monkeypatch.setenv("DAPERF_SESSION_IDLE_MINUTES", "5")
    config = auth_config()
    assert config.mode == "proxy" and config.secure_cookies is True
    assert config.is_trusted_proxy("10.1.0.77") and not config.is_trusted_proxy("10.1.1.1")
    assert config.session_idle_seconds == 5 * 60  # the environment's 5, not the file's 15
    monkeypatch.delenv("DAPERF_AUTH_CONFIG")
    assert auth_config().secure_cookies is None  # auto, by default


def test_finding_8_secure_cookies_and_hsts_whenever_the_server_is_not_on_loopback(standalone):
    """Issue 11 finding 8: secure cookies were off by default and there was no HSTS."""
    server = standalone.server
    remote = {"REMOTE_ADDR": "192.0.2.10"}
    client = server.test_client()
    client.get("/sign-in", headers={"Host": "dashboard.force.example"}, environ_base=remote)
    form = client.get("/sign-in", headers={"Host": "dashboard.force.example"}, environ_base=remote)
    assert form.headers["Strict-Transport-Security"] == "max-age=31536000"
    response = client.post("/sign-in", headers={"Host": "dashboard.force.example"}, environ_base=remote,
                           data={"username": "coord", "password": PASSWORD, "csrf_token": csrf_token(form.data)})
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(SESSION_COOKIE))
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    # Over plain HTTP a browser drops the form's Secure cookie: say what is wrong, not "expired".
    plain = server.test_client().post("/sign-in", headers={"Host": "dashboard.force.example"}, environ_base=remote,
                                      data={"username": "coord", "password": PASSWORD, "csrf_token": "x"})
    assert plain.status_code == 400 and b"Signing in needs a secure address" in plain.data


def test_secure_cookies_can_be_turned_off_or_forced(synthetic_force_db, prepared_users, tmp_path, monkeypatch):
    from app.server import create_app

    auth_environment(monkeypatch, tmp_path, prepared_users, DAPERF_SECURE_COOKIES="true")
    server = create_app(synthetic_force_db, demo=False).server
    _client, response = sign_in(server, "chief")
    assert "Secure" in next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(SESSION_COOKIE))
    monkeypatch.setenv("DAPERF_SECURE_COOKIES", "false")
    server = create_app(synthetic_force_db, demo=False).server
    _client, response = sign_in(server, "chief", REMOTE_ADDR="192.0.2.10")
    assert "Secure" not in next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(SESSION_COOKIE))
    assert "Strict-Transport-Security" not in response.headers


def test_demo_mode_signs_everyone_in_as_the_demo_user_and_says_which_role(synthetic_force_db, tmp_path, monkeypatch):
    from app.auth.context import current_principal
    from app.server import create_app

    auth_environment(monkeypatch, tmp_path)
    server = create_app(synthetic_force_db, demo=True).server
    client = server.test_client()
    assert client.get("/", headers=HTML).status_code == 200
    with server.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        server.preprocess_request()
        principal = current_principal()
    assert principal.demo and principal.username == "demo" and principal.role == "chief_officer"
    assert "signed in as the demo user, with the role chief officer" in client.get("/_dash-layout").get_data(as_text=True)
    assert client.get("/sign-in").status_code == 302
    # Nobody else: the demo answers this computer only.
    assert client.get("/", headers=HTML, environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 403


def test_finding_8_demo_serves_only_the_demo_database_on_loopback(synthetic_force_db, tmp_path, monkeypatch):
    """Issue 11 finding 8: ``daperf serve --demo`` signed everyone in as a chief officer on any database and
    any host."""
    import shutil

    from typer.testing import CliRunner

    from app.auth.demo import check_demo_serving, demo_database_problem, write_manifest
    from cli.main import app as cli
    from etl.load import run_load

    monkeypatch.setenv("DAPERF_KEY_FILE", str(tmp_path / "secrets" / "pseudonymisation.key"))
    refused = CliRunner().invoke(cli, ["serve", "--db", str(synthetic_force_db), "--demo"])
    assert refused.exit_code == 2
    assert "Not served: --demo serves only the project's demo database" in refused.output
    refused = CliRunner().invoke(cli, ["serve", "--db", str(synthetic_force_db), "--demo", "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and "only on a loopback address" in refused.output

    demo_folder = Path(shutil.copytree(GOOD_BATCH, tmp_path / "demo"))
    write_manifest(demo_folder)  # as `daperf demo-data` does
    db = tmp_path / "demo.duckdb"
    run_load(demo_folder, db, progress=False)
    assert demo_database_problem(db) is None
    check_demo_serving(db, "127.0.0.1")
    with pytest.raises(Exception, match="loopback"):
        check_demo_serving(db, "192.0.2.10")
    real = Path(shutil.copytree(GOOD_BATCH, tmp_path / "force-extracts"))  # the same kind of files, no manifest
    run_load(real, db, progress=False)
    assert "holds no demo manifest" in demo_database_problem(db)
    assert demo_database_problem(tmp_path / "missing.duckdb").startswith("No database")


def test_finding_8_files_are_created_readable_by_their_owner_only(tmp_path, monkeypatch):
    """Issue 11 finding 8: the database and the audit file were created mode 644."""
    from etl.load import run_load

    monkeypatch.setenv("DAPERF_KEY_FILE", str(tmp_path / "secrets" / "pseudonymisation.key"))
    db = tmp_path / "db" / "daperf.duckdb"
    run_load(GOOD_BATCH, db, progress=False)
    monkeypatch.setenv("DAPERF_STATE_URL", f"sqlite:///{tmp_path / 'state' / 'state.sqlite'}")
    audit.record_event("someone", "analyst", "view", "data quality", {})
    users = tmp_path / "users.toml"
    add_user("j.smith", "analyst", [], PASSWORD, path=users)
    for path in (db, tmp_path / "state" / "state.sqlite", users, tmp_path / "secrets" / "pseudonymisation.key"):
        assert oct(path.stat().st_mode & 0o777) == "0o600", path


def test_add_user_cli_writes_an_argon2_hash_to_the_state_store(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app as cli

    auth_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("DAPERF_NEW_PASSWORD", "a long enough passphrase")
    result = CliRunner().invoke(cli, ["add-user", "j.smith", "--role", "division_lead", "--units", "NORTH, SOUTH",
                                      "--forces", "E23000001"])
    assert result.exit_code == 0, result.output
    user = find_user("j.smith")
    assert user.role == "division_lead" and user.units == {"NORTH", "SOUTH"} and user.forces == {"E23000001"}
    assert user.principal().forces == {"E23000001"}
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough passphrase" not in (tmp_path / "state.sqlite").read_bytes().decode("latin-1")
    assert verify_password("j.smith", "a long enough passphrase") is not None
    removed = CliRunner().invoke(cli, ["remove-user", "j.smith"])
    assert removed.exit_code == 0 and find_user("j.smith") is None


def test_add_user_cli_writes_a_users_file_when_asked(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app as cli

    auth_environment(monkeypatch, tmp_path)
    users = tmp_path / "users.toml"
    monkeypatch.setenv("DAPERF_NEW_PASSWORD", "a long enough passphrase")
    result = CliRunner().invoke(cli, ["add-user", "j.smith", "--role", "division_lead", "--units", "NORTH, SOUTH",
                                      "--users-file", str(users)])
    assert result.exit_code == 0, result.output
    entry = tomllib.loads(users.read_text())["users"]["j.smith"]
    assert entry["role"] == "division_lead" and entry["units"] == ["NORTH", "SOUTH"]
    assert entry["password_hash"].startswith("$argon2id$")
    assert "a long enough passphrase" not in users.read_text()
    monkeypatch.setenv("DAPERF_USERS_FILE", str(users))
    assert verify_password("j.smith", "a long enough passphrase") is not None
    assert oct(users.stat().st_mode & 0o777) == "0o600"


def test_add_user_cli_refuses_a_scoped_role_without_units(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app as cli

    auth_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("DAPERF_NEW_PASSWORD", "a long enough passphrase")
    result = CliRunner().invoke(cli, ["add-user", "p", "--role", "partnership"])
    assert result.exit_code == 2
    assert find_user("p") is None


def test_users_fixture_has_every_role():
    from app.auth.policy import ROLES

    assert sorted(role for role, _ in USERS.values()) == sorted(ROLES)

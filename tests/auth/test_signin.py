"""Standalone sign-in, proxy sign-in, demo mode, sessions and the users file, over HTTP."""
from __future__ import annotations

import time

import pytest
import tomllib

from app.auth.users import add_user, verify_password
from tests.auth.conftest import PASSWORD, TRUSTED_PROXY, USERS, auth_environment, csrf_token, sign_in

HTML = {"Accept": "text/html"}


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


def test_sign_in_page_and_its_stylesheet_are_public(standalone):
    client = standalone.server.test_client()
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert b'<label for="username">' in page.data and b'<label for="password">' in page.data
    with client.get("/auth/static/signin.css") as stylesheet:
        assert stylesheet.status_code == 200


def test_good_password_signs_in_and_returns_to_the_page_asked_for(standalone):
    server = standalone.server
    client = server.test_client()
    token = csrf_token(client.get("/sign-in?next=/daily").data)
    response = client.post("/sign-in", data={"username": "coord", "password": PASSWORD, "csrf_token": token,
                                              "next": "/daily"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/daily"
    assert client.get("/daily", headers=HTML).status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_next_never_leaves_the_site(standalone):
    server = standalone.server
    client = server.test_client()
    token = csrf_token(client.get("/sign-in").data)
    response = client.post("/sign-in", data={"username": "coord", "password": PASSWORD, "csrf_token": token,
                                              "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_bad_password_and_unknown_user_are_refused_alike(standalone):
    server = standalone.server
    wrong, wrong_response = sign_in(server, "chief", "not the password at all")
    unknown, unknown_response = sign_in(server, "nobody", PASSWORD)
    for client, response in ((wrong, wrong_response), (unknown, unknown_response)):
        assert response.status_code == 401
        assert b"The user name or password is not right." in response.data
        assert client.get("/", headers=HTML).status_code == 302


def test_sign_in_without_the_csrf_token_is_refused(standalone):
    client = standalone.server.test_client()
    client.get("/sign-in")
    response = client.post("/sign-in", data={"username": "chief", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/", headers=HTML).status_code == 302
    forged = client.post("/sign-in", data={"username": "chief", "password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 400


def test_sign_out_needs_the_form_token_and_ends_the_session(standalone):
    client, _ = sign_in(standalone.server, "chief")
    assert client.post("/sign-out", data={}).status_code == 400
    assert client.get("/", headers=HTML).status_code == 200
    token = csrf_token(client.get("/sign-out").data)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 303
    assert client.get("/", headers=HTML).status_code == 302


def test_idle_session_expires(standalone):
    client, _ = sign_in(standalone.server, "chief")
    assert client.get("/", headers=HTML).status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - 31 * 60  # idle limit in this app: 30 minutes
    assert client.get("/", headers=HTML).status_code == 302


def test_absolute_session_limit_holds_even_when_active(standalone):
    client, _ = sign_in(standalone.server, "chief")
    with client.session_transaction() as session:
        session["signed_in_at"] = time.time() - 8 * 3600 - 60  # absolute limit in this app: 8 hours
        session["last_seen"] = time.time()
    assert client.get("/", headers=HTML).status_code == 302


def test_a_user_removed_from_the_file_is_signed_out(synthetic_force_db, tmp_path, monkeypatch):
    from app.server import create_app

    users = tmp_path / "users.toml"
    add_user(users, "temp", "analyst", [], PASSWORD)
    auth_environment(monkeypatch, users, tmp_path)
    server = create_app(synthetic_force_db, demo=False).server
    client, response = sign_in(server, "temp")
    assert response.status_code == 303
    assert client.get("/", headers=HTML).status_code == 200
    add_user(users, "other", "analyst", [], PASSWORD)
    text = users.read_text()
    users.write_text(text[: text.index('[users."temp"]')])  # users are written by name: "temp" is last
    assert client.get("/", headers=HTML).status_code == 302


@pytest.fixture
def proxy_server(synthetic_force_db, users_file, tmp_path, monkeypatch):
    from app.server import create_app

    auth_environment(monkeypatch, users_file, tmp_path, DAPERF_AUTH_MODE="proxy",
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


def test_proxy_user_missing_from_the_users_file_is_refused(proxy_server):
    client = proxy_server.test_client()
    response = client.get("/", headers={**HTML, "X-Remote-User": "stranger"}, environ_base={"REMOTE_ADDR": "10.20.3.4"})
    assert response.status_code == 401


def test_proxy_role_comes_from_the_users_file_not_the_proxy(proxy_server):
    client = proxy_server.test_client()
    # ashford is a partnership user: the data quality page's callbacks are refused whatever else is sent.
    body = {"output": "data-quality-x.children", "outputs": {"id": "data-quality-x", "property": "children"},
            "inputs": [], "changedPropIds": []}
    response = client.post("/_dash-update-component", json=body,
                           headers={"X-Remote-User": "ashford", "X-Remote-Role": "chief_officer"},
                           environ_base={"REMOTE_ADDR": "10.20.3.4"})
    assert response.status_code == 403


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
    assert config.mode == "proxy" and config.secure_cookies
    assert config.is_trusted_proxy("10.1.0.77") and not config.is_trusted_proxy("10.1.1.1")
    assert config.session_idle_seconds == 5 * 60  # the environment's 5, not the file's 15


def test_demo_mode_signs_everyone_in_as_the_demo_chief_officer(synthetic_force_db, users_file, tmp_path, monkeypatch):
    from app.auth.context import current_principal
    from app.server import create_app

    auth_environment(monkeypatch, users_file, tmp_path)
    server = create_app(synthetic_force_db, demo=True).server
    client = server.test_client()
    assert client.get("/", headers=HTML).status_code == 200
    with server.test_request_context("/"):
        server.preprocess_request()
        principal = current_principal()
    assert principal.demo and principal.role == "chief_officer"
    assert client.get("/sign-in").status_code == 302


def test_secure_cookie_when_configured(synthetic_force_db, users_file, tmp_path, monkeypatch):
    from app.server import create_app

    auth_environment(monkeypatch, users_file, tmp_path, DAPERF_SECURE_COOKIES="true")
    server = create_app(synthetic_force_db, demo=False).server
    _client, response = sign_in(server, "chief")
    assert "Secure" in response.headers["Set-Cookie"]


def test_add_user_cli_writes_an_argon2_hash(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app as cli

    users = tmp_path / "users.toml"
    monkeypatch.setenv("DAPERF_NEW_PASSWORD", "a long enough passphrase")
    result = CliRunner().invoke(cli, ["add-user", "j.smith", "--role", "division_lead", "--units", "NORTH, SOUTH",
                                      "--users-file", str(users)])
    assert result.exit_code == 0, result.output
    entry = tomllib.loads(users.read_text())["users"]["j.smith"]
    assert entry["role"] == "division_lead" and entry["units"] == ["NORTH", "SOUTH"]
    assert entry["password_hash"].startswith("$argon2id$")
    assert "a long enough passphrase" not in users.read_text()
    assert verify_password(users, "j.smith", "a long enough passphrase") is not None
    assert oct(users.stat().st_mode & 0o777) == "0o600"


def test_add_user_cli_refuses_a_scoped_role_without_units(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app as cli

    monkeypatch.setenv("DAPERF_NEW_PASSWORD", "a long enough passphrase")
    result = CliRunner().invoke(cli, ["add-user", "p", "--role", "partnership", "--users-file", str(tmp_path / "u.toml")])
    assert result.exit_code == 2
    assert not (tmp_path / "u.toml").exists()


def test_users_file_fixture_has_every_role():
    from app.auth.policy import ROLES

    assert sorted(role for role, _ in USERS.values()) == sorted(ROLES)


def test_session_key_file_is_generated_once_outside_the_repository(tmp_path, monkeypatch):
    from app.auth.session_key import session_secret
    from daperf.config import auth_config
    from daperf.config import REPO_ROOT

    key_file = tmp_path / "keys" / "session.key"
    monkeypatch.delenv("DAPERF_SECRET_KEY", raising=False)
    monkeypatch.setenv("DAPERF_SECRET_KEY_FILE", str(key_file))
    first = session_secret(auth_config())
    assert session_secret(auth_config()) == first and len(first) == 64
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    monkeypatch.delenv("DAPERF_SECRET_KEY_FILE")
    assert REPO_ROOT not in auth_config().secret_key_file.parents  # the default lives outside the repository

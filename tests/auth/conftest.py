"""Sign-in test harness: a users file with one user of every role, the dashboard app in standalone,
proxy and demo modes over the synthetic force (``tests/conftest.py``), and signed-in test clients.

Units in the synthetic force: divisions NORTH (partnerships E22000001, E22000002) and SOUTH
(E22000003, E22000004).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import dash
import flask
import pytest

from app.auth.users import add_user

PASSWORD = "correct horse battery staple"
# username -> (role, units)
USERS = {
    "chief": ("chief_officer", ()),
    "coord": ("coordinator", ()),
    "north_lead": ("division_lead", ("NORTH",)),
    "ashford": ("partnership", ("E22000001",)),
    "analyst": ("analyst", ()),
}
ROLE_USER = {role: username for username, (role, _units) in USERS.items()}
TRUSTED_PROXY = "10.20.0.0/16"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.toml"
    for username, (role, units) in USERS.items():
        add_user(path, username, role, list(units), PASSWORD)
    return path


def auth_environment(monkeypatch: pytest.MonkeyPatch, users_file: Path, workdir: Path, **extra: str) -> Path:
    """Point every auth setting at test files; returns the audit database path."""
    audit_db = workdir / "audit.sqlite"
    monkeypatch.setenv("DAPERF_USERS_FILE", str(users_file))
    monkeypatch.setenv("DAPERF_SECRET_KEY", "test-only-session-signing-key")
    monkeypatch.setenv("DAPERF_AUDIT_DB", str(audit_db))
    monkeypatch.delenv("DAPERF_AUTH_CONFIG", raising=False)
    for name in ("DAPERF_AUTH_MODE", "DAPERF_TRUSTED_PROXIES", "DAPERF_IDENTITY_HEADER",
                 "DAPERF_SESSION_IDLE_MINUTES", "DAPERF_SESSION_MAX_HOURS", "DAPERF_SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    return audit_db


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The dashboard's data module and these settings are process-wide: keep every test that serves the
    # app in one xdist worker (make test runs --dist loadgroup), in order, so no other app is built
    # between a module's fixture and its tests.
    here = Path(__file__).parent
    groups = (here, here.parent / "concurrency")
    for item in items:
        if any(group in Path(str(item.fspath)).parents for group in groups):
            item.add_marker(pytest.mark.xdist_group("dashboard-auth"))


class Dashboard(NamedTuple):
    app: dash.Dash
    server: flask.Flask
    audit_db: Path
    db_path: Path


@pytest.fixture(scope="module")
def standalone(synthetic_force_db: Path, users_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """The dashboard with standalone sign-in (idle limit 30 minutes, absolute 8 hours), and its audit log."""
    from app.server import create_app

    with pytest.MonkeyPatch.context() as monkeypatch:
        audit_db = auth_environment(monkeypatch, users_file, tmp_path_factory.mktemp("standalone"),
                                    DAPERF_SESSION_IDLE_MINUTES="30", DAPERF_SESSION_MAX_HOURS="8")
        app = create_app(synthetic_force_db, demo=False)
        app.server.test_client().get("/sign-in")  # Dash finishes its set-up (the callback map) on a first request
        yield Dashboard(app, app.server, audit_db, synthetic_force_db)


@pytest.fixture(autouse=True)
def _dashboard_reads_its_database(request: pytest.FixtureRequest) -> None:
    """Another test may have built an app on another database since this module's app was built."""
    if "standalone" not in request.fixturenames:
        return
    from app import data

    dashboard = request.getfixturevalue("standalone")
    if data.db_path() != dashboard.db_path:
        data.configure(dashboard.db_path)


def csrf_token(html: bytes) -> str:
    match = _CSRF_FIELD.search(html.decode())
    assert match, "the form carries a CSRF token"
    return match[1]


def sign_in(server: flask.Flask, username: str, password: str = PASSWORD):
    """A test client signed in through the real form (token included), and the sign-in response."""
    client = server.test_client()
    token = csrf_token(client.get("/sign-in").data)
    response = client.post("/sign-in", data={"username": username, "password": password, "csrf_token": token, "next": "/"})
    return client, response


@pytest.fixture(scope="module")
def clients(standalone) -> dict[str, object]:
    """A signed-in client per role (the same clients for the whole module)."""
    server = standalone.server
    signed_in = {}
    for role, username in ROLE_USER.items():
        client, response = sign_in(server, username)
        assert response.status_code == 303, response.data
        signed_in[role] = client
    return signed_in

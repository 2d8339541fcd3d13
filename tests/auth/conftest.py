"""Sign-in test harness: one user of every role in a state store of the module's own, the dashboard app in
standalone, proxy and demo modes over the synthetic force (``tests/conftest.py``), signed-in test
clients, and a real PostgreSQL server the tests start themselves (``postgres_url``).

Units in the synthetic force: divisions NORTH (partnerships E22000001, E22000002) and SOUTH
(E22000003, E22000004).
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import dash
import flask
import pytest

from app.auth.users import User, new_user, save_user

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
AUTH_VARIABLES = ("DAPERF_AUTH_MODE", "DAPERF_TRUSTED_PROXIES", "DAPERF_IDENTITY_HEADER", "DAPERF_USERS_FILE",
                  "DAPERF_SESSION_IDLE_MINUTES", "DAPERF_SESSION_MAX_HOURS", "DAPERF_SECURE_COOKIES",
                  "DAPERF_AUTH_CONFIG")


@pytest.fixture(scope="session")
def prepared_users() -> list[User]:
    """Every fixture user with their password hashed once (argon2 is slow on purpose)."""
    return [new_user(username, role, units, PASSWORD) for username, (role, units) in USERS.items()]


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'state.sqlite'}"


def auth_environment(monkeypatch: pytest.MonkeyPatch, workdir: Path, users: list[User] = (), *,
                     state_url: str | None = None, **extra: str) -> str:
    """Point every auth setting at a state store of this test's own (``state_url``, else a SQLite file in
    ``workdir``) holding ``users``; returns its URL."""
    url = state_url or sqlite_url(workdir)
    monkeypatch.setenv("DAPERF_STATE_URL", url)
    for name in AUTH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    for user in users:
        save_user(user)
    return url


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
    state_url: str
    db_path: Path


@pytest.fixture(scope="module")
def standalone(synthetic_force_db: Path, prepared_users, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """The dashboard with standalone sign-in (idle limit 30 minutes, absolute 8 hours), and its state store."""
    from app.server import create_app

    with pytest.MonkeyPatch.context() as monkeypatch:
        url = auth_environment(monkeypatch, tmp_path_factory.mktemp("standalone"), prepared_users,
                               DAPERF_SESSION_IDLE_MINUTES="30", DAPERF_SESSION_MAX_HOURS="8")
        app = create_app(synthetic_force_db, demo=False)
        app.server.test_client().get("/sign-in")  # Dash finishes its set-up (the callback map) on a first request
        yield Dashboard(app, app.server, url, synthetic_force_db)


@pytest.fixture(autouse=True)
def _dashboard_reads_its_database(request: pytest.FixtureRequest) -> None:
    """Another test may have built an app on another database since this module's app was built."""
    if "standalone" not in request.fixturenames:
        return
    from app import data

    dashboard = request.getfixturevalue("standalone")
    if data.db_path() != dashboard.db_path:
        data.configure(dashboard.db_path)


def as_if_at_once() -> None:
    """Make the next sign-in attempt come straight after the last, however slow this machine is: each
    throttled key's wait starts now, as it did when the last attempt was counted."""
    from sqlalchemy import update

    from app.auth import store

    table = store.sign_in_throttle
    with store.writing() as con:
        con.execute(update(table).values(next_allowed_at=time.time() + table.c.next_allowed_at
                                         - table.c.last_attempt_at))


def csrf_token(html: bytes) -> str:
    match = _CSRF_FIELD.search(html.decode())
    assert match, "the form carries a CSRF token"
    return match[1]


def sign_in(server: flask.Flask, username: str, password: str = PASSWORD, client=None, **environ):
    """A test client signed in through the real form (token included), and the sign-in response."""
    client = client or server.test_client()
    token = csrf_token(client.get("/sign-in", environ_base=environ).data)
    response = client.post("/sign-in", data={"username": username, "password": password, "csrf_token": token,
                                             "next": "/"}, environ_base=environ)
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


# --- a real PostgreSQL server, started by the tests ----------------------------------------------


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server of this test session's own on a free loopback port (initdb into a temporary
    folder, stopped at the end); its URL without a database. Root runs it as the ``postgres`` user."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries are missing: install Debian's postgresql package (CI does)")
    run_as: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="daperf-postgres-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(folder, user="postgres")
        except LookupError:
            shutil.rmtree(folder)
            pytest.skip("No postgres user to run the server as (Debian's postgresql package creates it)")
        run_as = ["runuser", "-u", "postgres", "--"]
    password = secrets.token_urlsafe(16)
    password_file = folder / "password"
    password_file.write_text(password)
    if run_as:
        shutil.chown(password_file, user="postgres")
    data, port = folder / "data", _free_port()
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "daperf", "--auth=scram-sha-256",
                    f"--pwfile={password_file}", "-E", "UTF8", "--no-sync", "--no-instructions"],
                   check=True, capture_output=True, timeout=120)
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60",
                    "-o", options, "start"], check=True, capture_output=True, timeout=90)
    try:
        yield f"postgresql+psycopg://daperf:{password}@127.0.0.1:{port}"
    finally:
        from app.auth import store

        store.dispose_engines()
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def new_postgres_database(server_url: str) -> str:
    """A fresh, empty database on the test server; its URL."""
    import psycopg

    name = f"daperf_{uuid.uuid4().hex[:12]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')  # a name made here, not input
    return f"{server_url}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty state store of each kind, configured for the test."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    monkeypatch.setenv("DAPERF_STATE_URL", url)
    for name in AUTH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return url

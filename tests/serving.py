"""The dashboard for the HTTP and browser tests: proxy sign-in settings, a signed-in test client, and the
app served on a free loopback port in a thread."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from werkzeug.serving import make_server


# The users the page tests sign in as (proxy sign-in), one per role and scope they need.
PAGE_USERS = """
[users.chief]
role = "chief_officer"

[users.coordinator]
role = "coordinator"

[users.north_lead]
role = "division_lead"
units = ["NORTH"]

[users.two_division_lead]
role = "division_lead"
units = ["SOUTH", "NORTH"]

[users.ashford_partnership]
role = "partnership"
units = ["E22000001"]

[users.unlinked_partnership]
role = "partnership"
units = ["E99999999"]

[users.analyst]
role = "analyst"
"""


@contextmanager
def proxy_sign_in(folder: Path, users: str, **environment: str) -> Iterator[None]:
    """Settings for the proxy sign-in while the block runs: a request names its user in
    ``X-Forwarded-User`` from 127.0.0.1; ``users`` is the users file's text (written into ``folder``, with
    the state store beside it); ``environment``: further settings."""
    (folder / "users.toml").write_text(users, encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAPERF_AUTH_MODE", "proxy")
        env.setenv("DAPERF_TRUSTED_PROXIES", "127.0.0.1")
        env.setenv("DAPERF_USERS_FILE", str(folder / "users.toml"))
        env.setenv("DAPERF_STATE_URL", f"sqlite:///{folder / 'state.sqlite'}")
        for name, value in environment.items():
            env.setenv(name, value)
        yield


def signed_in_client(db: Path, folder: Path, users: str, **environment: str):
    """A test client of the dashboard on ``db`` with the proxy sign-in (a generator for a fixture)."""
    with proxy_sign_in(folder, users, **environment):
        from app.server import create_app

        yield create_app(db).server.test_client()


@contextmanager
def served(flask_app, name: str = "dashboard") -> Iterator[str]:
    """Serve ``flask_app`` (threaded, as gunicorn's threads would) until the block ends; yields its base URL."""
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)

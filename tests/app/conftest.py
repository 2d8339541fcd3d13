"""Fixtures for the pages over HTTP: a signed-in Flask test client and a read-only connection, both on
the synthetic force (tests/conftest.py).

The client signs in through the proxy mode (a trusted address sends the user name; role and units come
from the users file below), so each request can be a different principal. Synthetic force: NORTH holds
E22000001 and E22000002; SOUTH holds E22000003 and E22000004.
"""
from __future__ import annotations

import pytest

from daperf.db import connect_readonly

USERS = """
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


@pytest.fixture(scope="module")
def client(synthetic_force_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages-auth")
    (folder / "users.toml").write_text(USERS, encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAPERF_AUTH_MODE", "proxy")
        env.setenv("DAPERF_TRUSTED_PROXIES", "127.0.0.1")
        env.setenv("DAPERF_USERS_FILE", str(folder / "users.toml"))
        env.setenv("DAPERF_STATE_URL", f"sqlite:///{folder / 'state.sqlite'}")
        from app.server import create_app

        app = create_app(synthetic_force_db)
        yield app.server.test_client()


@pytest.fixture(scope="module")
def con(synthetic_force_db):
    con = connect_readonly(synthetic_force_db)
    yield con
    con.close()

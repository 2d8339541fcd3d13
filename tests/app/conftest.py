"""Fixtures for the pages over HTTP: a signed-in Flask test client and a read-only connection, both on
the synthetic force (tests/conftest.py).

The client signs in through the proxy mode (a trusted address sends the user name; role and units come
from the users file below), so each request can be a different principal. Synthetic force: NORTH holds
E22000001 and E22000002; SOUTH holds E22000003 and E22000004.
"""
from __future__ import annotations

import pytest

from daperf.db import connect_readonly
from tests.serving import PAGE_USERS, signed_in_client


@pytest.fixture(scope="module")
def client(synthetic_force_db, tmp_path_factory):
    yield from signed_in_client(synthetic_force_db, tmp_path_factory.mktemp("pages-auth"), PAGE_USERS)


@pytest.fixture(scope="module")
def con(synthetic_force_db):
    con = connect_readonly(synthetic_force_db)
    yield con
    con.close()

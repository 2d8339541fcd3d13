"""Fixtures for the pages over HTTP: a signed-in Flask test client and a read-only connection, both on
the synthetic force (tests/conftest.py).

The client signs in through the proxy mode (a trusted address sends the user name; role and units come
from the users file below), so each request can be a different principal. Synthetic force: NORTH holds
E22000001 and E22000002; SOUTH holds E22000003 and E22000004.
"""
from __future__ import annotations

import pytest

from daperf.db import connect_readonly
from tests.serving import signed_in_client

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
    yield from signed_in_client(synthetic_force_db, tmp_path_factory.mktemp("pages-auth"), USERS)


@pytest.fixture(scope="module")
def con(synthetic_force_db):
    con = connect_readonly(synthetic_force_db)
    yield con
    con.close()

"""The state store on SQLite and on a real PostgreSQL server (``tests/auth/conftest.py`` starts one):
sessions, single-use form tokens, throttling counted one attempt at a time, the users table."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import make_url

from app.auth import sessions, store, throttle
from app.auth.users import find_user, new_user, remove_user, save_user
from daperf.config import auth_config

PASSWORD = "correct horse battery staple"


def _prepared(users, username: str):
    return save_user(next(user for user in users if user.username == username))


@pytest.fixture
def lead(state_url, prepared_users):
    return _prepared(prepared_users, "north_lead")


def test_a_session_lives_until_it_is_ended(lead):
    config = auth_config()
    token = sessions.start(lead, "127.0.0.1", config)
    session, user = sessions.resume(token, config)
    assert user == lead and session.username == "north_lead" and session.client_address == "127.0.0.1"
    assert [s.username for s in sessions.live_sessions(config)] == ["north_lead"]
    assert sessions.end(token)
    assert sessions.resume(token, config) is None
    assert not sessions.end(token)


def test_the_store_keeps_a_digest_of_the_token_not_the_token(lead):
    token = sessions.start(lead, "127.0.0.1", auth_config())
    with store.reading() as con:
        kept = con.execute(store.select(store.sessions.c.session_digest)).scalars().all()
    assert kept == [sessions.digest(token)] and token not in kept


def test_expired_and_changed_sessions_end_when_next_used(lead):
    config = auth_config()
    idle, old, changed = (sessions.start(lead, "127.0.0.1", config) for _ in range(3))
    with store.writing() as con:
        table = store.sessions
        con.execute(update(table).where(table.c.session_digest == sessions.digest(idle))
                    .values(last_seen_at=time.time() - config.session_idle_seconds - 1))
        con.execute(update(table).where(table.c.session_digest == sessions.digest(old))
                    .values(created_at=time.time() - config.session_max_seconds - 1))
    assert sessions.resume(idle, config) is None and sessions.resume(old, config) is None
    assert sessions.resume(changed, config) is not None
    save_user(new_user("north_lead", "division_lead", ["SOUTH"], PASSWORD))  # moved to another division
    assert sessions.resume(changed, config) is None
    assert sessions.live_sessions(config) == []


def test_ending_by_user_and_all(lead, prepared_users):
    config = auth_config()
    chief = _prepared(prepared_users, "chief")
    mine = [sessions.start(lead, "127.0.0.1", config) for _ in range(2)]
    theirs = sessions.start(chief, "127.0.0.1", config)
    assert sessions.end_user("north_lead") == 2
    assert all(sessions.resume(token, config) is None for token in mine)
    assert sessions.resume(theirs, config) is not None
    assert sessions.end_all() == 1
    assert remove_user("chief") and find_user("chief") is None


def test_form_tokens_are_single_use_and_bound(state_url):
    token = sessions.issue_form_token("sign-in", "browser-a")
    assert not sessions.use_form_token("sign-in", "browser-b", token)
    assert not sessions.use_form_token("sign-out", "browser-a", token)
    assert sessions.use_form_token("sign-in", "browser-a", token)
    assert not sessions.use_form_token("sign-in", "browser-a", token)
    many = [sessions.issue_form_token("sign-in", "browser-a") for _ in range(sessions.TOKENS_PER_BINDING + 5)]
    assert not sessions.use_form_token("sign-in", "browser-a", many[0])  # only the newest are kept
    assert sessions.use_form_token("sign-in", "browser-a", many[-1])


def test_parallel_guesses_are_counted_one_by_one(state_url):
    """Eight guesses at once for one account: the first three are free and the fourth is allowed, after
    which the account must wait, so exactly four go through, whichever workers answer them."""
    keys = [(throttle.account_key("north_lead"), throttle.ACCOUNT)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(lambda _n: throttle.begin_attempt(keys), range(8)))
    assert sum(v.allowed for v in verdicts) == 4
    assert throttle.failures(keys[0][0]) == 4
    refused = [v for v in verdicts if not v.allowed]
    assert all(0 < v.retry_after <= throttle.ACCOUNT.first_delay for v in refused)


def test_a_right_password_gives_its_attempt_back(state_url):
    account, address = throttle.account_key("north_lead"), throttle.address_key("192.0.2.1")
    keys = [(account, throttle.ACCOUNT), (address, throttle.ADDRESS)]
    for _ in range(3):
        assert throttle.begin_attempt(keys).allowed
    assert throttle.begin_attempt(keys).allowed  # the right password, this time
    throttle.succeeded(account, keys[1:])
    assert throttle.failures(account) == 0 and throttle.failures(address) == 3


def test_the_delays_grow_and_then_lock():
    policy = throttle.ACCOUNT
    assert [policy.delay(n) for n in range(1, 12)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 900, 900]


def test_the_sqlite_store_is_private_and_in_wal_mode(tmp_path, monkeypatch):
    path = tmp_path / "state" / "state.sqlite"
    monkeypatch.setenv("DAPERF_STATE_URL", f"sqlite:///{path}")
    with store.writing() as con:
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            assert oct(companion.stat().st_mode & 0o777) == "0o600"


def test_the_default_store_is_beside_the_analytics_database(tmp_path, monkeypatch):
    monkeypatch.delenv("DAPERF_STATE_URL", raising=False)
    monkeypatch.delenv("DAPERF_AUTH_CONFIG", raising=False)
    monkeypatch.setenv("DAPERF_DB", str(tmp_path / "daperf.duckdb"))
    from app import data

    # No app built in this process: the configured analytics database (DAPERF_DB) decides.
    monkeypatch.setattr(data, "_db_path", None)
    assert make_url(store.state_url()).database == f"{tmp_path}/state.sqlite"
    # An app built in this process: the database it serves decides, whatever DAPERF_DB says.
    monkeypatch.setattr(data, "_db_path", Path("/srv/daperf/served/analytics.duckdb"))
    assert make_url(store.state_url()).database == "/srv/daperf/served/state.sqlite"


def test_only_sqlite_and_postgresql_are_accepted(monkeypatch):
    monkeypatch.setenv("DAPERF_STATE_URL", "mysql://someone:secret@db.example/daperf")
    with pytest.raises(store.StateStoreError, match="sqlite:/// or postgresql://") as raised:
        store.engine()
    assert "secret" not in str(raised.value)


def test_postgresql_urls_use_the_installed_driver(postgres_server, monkeypatch):
    url = postgres_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    monkeypatch.setenv("DAPERF_STATE_URL", url)
    assert store.engine().dialect.driver == "psycopg"
    password = make_url(url).password
    assert password  # the test server's URL carries one: the check below bites
    described = store.describe()
    assert password not in described
    assert described == url.replace(f":{password}@", ":***@")

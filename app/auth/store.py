"""The state store: sessions, users, sign-in throttling and the audit log, in one database reached through
SQLAlchemy Core, so that several web hosts behind a load balancer share them.

``DAPERF_STATE_URL`` names it: a SQLite file by default (``state.sqlite`` beside the analytics database,
created mode 600), PostgreSQL for several hosts (``postgresql://user@host/db``; the psycopg driver). The
analytics DuckDB file cannot hold this state: the dashboard opens it read-only, every load replaces it,
and each web host reads its own copy.

Every transaction that writes is serialised where it must be: SQLite transactions start with
``BEGIN IMMEDIATE`` (the write lock is taken at the start, so a read-then-write such as "count this
failed sign-in" cannot interleave with another worker's), and on PostgreSQL the rows such a transaction
reads are locked with ``SELECT … FOR UPDATE``. Tables are declared here (SQLAlchemy Core expressions
carry over unchanged between the two databases); only the append-only triggers differ, in
``sql/state/<dialect>_append_only.sql``.
"""
from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import URL, make_url

from daperf.config import auth_config, settings
from daperf.sqlfiles import sql

STATE_FILE_NAME = "state.sqlite"
DIALECTS = ("sqlite", "postgresql")
GENESIS_HASH = "0" * 64  # the "previous hash" of the first audit entry

metadata = MetaData()

users = Table(
    "daperf_users", metadata,
    Column("username", String(128), primary_key=True),
    Column("role", String(32), nullable=False),
    Column("units", Text, nullable=False),    # JSON list of division or partnership codes
    Column("forces", Text, nullable=False),   # JSON list of forces besides the home force
    Column("password_hash", Text),            # argon2id; none for a user who signs in through the proxy
    Column("changed_at", Float, nullable=False),
)

sessions = Table(
    "daperf_sessions", metadata,
    # SHA-256 of the cookie's random token: a copy of the store does not give anyone a live cookie.
    Column("session_digest", String(64), primary_key=True),
    Column("username", String(128), nullable=False),
    # The user's role, units, forces and password hash when they signed in: any change ends the session.
    Column("user_fingerprint", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("client_address", String(64), nullable=False),
    Index("daperf_sessions_by_user", "username"),
)

csrf_tokens = Table(
    "daperf_csrf_tokens", metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("binding", String(64), nullable=False),  # digest of the browser's sign-in cookie, or of its session
    Column("purpose", String(16), nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("daperf_csrf_tokens_by_binding", "binding"),
    Index("daperf_csrf_tokens_by_expiry", "expires_at"),
)

sign_in_throttle = Table(
    "daperf_sign_in_throttle", metadata,
    Column("throttle_key", String(80), primary_key=True),  # "account:<digest>" or "address:<ip>"
    Column("failures", Integer, nullable=False),
    Column("last_attempt_at", Float, nullable=False),
    Column("next_allowed_at", Float, nullable=False),
)

audit_log = Table(
    "daperf_audit_log", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # 1, 2, 3…: a gap is a missing entry
    Column("occurred_at", String(40), nullable=False),  # UTC, ISO 8601 with seconds
    Column("username", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("demo", Boolean, nullable=False),
    Column("action", String(32), nullable=False),
    Column("view", String(100), nullable=False),
    Column("filters", Text, nullable=False),  # JSON object: codes and dates only
    Column("prev_hash", String(64), nullable=False),  # the row_hash of entry seq - 1
    Column("row_hash", String(64), nullable=False),   # SHA-256 of this entry and prev_hash
    Index("daperf_audit_log_by_time", "occurred_at"),
)

# One row: the newest entry's number and hash. Appending locks it, so entries are chained one at a time
# across every worker and host; `daperf audit verify` also checks that the log ends where the head says.
audit_head = Table(
    "daperf_audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("row_hash", String(64), nullable=False),
)


class StateStoreError(RuntimeError):
    """The state store is not configured as something this product can use."""


def state_url() -> str:
    """``DAPERF_STATE_URL``, else a SQLite file beside the analytics database the app serves."""
    configured = auth_config().state_url
    if configured:
        return configured
    try:
        from app import data

        analytics = data.db_path()
    except RuntimeError:  # outside the app (the command line, tests): the configured analytics database
        analytics = settings().db_path
    return str(URL.create("sqlite", database=str(analytics.with_name(STATE_FILE_NAME))))


def describe(url: str | None = None) -> str:
    """The store's URL without any password, for messages."""
    return make_url(url or state_url()).render_as_string(hide_password=True)


_engines_lock = threading.Lock()
_engines: OrderedDict[tuple[str, int], Engine] = OrderedDict()
_KEPT_ENGINES = 8  # tests point the store at many temporary files; real processes use one


def engine() -> Engine:
    """The engine for the configured store (one per URL and process: gunicorn forks after import), with
    the schema in place."""
    url = state_url()
    key = (url, os.getpid())
    with _engines_lock:
        found = _engines.get(key)
        if found is not None:
            _engines.move_to_end(key)
            return found
        created = _create_engine(url)
        _ensure_schema(created)
        _engines[key] = created
        while len(_engines) > _KEPT_ENGINES:
            _old_key, old = _engines.popitem(last=False)
            if _old_key[1] == os.getpid():
                old.dispose()
        return created


def dispose_engines() -> None:
    """Close every pooled connection this process holds (before its database server stops)."""
    with _engines_lock:
        for (_url, pid), created in list(_engines.items()):
            if pid == os.getpid():
                created.dispose()
        _engines.clear()


def _create_engine(url_text: str) -> Engine:
    url = make_url(url_text)
    backend = url.get_backend_name()
    if backend not in DIALECTS:
        raise StateStoreError(f"DAPERF_STATE_URL must be a sqlite:/// or postgresql:// URL, not {describe(url_text)}")
    if backend == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")  # the driver this product installs
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    database = url.database
    if not database or database == ":memory:":
        raise StateStoreError("The SQLite state store must be a file that every worker can open")
    _create_private_file(Path(database))
    created = create_engine(url, connect_args={"timeout": 10.0, "check_same_thread": False})
    event.listen(created, "connect", _sqlite_on_connect)
    event.listen(created, "begin", _sqlite_on_begin)
    return created


def _create_private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only; SQLite gives its -wal and -shm files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, starts transactions (below): the driver's own BEGIN is deferred.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 10000")  # wait up to 10 s for another worker's write
        cursor.execute("PRAGMA journal_mode = WAL")     # readers never wait for a writer
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    read_only = connection.get_execution_options().get("daperf_read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_ADVISORY_LOCK = 7_305_113  # any fixed number: serialises schema creation across workers on PostgreSQL


def _statements(name: str) -> list[str]:
    return [part.strip() for part in re.split(r";\s*\n\s*\n", sql(name)) if part.strip().strip(";").strip()]


def _ensure_schema(created: Engine) -> None:
    with created.begin() as con:
        dialect = con.dialect.name
        if dialect == "postgresql":
            con.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})")
        metadata.create_all(con)
        for statement in _statements(f"state/{dialect}_append_only"):
            con.exec_driver_sql(statement.rstrip(";"))
        if con.execute(select(audit_head.c.id).where(audit_head.c.id == 1)).first() is None:
            con.execute(audit_head.insert().values(id=1, seq=0, row_hash=GENESIS_HASH))


@contextmanager
def writing() -> Iterator[Connection]:
    """A transaction that may write, committed at the end (rolled back on an exception)."""
    with engine().begin() as con:
        yield con


@contextmanager
def reading() -> Iterator[Connection]:
    """A transaction that only reads (on SQLite it does not take the write lock)."""
    with engine().connect() as con:
        con.execution_options(daperf_read_only=True)
        with con.begin():
            yield con


def insert_ignoring_existing(con: Connection, table: Table, **values: Any) -> None:
    """Insert a row unless one with the same key exists (both dialects' ``ON CONFLICT DO NOTHING``)."""
    if con.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    con.execute(insert(table).values(**values).on_conflict_do_nothing())

"""The dashboard's access to the database: one read-only DuckDB connection per process, and a cache.

Stable API (every page uses it):

- ``configure(db_path)``: called once by ``app.server.create_app``.
- ``db_path() -> Path``; ``database_ready() -> bool`` (the file exists and holds incidents).
- ``connection() -> duckdb.DuckDBPyConnection``: a cursor on the shared read-only connection, for the
  calling request (borrowed from a pool and given back once the response is made) or, outside a request,
  for the calling thread. Loads rename a new file into place (``daperf.db.atomic_write``), so the connection is
  reopened whenever the file's inode, size or modification time changes.
- ``db_version() -> tuple | None``: that identity of the file (None when there is no file). Part of every
  cache key, so a new load is never answered from an old cache.
- ``@cached``: decorator for functions of hashable arguments (pass tuples, not lists) that query the
  database; results are kept per database version. Returned DataFrames are copies, safe to modify.
- ``divisions()``, ``csps(division_code=None)``, ``data_months()``, ``force_unit()``: the lists the
  filters need and the force's own unit code (``metrics.compute.monthly`` wants it at force level).
"""
from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

import duckdb
import flask
import pandas as pd

from daperf.db import DatabaseMissing
from daperf.sqlfiles import sql

_state_lock = threading.Lock()
_db_path: Path | None = None
_connection: duckdb.DuckDBPyConnection | None = None
_connection_version: tuple | None = None
_thread = threading.local()

F = TypeVar("F", bound=Callable[..., Any])


class NoDatabase(RuntimeError):
    """No database has been loaded yet at the configured path."""


def configure(path: str | os.PathLike) -> None:
    global _db_path, _connection, _connection_version
    with _state_lock:
        _db_path = Path(path)
        _connection = None
        _connection_version = None
        _idle_cursors.clear()
    _cache_clear_all()


def db_path() -> Path:
    if _db_path is None:
        raise RuntimeError("app.data.configure(db_path) has not been called (create_app does it)")
    return _db_path


def _file_version() -> tuple | None:
    try:
        st = os.stat(db_path())
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


# Within one request (one callback) every query reads the file the first one read, so an answer is all
# old data or all new data even when a load renames a new file into place halfway through.
_PINNED = "daperf_database_snapshot"


def db_version() -> tuple | None:
    if flask.has_request_context():
        try:
            connection()
        except NoDatabase:
            return None
        return flask.g.get(_PINNED)[0]
    return _file_version()


_CATALOG = "live"


def _open_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    # DuckDB keeps one instance per file path in a process: reopening the path while a cursor on the
    # replaced file is alive would hand back that old instance (and the old data, for good). A fresh
    # in-memory instance that attaches the file read-only sees the file that is there now.
    if not path.exists():
        raise DatabaseMissing(f"No database at {path}: run `daperf load` first.")
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH $path AS {_CATALOG} (READ_ONLY)", {"path": str(path)})
    con.execute(f"USE {_CATALOG}")
    return con


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the process's read-only connection to the current file: the request's (borrowed, see
    ``_borrow_cursor``) inside a request, else the calling thread's."""
    global _connection, _connection_version
    pinned = flask.g.get(_PINNED) if flask.has_request_context() else None
    if pinned is not None:
        return pinned[1]
    version = _file_version()
    if version is None:
        raise NoDatabase(f"No database at {db_path()}: run `daperf load` first.")
    with _state_lock:
        if _connection is None or _connection_version != version:
            # The old connection is not closed here: another thread may still be reading through a
            # cursor on it; it goes when the last cursor does.
            _connection = _open_readonly(db_path())
            _connection_version = version
        base, base_version = _connection, _connection_version
    if flask.has_request_context():
        # A server may run each request on a new thread: a cursor per thread would then start cold for
        # every request (the metrics layer builds its TEMP marts once per cursor). So a request borrows
        # an idle cursor of the current file and gives it back once its response is made.
        cursor = _borrow_cursor(base)
        setattr(flask.g, _PINNED, (base_version, cursor))
        flask.after_this_request(_returning(base, cursor))
        return cursor
    cursor = getattr(_thread, "cursor", None)
    if cursor is None or getattr(_thread, "version", None) != base_version:
        cursor = _new_cursor(base)
        _thread.cursor, _thread.version = cursor, base_version
    return cursor


# Idle cursors on the current connection (each beside the connection it is on), for requests to borrow
# (see ``connection``).
_idle_cursors: list[tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]] = []


def _new_cursor(base: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    cursor = base.cursor()
    cursor.execute(f"USE {_CATALOG}")  # a cursor starts in the in-memory catalog
    return cursor


def _borrow_cursor(base: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    with _state_lock:
        # Cursors on an older file are dropped here (they go when their last user does).
        _idle_cursors[:] = [(b, c) for b, c in _idle_cursors if b is base]
        if _idle_cursors:
            return _idle_cursors.pop()[1]
    return _new_cursor(base)


def _returning(base: duckdb.DuckDBPyConnection,
               cursor: duckdb.DuckDBPyConnection) -> Callable[[flask.Response], flask.Response]:
    # The views return whole responses (nothing streams from the database), so the cursor is free once
    # the response is made; it is unpinned too, so no later hook of this request can share it.
    def give_back(response: flask.Response) -> flask.Response:
        flask.g.pop(_PINNED, None)
        with _state_lock:
            if base is _connection:
                _idle_cursors.append((base, cursor))
        return response

    return give_back


_cached_functions: list[Any] = []


def cached(fn: F) -> F:
    """Memoise ``fn(*args, **kwargs)`` per database version (arguments must be hashable)."""

    @functools.lru_cache(maxsize=512)
    def by_version(version: tuple | None, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = by_version(db_version(), *args, **kwargs)
        return result.copy() if isinstance(result, (pd.DataFrame, pd.Series)) else result

    wrapper.cache_clear = by_version.cache_clear  # type: ignore[attr-defined]
    _cached_functions.append(by_version)
    return wrapper  # type: ignore[return-value]


def _cache_clear_all() -> None:
    for fn in _cached_functions:
        fn.cache_clear()


def database_ready() -> bool:
    """True when there is a database with at least one incident to show."""
    if db_version() is None:
        return False
    try:
        return data_months() is not None
    except duckdb.Error:
        return False


@cached
def divisions() -> pd.DataFrame:
    """``division_code, division_name``, by name."""
    return connection().execute(sql("app/divisions")).df()


@cached
def _all_csps() -> pd.DataFrame:
    return connection().execute(sql("app/csps")).df()


def csps(division_code: str | None = None) -> pd.DataFrame:
    """``csp_code, csp_name, division_code, division_name, population, population_16plus,
    population_female_16plus``, by name; only the division's when a division is given."""
    frame = _all_csps()
    if division_code:
        frame = frame[frame["division_code"] == division_code].reset_index(drop=True)
    return frame


@dataclass(frozen=True)
class DataMonths:
    first_month: date
    last_month: date
    last_day: date
    first_day: date
    loaded_at: datetime | None


@cached
def data_months() -> DataMonths | None:
    """The first and last month with incidents (None when there are none)."""
    # fetchall, not fetchone: a half-read result on the thread's cursor makes DuckDB 2 refuse its next register()
    try:
        row = next(iter(connection().execute(sql("app/data_months")).fetchall()), None)
    except duckdb.CatalogException:  # a database from before the marts: nothing to show until rebuilt
        return None
    if row is None or row[0] is None:
        return None
    first, last, last_day, first_day = (pd.Timestamp(v).date() for v in row[:4])
    return DataMonths(first, last, last_day, first_day, pd.Timestamp(row[4]).to_pydatetime() if row[4] else None)


@cached
def forces() -> pd.DataFrame:
    """``force_code, force_name`` of every force in the database."""
    from metrics.units import forces as database_forces

    return database_forces(connection())


def home_force() -> str | None:
    """The force whose dashboard this is: ``DAPERF_HOME_FORCE``, else the database's only (or first) force."""
    from daperf.config import settings

    configured = settings().home_force
    codes = list(forces()["force_code"])
    if configured and configured in codes:
        return configured
    return codes[0] if codes else configured


def force_unit() -> tuple[str, str]:
    """The home force's unit code and name as the metrics layer reports them at force level."""
    frame = forces()
    code = home_force()
    match = frame[frame["force_code"] == code]
    return (str(code), str(match.iloc[0]["force_name"])) if len(match) else (str(code), str(code))

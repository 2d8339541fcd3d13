"""Database access with DuckDB's single-writer rule in mind.

Readers (the dashboard, ``daperf metrics``) open the file read-only. A load never writes the live file:
it copies it, writes the copy and renames the copy into place when it has committed, so a reader sees the
previous complete data until the rename, and a failed or killed load leaves the live file untouched.
A lock file next to the database refuses a second concurrent load cleanly.
"""
from __future__ import annotations

import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from daperf.sqlfiles import sql


class LoadInProgress(RuntimeError):
    """Another load holds the database's write lock."""


class DatabaseMissing(FileNotFoundError):
    """The database file does not exist yet (nothing loaded)."""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql("schema/tables"))


def connect_readonly(db_path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    path = Path(db_path)
    if not path.exists():
        raise DatabaseMissing(f"No database at {path}: run `daperf load` first.")
    return duckdb.connect(str(path), read_only=True)


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory database with the schema, for tests and fixtures."""
    con = duckdb.connect(":memory:")
    ensure_schema(con)
    return con


@contextmanager
def write_lock(db_path: str | os.PathLike) -> Iterator[None]:
    lock_path = Path(f"{db_path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LoadInProgress(
                f"Another load is writing {db_path}; wait for it to finish and load again."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def atomic_write(db_path: str | os.PathLike) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection to a copy of the database, renamed over the live file on success only."""
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with write_lock(path):
        tmp = path.with_name(f".{path.name}.loading-{os.getpid()}")
        for leftover in (tmp, Path(f"{tmp}.wal")):
            leftover.unlink(missing_ok=True)
        if path.exists():
            shutil.copy2(path, tmp)
        con = duckdb.connect(str(tmp))
        try:
            ensure_schema(con)
            yield con
            con.execute("CHECKPOINT")
            con.close()
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            try:
                con.close()
            except duckdb.Error:
                pass
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)
            raise

"""Database access with DuckDB's single-writer rule in mind.

Readers (the dashboard, ``daperf metrics``) open the file read-only. A load never writes the live file:
it copies it, writes the copy and renames the copy into place when it has committed, so a reader sees the
previous complete data until the rename, and a failed or killed load leaves the live file untouched; what
a killed load leaves beside it (its copy, the copy's WAL and spill directory) the next load removes.
A lock file next to the database refuses a second concurrent load cleanly.
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

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


def _alive(pid: int) -> bool:
    """Whether process ``pid`` is running (a zombie, dead but not yet reaped by its parent, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _loading_copy(path: Path, pid: int) -> Path:
    return path.with_name(f".{path.name}.loading-{pid}")


def _remove(leftover: Path) -> None:
    if leftover.is_dir():
        shutil.rmtree(leftover, ignore_errors=True)
    else:
        leftover.unlink(missing_ok=True)


def remove_dead_loads_leftovers(db_path: str | os.PathLike) -> list[str]:
    """Remove what loads that were killed before they finished left beside the database: the copy they
    wrote (``.NAME.loading-PID``), its ``.wal`` and its temporary directory (``.tmp``), as large as the
    database. Only a process that is no longer running leaves them: a live process's are kept. Returns the
    names removed."""
    path = Path(db_path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.loading-(\d+)(\.wal|\.tmp)?")
    removed = []
    for entry in sorted(path.parent.iterdir()) if path.parent.is_dir() else []:
        found = pattern.fullmatch(entry.name)
        if found and int(found.group(1)) != os.getpid() and not _alive(int(found.group(1))):
            _remove(entry)
            removed.append(entry.name)
    return removed


@contextmanager
def atomic_write(db_path: str | os.PathLike,
                 on_cleanup: Callable[[list[str]], None] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection to a copy of the database, renamed over the live file on success only.

    Under the write lock, first removes what dead loads left behind (``remove_dead_loads_leftovers``) and
    tells ``on_cleanup`` the names. DuckDB spills to the copy's own temporary directory, removed with it.
    """
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with write_lock(path):
        removed = remove_dead_loads_leftovers(path)
        if on_cleanup is not None and removed:
            on_cleanup(removed)
        tmp = _loading_copy(path, os.getpid())
        spill = Path(f"{tmp}.tmp")
        for leftover in (tmp, Path(f"{tmp}.wal"), spill):
            _remove(leftover)
        if path.exists():
            shutil.copy2(path, tmp)
        con = duckdb.connect(str(tmp), config={"temp_directory": str(spill)})
        try:
            ensure_schema(con)
            yield con
            con.execute("CHECKPOINT")
            con.close()
            _remove(spill)
            os.chmod(tmp, 0o600)  # records of people, pseudonymised or not: readable by their owner only
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
            for leftover in (tmp, Path(f"{tmp}.wal"), spill):
                _remove(leftover)
            raise

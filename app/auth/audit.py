"""The audit log: who opened which record-level view or export, when, with which filters.

It lives in its own SQLite file, not in the analytics DuckDB file: the dashboard opens that read-only
and every load replaces it by renaming a new copy into place, so an entry written there would be lost
at the next load, and DuckDB allows one writer per file where every web worker has to append at once.
SQLite in WAL mode lets many processes append concurrently (each insert is a short locked write;
``busy_timeout`` makes a worker wait its turn rather than fail). Triggers refuse UPDATE and DELETE.

Entries hold the user, role, action, view and the filters (codes, dates) — never a person's
identifier or a pseudonymised reference: ``record`` refuses a filter value that looks like one.
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from daperf.config import auth_config
from app.auth.hardening import HEX_TOKEN
from app.auth.policy import Principal
from daperf.config import settings
from daperf.sqlfiles import sql

ACTIONS = ("view", "export", "refused")
AUDIT_FILE_NAME = "audit.sqlite"
_FILTER_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_schema_lock = threading.Lock()
_schema_ready: set[Path] = set()


def audit_db_path() -> Path:
    """``DAPERF_AUDIT_DB``, else ``audit.sqlite`` beside the analytics database the app serves."""
    configured = auth_config().audit_db
    if configured is not None:
        return configured
    try:
        from app import data

        analytics = data.db_path()
    except RuntimeError:  # outside the app (the CLI, tests): the configured analytics database
        analytics = settings().db_path
    return analytics.with_name(AUDIT_FILE_NAME)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    con.execute("PRAGMA busy_timeout = 10000")
    with _schema_lock:
        if path not in _schema_ready:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(sql("audit/schema"))
            _schema_ready.add(path)
    return con


def _clean_filters(filters: Mapping[str, Any]) -> str:
    cleaned: dict[str, Any] = {}
    for key, value in sorted(filters.items()):
        if not _FILTER_KEY.match(key):
            raise ValueError(f"Audit filter names are short lower-case words, not {key!r}")
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, (list, tuple, frozenset, set)):
            value = sorted(str(v) for v in value)
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            raise ValueError(f"Audit filter {key!r} must be a code, date or number")
        if HEX_TOKEN.search(json.dumps(value)):
            raise ValueError(f"Audit filter {key!r} looks like a person's reference; the log keeps filters only")
        cleaned[key] = value
    return json.dumps(cleaned, sort_keys=True)


def record(principal: Principal, action: str, view: str, filters: Mapping[str, Any]) -> None:
    """Append one entry. ``action``: view, export or refused; ``view``: what was opened (a short name)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}; expected one of {', '.join(ACTIONS)}")
    if HEX_TOKEN.search(view):
        raise ValueError("An audit view name must not carry a reference")
    row = {
        "occurred_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "username": principal.username,
        "role": principal.role,
        "demo": int(principal.demo),
        "action": action,
        "view": view,
        "filters": _clean_filters(filters),
    }
    con = _connect(audit_db_path())
    try:
        con.execute(sql("audit/insert"), row)
    finally:
        con.close()


@dataclass(frozen=True)
class AuditEntry:
    audit_id: int
    occurred_at: str
    username: str
    role: str
    demo: bool
    action: str
    view: str
    filters: dict[str, Any]


def read_audit(
    limit: int = 200, *, username: str | None = None, action: str | None = None, since: str | None = None
) -> list[AuditEntry]:
    """The newest ``limit`` entries (optionally one user's, one action's, or since a UTC ISO time)."""
    path = audit_db_path()
    if not path.exists():
        return []
    con = _connect(path)
    try:
        rows = con.execute(
            sql("audit/recent"),
            {"username": username, "action": action, "since": since, "limit": int(limit)},
        ).fetchall()
    finally:
        con.close()
    return [
        AuditEntry(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], json.loads(r[7])) for r in rows
    ]

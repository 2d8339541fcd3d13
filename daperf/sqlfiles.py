"""A tiny loader for the SQL that lives in ``sql/``, keyed by its path without the extension.

    sql("schema/tables")  ->  text of sql/schema/tables.sql

Parameters are always bound (``$name`` in DuckDB), never formatted in.
"""
from __future__ import annotations

from functools import lru_cache

from daperf.config import SQL_DIR


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"No SQL file {path.relative_to(SQL_DIR.parent)}")
    return path.read_text(encoding="utf-8")

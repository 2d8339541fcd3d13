"""Rows written straight into a test database, as the loader would leave them, for the reader tests
(attrition, the daily meeting, data quality, order deadlines, victim profile)."""
from __future__ import annotations

import hashlib

import pandas as pd

from etl.marts import build_marts


def person(label: str) -> str:
    """A synthetic 64-hex person id, as the loader stores them."""
    return hashlib.sha256(label.encode()).hexdigest()


def insert_rows(con, table: str, rows: list[dict] | pd.DataFrame, *, build: bool = True) -> None:
    """Insert ``rows`` (dicts by column name, or a frame) into ``table``, then build the marts every reader
    reads, as a load does (``build=False``: several tables first, the marts once after them)."""
    con.register("new_rows", pd.DataFrame(rows))
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_rows")  # table names are the tests' own
    con.unregister("new_rows")
    if build:
        build_marts(con)

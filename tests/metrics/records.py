"""Rows written straight into a test database, as the loader would leave them, for the reader tests
(attrition, the daily meeting, data quality, order deadlines, victim profile)."""
from __future__ import annotations

import hashlib

import pandas as pd

from etl.marts import build_marts


def person(label: str) -> str:
    """A synthetic 64-hex person id, as the loader stores them."""
    return hashlib.sha256(label.encode()).hexdigest()


def insert_rows(con, table: str, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts by column name) into ``table``, then build the marts every reader reads, as a
    load does."""
    con.register("new_rows", pd.DataFrame(rows))
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_rows")
    con.unregister("new_rows")
    build_marts(con)

"""The units a database holds: its forces, and every level's units with names and populations."""
from __future__ import annotations

from typing import Iterable

import duckdb
import pandas as pd

from daperf.sqlfiles import sql


def has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    """Whether the database holds every one of these tables (marts a database built before them lacks)."""
    return con.execute(sql("marts/tables_exist"), {"names": list(names)}).fetchall()[0][0] == len(set(names))


def forces(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``force_code, force_name`` of every force with records or reference tables in the database."""
    return con.execute(sql("marts/forces")).df()


def forces_in(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The codes of every force in the database (the default scope of a question)."""
    return forces(con)["force_code"].tolist()


def level_units(con: duckdb.DuckDBPyConnection, level: str, forces: Iterable[str] | None = None) -> pd.DataFrame:
    """``unit_code, unit_name, force_code, division_code`` and the populations of every unit of a level
    (of the ``forces`` given, else of every force)."""
    frame = con.execute(sql("marts/level_units"), {"level": level}).df()
    if forces is not None:
        frame = frame[frame["force_code"].isin(list(forces))]
    return frame.reset_index(drop=True)

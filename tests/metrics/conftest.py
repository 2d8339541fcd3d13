"""A tiny builder of hand-made force data for the metric tests.

The force ``F1`` has two divisions and three CSPs (plus whatever a test adds):

    csp  division  population 16+  women 16+
    C1   D1        10,000          5,000
    C2   D1        20,000          10,000
    C3   D2        30,000          16,000        force: 60,000 people 16+, 31,000 women 16+

Rows carry only what a test sets plus the contract's required columns; datetimes are written as
``"2025-03-01 10:00"``; person ids are plain strings (the loader would store keyed hashes).
"""
from __future__ import annotations

from datetime import date, datetime
from itertools import count

import pandas as pd
import pytest

from daperf.db import connect_memory
from etl.marts import build_marts

FORCE = "F1"
CSP_DIVISION = {"C1": "D1", "C2": "D1", "C3": "D2"}
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))  # 365 days
DATE_COLUMNS = {"heard_at", "order_expires_at"}


def _cell(column: str, value):
    if isinstance(value, str) and column.endswith("_at"):
        return date.fromisoformat(value) if column in DATE_COLUMNS else datetime.fromisoformat(value)
    return value


class ForceBuilder:
    """Inserts rows with the required columns filled in; each method returns the row's id."""

    def __init__(self, con):
        self._con = con
        self._stale = True
        self._ids = count(1)
        self._insert("divisions", [{"force_code": FORCE, "division_code": "D1", "division_name": "North"},
                                   {"force_code": FORCE, "division_code": "D2", "division_name": "South"}])
        self._insert("csps", [
            {"csp_code": code, "csp_name": name, "force_code": FORCE, "division_code": CSP_DIVISION[code],
             "population": pop * 5 // 4, "population_16plus": pop, "population_female_16plus": women}
            for code, name, pop, women in (("C1", "Ashby", 10_000, 5_000), ("C2", "Brant", 20_000, 10_000),
                                           ("C3", "Colne", 30_000, 16_000))])
        self._insert("offence_codes", [
            {"offence_code": "8N", "offence_description": "Assault with injury",
             "offence_group": "violence_with_injury", "is_homicide": False},
            {"offence_code": "8U", "offence_description": "Controlling or coercive behaviour",
             "offence_group": "controlling_coercive", "is_homicide": False},
            {"offence_code": "1", "offence_description": "Murder", "offence_group": "homicide",
             "is_homicide": True}])

    @property
    def con(self):
        """The connection, its marts built from every row inserted so far (as a load builds them)."""
        if self._stale:
            build_marts(self._con)
            self._stale = False
        return self._con

    def _insert(self, table: str, rows: list[dict]) -> None:
        frame = pd.DataFrame([{column: _cell(column, value) for column, value in row.items()} for row in rows])
        self._con.register("new_rows", frame)
        self._con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_rows")  # table names are ours
        self._con.unregister("new_rows")
        self._stale = True

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):04d}"

    def incident(self, reported_at: str, *, csp: str = "C1", victim: str = "v1", **columns) -> str:
        incident_id = columns.pop("incident_id", self._id("I"))
        row = {"incident_id": incident_id, "force_code": FORCE, "reported_at": reported_at,
               "division_code": CSP_DIVISION.get(csp, "D1"), "csp_code": csp, "victim_id": victim,
               "relationship": "partner", "risk_level": "standard", **columns}
        self._insert("incidents", [row])
        return incident_id

    def arrest(self, arrested_at: str, *, incident_id: str | None = None, division: str = "D1",
               suspect: str = "s1", **columns) -> str:
        arrest_id = self._id("A")
        self._insert("arrests", [{"arrest_id": arrest_id, "force_code": FORCE, "incident_id": incident_id,
                                  "suspect_id": suspect, "arrested_at": arrested_at, "division_code": division,
                                  **columns}])
        return arrest_id

    def notice(self, served_at: str, *, csp: str = "C1", scheme: str = "dvpn", **columns) -> str:
        notice_id = self._id("N")
        self._insert("protective_orders", [{
            "notice_id": notice_id, "force_code": FORCE, "scheme": scheme, "suspect_id": "s1", "victim_id": "v1",
            "division_code": CSP_DIVISION.get(csp, "D1"), "csp_code": csp, "served_at": served_at, **columns}])
        return notice_id

    def dvds(self, received_at: str, *, csp: str = "C1", route: str = "right_to_ask", **columns) -> str:
        application_id = self._id("DV")
        self._insert("dvds", [{
            "application_id": application_id, "force_code": FORCE, "route": route, "received_at": received_at,
            "division_code": CSP_DIVISION.get(csp, "D1"), "csp_code": csp, "subject_id": "s1", **columns}])
        return application_id

    def marac(self, referral_at: str, *, csp: str = "C1", victim: str = "v1", referring_agency: str = "police",
              **columns) -> str:
        case_id = self._id("M")
        self._insert("marac", [{"case_id": case_id, "force_code": FORCE, "csp_code": csp, "victim_id": victim,
                                "referral_at": referral_at, "referring_agency": referring_agency, **columns}])
        return case_id


@pytest.fixture
def force_builder():
    con = connect_memory()
    yield ForceBuilder(con)
    con.close()

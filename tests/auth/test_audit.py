"""The audit log: entries written, nothing personal in them, no update or delete."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from app.auth import audit
from app.auth.policy import Principal

COORDINATOR = Principal("coord", "coordinator")


@pytest.fixture
def audit_db(tmp_path, monkeypatch):
    path = tmp_path / "audit.sqlite"
    monkeypatch.setenv("DAPERF_AUDIT_DB", str(path))
    monkeypatch.delenv("DAPERF_AUTH_CONFIG", raising=False)
    return path


def test_record_and_read_back_newest_first(audit_db):
    audit.record(COORDINATOR, "view", "attrition case list", {"from": date(2025, 1, 1), "division": "NORTH"})
    audit.record(COORDINATOR, "export", "attrition case list", {"csp": "E22000001"})
    entries = audit.read_audit(10)
    assert [(e.action, e.filters) for e in entries] == [
        ("export", {"csp": "E22000001"}),
        ("view", {"division": "NORTH", "from": "2025-01-01"}),
    ]
    assert entries[0].username == "coord" and entries[0].role == "coordinator" and not entries[0].demo
    assert audit.read_audit(10, action="view")[0].filters["division"] == "NORTH"
    assert audit.read_audit(1) == entries[:1]


def test_the_log_is_in_wal_mode(audit_db):
    audit.record(COORDINATOR, "view", "daily action list", {})
    with sqlite3.connect(audit_db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_update_and_delete_are_refused_by_the_database(audit_db):
    audit.record(COORDINATOR, "view", "attrition case list", {"division": "NORTH"})
    con = sqlite3.connect(audit_db)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("UPDATE audit_log SET username = 'someone else'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("DELETE FROM audit_log")
    finally:
        con.close()
    assert [e.username for e in audit.read_audit(10)] == ["coord"]


def test_references_and_person_ids_are_refused(audit_db):
    person_id = "ab" * 32  # 64 hex digits: the shape of a pseudonymised person id
    with pytest.raises(ValueError, match="reference"):
        audit.record(COORDINATOR, "view", "attrition case list", {"victim": person_id})
    with pytest.raises(ValueError, match="reference"):
        audit.record(COORDINATOR, "view", "attrition case list", {"case": "0123456789ab"})
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit.record(COORDINATOR, "edit", "attrition case list", {})
    assert audit.read_audit(10) == []


def test_concurrent_writers_all_land(audit_db):
    from concurrent.futures import ThreadPoolExecutor

    # 4 threads x 25 entries = 100 rows, none lost to "database is locked".
    def write(worker: int) -> None:
        for n in range(25):
            audit.record(Principal(f"user{worker}", "analyst"), "view", "data quality", {"metric": f"m{n}"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(4)))
    assert len(audit.read_audit(1000)) == 100

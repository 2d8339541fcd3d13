"""The audit log, on SQLite and on a real PostgreSQL server: entries written and read back, nothing
personal in them, no update or delete, and a hash chain that shows any change, removal or insertion."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import delete, make_url, update

from app.auth import audit, store
from app.auth.policy import Principal

COORDINATOR = Principal("coord", "coordinator")


def test_record_and_read_back_newest_first(state_url):
    audit.record(COORDINATOR, "view", "attrition case list", {"from": date(2025, 1, 1), "division": "NORTH"})
    audit.record(COORDINATOR, "export", "attrition case list", {"csp": "E22000001"})
    entries = audit.read_audit(10)
    assert [(e.audit_id, e.action, e.filters) for e in entries] == [
        (2, "export", {"csp": "E22000001"}),
        (1, "view", {"division": "NORTH", "from": "2025-01-01"}),
    ]
    assert entries[0].username == "coord" and entries[0].role == "coordinator" and not entries[0].demo
    assert audit.read_audit(10, action="view")[0].filters["division"] == "NORTH"
    assert audit.read_audit(1) == entries[:1]


def test_update_delete_and_truncate_are_refused_by_the_database(state_url):
    audit.record(COORDINATOR, "view", "attrition case list", {"division": "NORTH"})
    for statement in (update(store.audit_log).values(username="someone else"), delete(store.audit_log)):
        with pytest.raises(Exception, match="append-only"):
            with store.writing() as con:
                con.execute(statement)
    if store.engine().dialect.name == "postgresql":
        with pytest.raises(Exception, match="append-only"):
            with store.writing() as con:
                con.exec_driver_sql("TRUNCATE daperf_audit_log")
    assert [e.username for e in audit.read_audit(10)] == ["coord"]


def test_references_and_person_ids_are_refused(state_url):
    person_id = "ab" * 32  # 64 hex digits: the shape of a pseudonymised person id
    with pytest.raises(ValueError, match="reference"):
        audit.record(COORDINATOR, "view", "attrition case list", {"victim": person_id})
    with pytest.raises(ValueError, match="reference"):
        audit.record(COORDINATOR, "view", "attrition case list", {"case": "0123456789ab"})
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit.record(COORDINATOR, "edit", "attrition case list", {})
    assert audit.read_audit(10) == []


def test_concurrent_writers_all_land_in_one_unbroken_chain(state_url):
    # 4 threads x 25 entries = 100 rows, none lost to a lock, numbered 1..100 with every link sound.
    def write(worker: int) -> None:
        for n in range(25):
            audit.record(Principal(f"user{worker}", "analyst"), "view", "data quality", {"metric": f"m{n}"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(4)))
    entries = audit.read_audit(1000)
    assert sorted(e.audit_id for e in entries) == list(range(1, 101))
    report = audit.verify_chain(batch=7)  # several batches
    assert report.intact and report.entries == 100


def _write_entries(count: int) -> None:
    for n in range(count):
        audit.record(COORDINATOR, "view", "attrition case list", {"division": "NORTH", "from": f"2025-{n + 1:02d}"})


def _tamper(statement) -> None:
    """What the file's owner or a database superuser could do: switch the triggers off, change a row."""
    with store.writing() as con:
        if con.dialect.name == "postgresql":
            con.exec_driver_sql("ALTER TABLE daperf_audit_log DISABLE TRIGGER USER")
            con.execute(statement)
            con.exec_driver_sql("ALTER TABLE daperf_audit_log ENABLE TRIGGER USER")
        else:
            con.exec_driver_sql("DROP TRIGGER daperf_audit_log_no_update")
            con.exec_driver_sql("DROP TRIGGER daperf_audit_log_no_delete")
            con.execute(statement)


def test_a_changed_entry_is_found(state_url):
    _write_entries(5)
    assert audit.verify_chain().intact
    _tamper(update(store.audit_log).where(store.audit_log.c.seq == 3).values(username="someone else"))
    report = audit.verify_chain()
    assert (report.intact, report.broken_at, report.entries) == (False, 3, 2)
    assert report.problem == "entry 3 was changed after it was written"


def test_a_changed_entry_with_its_hash_recomputed_breaks_the_next_link(state_url):
    _write_entries(5)
    with store.reading() as con:
        row = con.execute(store.select(store.audit_log).where(store.audit_log.c.seq == 2)).one()
    forged = audit.entry_hash(2, row.occurred_at, "someone else", row.role, row.demo, row.action, row.view,
                              row.filters, row.prev_hash)
    _tamper(update(store.audit_log).where(store.audit_log.c.seq == 2).values(username="someone else", row_hash=forged))
    report = audit.verify_chain()
    assert report.broken_at == 3 and report.problem.startswith("entry 3 does not link to entry 2")


def test_a_removed_entry_is_found(state_url):
    _write_entries(5)
    _tamper(delete(store.audit_log).where(store.audit_log.c.seq == 4))
    report = audit.verify_chain()
    assert report.broken_at == 4 and report.problem == "entry 4 is missing (the next entry is 5)"


def test_removed_newest_entries_are_found(state_url):
    _write_entries(5)
    _tamper(delete(store.audit_log).where(store.audit_log.c.seq >= 4))
    report = audit.verify_chain()
    assert report.broken_at == 4 and report.problem.startswith("entries 4 to 5 are missing")


def test_a_rewritten_log_no_longer_holds_a_hash_recorded_earlier(state_url):
    _write_entries(3)
    anchor = audit.verify_chain().head_hash
    assert audit.verify_chain(anchor=anchor).intact
    _write_entries(2)
    assert audit.verify_chain(anchor=anchor).intact  # later entries do not move it
    _tamper(delete(store.audit_log))
    with store.writing() as con:  # a forger who also resets the head, and writes a fresh history
        con.execute(update(store.audit_head).values(seq=0, row_hash=store.GENESIS_HASH))
    for _ in range(5):  # the history as the forger would have it
        audit.record(Principal("someone else", "analyst"), "view", "data quality", {})
    assert audit.verify_chain().intact  # consistent in itself…
    report = audit.verify_chain(anchor=anchor)
    assert not report.intact and "is in no entry" in report.problem  # …but not the log that was


def test_audit_verify_command(state_url):
    from typer.testing import CliRunner

    from cli.main import app as cli

    _write_entries(3)
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "The audit log is intact: 3 entries" in result.output
    assert audit.verify_chain().head_hash in result.output
    _tamper(delete(store.audit_log).where(store.audit_log.c.seq == 2))
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "The audit log is broken: entry 2 is missing (the next entry is 3)" in result.output
    url = make_url(state_url)
    assert (url.password is None) == (url.get_backend_name() == "sqlite")  # PostgreSQL's has one to leak
    assert url.password is None or url.password not in result.output  # no password printed

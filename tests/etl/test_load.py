"""Loading whole batches: upsert, idempotence, audit, formats, mapping, atomicity, lock, pseudonymisation."""
import hashlib
import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

import etl.load
from daperf.config import REPO_ROOT
from daperf.db import LoadInProgress, write_lock
from etl.load import run_load, run_load_cli
from etl.pseudonymise import load_key, pseudonym

# The good batch: 2 divisions, 2 CSPs, 45 shipped offence codes, 4 incidents, 2 arrests, 1 notice,
# 2 DVDS applications, 1 MARAC case.
GOOD_COUNTS = {"divisions": 2, "csps": 2, "offence_codes": 45, "incidents": 4, "arrests": 2,
               "protective_orders": 1, "dvds": 2, "marac": 1}


def _counts(query, db_path) -> dict[str, int]:
    return {table: query(db_path, f"SELECT count(*) FROM {table}")[0][0] for table in GOOD_COUNTS}


def test_first_load_inserts_everything_and_audits_the_batch(batch, db_path, query):
    summary = run_load(batch, db_path, progress=False)
    assert _counts(query, db_path) == GOOD_COUNTS
    assert [(f.table, f.rows_read, f.inserted) for f in summary.files] == [
        (t, n, n) for t, n in GOOD_COUNTS.items()
    ]
    ((batch_id, status),) = query(db_path, "SELECT batch_id, status FROM load_batches")
    assert (batch_id, status) == (summary.batch_id, "loaded")
    files = query(db_path, "SELECT file_name, sha256, rows_read, rows_inserted FROM load_files ORDER BY rowid")
    assert files[3][0] == "incidents.csv" and files[3][2:] == (4, 4)
    assert files[3][1] == hashlib.sha256((batch / "incidents.csv").read_bytes()).hexdigest()


def test_loading_the_same_batch_twice_changes_nothing(batch, db_path, query):
    run_load(batch, db_path, progress=False)
    data_before = query(db_path, "SELECT * FROM incidents ORDER BY incident_id")
    second = run_load(batch, db_path, progress=False)
    assert all((f.inserted, f.updated) == (0, 0) for f in second.files)
    assert [f.unchanged for f in second.files] == list(GOOD_COUNTS.values())
    assert query(db_path, "SELECT * FROM incidents ORDER BY incident_id") == data_before  # _batch_id too
    assert _counts(query, db_path) == GOOD_COUNTS


def test_a_later_outcome_updates_the_record_and_absent_records_are_kept(batch, db_path, set_cell, rows, query):
    first = run_load(batch, db_path, progress=False)
    set_cell(batch, "incidents", "INC003", "outcome_type", "15")
    set_cell(batch, "incidents", "INC003", "outcome_at", "2025-05-01T09:00:00+01:00")
    read_rows, write_rows = rows
    header, data = read_rows(batch / "incidents.csv")
    write_rows(batch / "incidents.csv", header, [r for r in data if r[0] != "INC004"])  # INC004 left out
    second = run_load(batch, db_path, progress=False).file("incidents")
    # 3 rows read: INC003 changed, INC001 and INC002 identical.
    assert (second.rows_read, second.inserted, second.updated, second.unchanged) == (3, 0, 1, 2)
    got = query(db_path, "SELECT incident_id, outcome_type, outcome_at, _batch_id FROM incidents ORDER BY 1")
    second_batch = query(db_path, "SELECT max(batch_id) FROM load_batches")[0][0]
    assert [(g[0], g[1], str(g[2]) if g[2] else None) for g in got] == [
        ("INC001", "1", "2025-04-02 10:00:00"), ("INC002", None, None),
        ("INC003", "15", "2025-05-01 09:00:00"),  # +01:00 in May is BST: local 09:00
        ("INC004", None, None),                    # kept though the later file left it out
    ]
    assert [g[3] for g in got] == [first.batch_id, first.batch_id, second_batch, first.batch_id]


def test_database_holds_no_raw_person_id(batch, db_path, set_cell, query):
    set_cell(batch, "incidents", "INC002", "relationship", "lodger")  # a quarantined row too
    run_load(batch, db_path, progress=False)
    raw = db_path.read_bytes()
    for nominal in ("NOM0001", "NOM0002", "NOM0003", "NOM0004", "NOM0005", "NOM0006"):
        assert nominal.encode() not in raw
    key = load_key()
    assert query(db_path, "SELECT victim_id, suspect_id FROM incidents WHERE incident_id = 'INC001'") == [
        (pseudonym("NOM0001", key), pseudonym("NOM0002", key))
    ]
    # The same person links across extracts: the MARAC victim is incident INC001's victim.
    assert query(db_path, "SELECT count(*) FROM marac m JOIN incidents i USING (victim_id)") == [(2,)]


def test_byte_order_mark_and_untrimmed_mixed_case_headers(batch, db_path, query):
    text = (batch / "marac.csv").read_text()
    header, rest = text.split("\n", 1)
    header = ",".join(f"  {name.upper()} " for name in header.split(","))
    (batch / "marac.csv").write_bytes("\ufeff".encode() + f"{header}\n{rest}".encode())
    assert run_load(batch, db_path, progress=False).file("marac").inserted == 1
    assert query(db_path, "SELECT case_id, actions_agreed FROM marac") == [("MC001", 5)]


def test_optional_columns_may_be_absent(batch, db_path, rows, query):
    read_rows, write_rows = rows
    header, data = read_rows(batch / "arrests.csv")
    keep = [header.index(c) for c in ("arrest_id", "force_code", "suspect_id", "arrested_at", "division_code")]
    write_rows(batch / "arrests.csv", [header[i] for i in keep], [[r[i] for i in keep] for r in data])
    run_load(batch, db_path, progress=False)
    assert query(db_path, "SELECT count(*), count(incident_id), count(custody_disposal) FROM arrests") == [(2, 0, 0)]


def test_column_mapping_file(batch, db_path, rows, tmp_path, query):
    read_rows, write_rows = rows
    header, data = read_rows(batch / "incidents.csv")
    renamed = {"incident_id": "Occurrence Ref", "victim_id": "Victim Nominal", "reported_at": "Call Received"}
    write_rows(batch / "incidents.csv", [renamed.get(h, h) for h in header] + ["Officer Collar"],
               [r + ["1234"] for r in data])
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(textwrap.dedent("""\
        [incidents]
        "Occurrence Ref" = "incident_id"
        "victim nominal" = "victim_id"
        "Call Received" = "reported_at"
        "Officer Collar" = ""
    """))
    assert run_load(batch, db_path, mapping, progress=False).file("incidents").inserted == 4
    assert query(db_path, "SELECT min(reported_at)::VARCHAR FROM incidents") == [("2025-03-14 22:41:00",)]


def test_excel_and_parquet_extracts(batch, db_path, query):
    incidents = pd.read_csv(batch / "incidents.csv", dtype=str, keep_default_na=False)
    incidents.to_excel(batch / "incidents.xlsx", index=False)
    (batch / "incidents.csv").unlink()
    dvds = pd.read_csv(batch / "dvds.csv", dtype=str)
    # A typed Parquet file: an aware timestamp (UTC), a naive one, text elsewhere.
    dvds["received_at"] = pd.to_datetime(dvds["received_at"]).dt.tz_localize("UTC")
    dvds["decision_at"] = pd.to_datetime(dvds["decision_at"])
    dvds.to_parquet(batch / "dvds.parquet")
    (batch / "dvds.csv").unlink()
    summary = run_load(batch, db_path, progress=False)
    assert (summary.file("incidents").inserted, summary.file("dvds").inserted) == (4, 2)
    assert query(db_path, "SELECT victim_age, children_present FROM incidents WHERE incident_id = 'INC001'") == [
        (34, True)]
    # 2025-02-01 10:00 UTC is 10:00 GMT in London.
    assert query(db_path, "SELECT received_at::VARCHAR, decision_at::VARCHAR FROM dvds ORDER BY 1") == [
        ("2025-02-01 10:00:00", "2025-02-20 10:00:00"), ("2025-03-01 10:00:00", None)]
    assert query(db_path, "SELECT count(*) FROM quarantine") == [(0,)]


def test_batch_offence_codes_extend_the_shipped_list(batch, db_path, query):
    (batch / "offence_codes.csv").write_text(
        "offence_code,offence_description,offence_group,is_homicide\n"
        "99z,Local code: breach of non-molestation order,other,false\n"
    )
    summary = run_load(batch, db_path, progress=False)
    assert [f.file_name for f in summary.files][2:4] == ["offence_codes.csv (daperf)", "offence_codes.csv"]
    assert query(db_path, "SELECT offence_group FROM offence_codes WHERE offence_code = '99Z'") == [("other",)]
    assert query(db_path, "SELECT offence_group, is_homicide FROM offence_codes WHERE offence_code = '8U'") == [
        ("controlling_coercive", False)]


def test_a_load_failing_midway_leaves_the_previous_database(batch, db_path, set_cell, query, monkeypatch):
    run_load(batch, db_path, progress=False)
    before = db_path.read_bytes()
    set_cell(batch, "incidents", "INC003", "outcome_type", "15")
    set_cell(batch, "incidents", "INC003", "outcome_at", "2025-05-01T09:00:00")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    # Fails on the first extract, after the reference tables were written to the copy.
    original = etl.load._load_file
    monkeypatch.setattr(etl.load, "_load_file",
                        lambda con, item, *a: disk_full() if item.source.table == "arrests" else original(con, item, *a))
    with pytest.raises(OSError, match="No space left"):
        run_load(batch, db_path, progress=False)
    assert db_path.read_bytes() == before
    assert query(db_path, "SELECT outcome_type FROM incidents WHERE incident_id = 'INC003'") == [(None,)]
    # The half-written copy is gone: only the live file and the lock file remain.
    assert {p.name for p in db_path.parent.iterdir()} == {db_path.name, f"{db_path.name}.lock"}


def _kill_a_load_midway(batch, db_path, key_file) -> int:
    """Run a load in a child process that stops for good after writing the incidents into its copy, kill it
    with SIGKILL (as the kernel's out-of-memory killer or a power cut would), and return its process id."""
    child = textwrap.dedent(f"""
        import time
        import etl.load
        original = etl.load._load_file
        def load_then_hang(con, item, *args):
            summary = original(con, item, *args)
            if item.source.table == "incidents":
                print("midway", flush=True)
                time.sleep(120)
            return summary
        etl.load._load_file = load_then_hang
        etl.load.run_load({str(batch)!r}, {str(db_path)!r}, progress=False)
    """)
    env = os.environ | {"DAPERF_KEY_FILE": str(key_file)}
    with subprocess.Popen([sys.executable, "-c", child], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                          text=True) as proc:
        try:
            assert proc.stdout.readline().strip() == "midway"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return proc.pid


def test_a_load_killed_midway_leaves_the_previous_database(batch, db_path, set_cell, query, key_file):
    run_load(batch, db_path, progress=False)
    before = db_path.read_bytes()
    set_cell(batch, "incidents", "INC003", "outcome_type", "15")
    set_cell(batch, "incidents", "INC003", "outcome_at", "2025-05-01T09:00:00")
    _kill_a_load_midway(batch, db_path, key_file)
    assert db_path.read_bytes() == before
    assert query(db_path, "SELECT outcome_type FROM incidents WHERE incident_id = 'INC003'") == [(None,)]
    # The kernel released the dead load's lock: the next load runs and cleans up after it.
    assert run_load(batch, db_path, progress=False).file("incidents").updated == 1


def test_second_load_while_the_lock_is_held_is_refused_cleanly(batch, db_path, capsys):
    run_load(batch, db_path, progress=False)
    before = db_path.read_bytes()
    with write_lock(db_path):
        with pytest.raises(LoadInProgress):
            run_load(batch, db_path, progress=False)
        assert run_load_cli(batch, db_path, None) == 1
    assert "Another load is writing" in capsys.readouterr().out
    assert db_path.read_bytes() == before


def test_cli_prints_the_summary(batch, db_path, set_cell, capsys):
    set_cell(batch, "marac", "MC001", "actions_completed", "9")
    assert run_load_cli(batch, db_path, None) == 0
    out = capsys.readouterr().out
    assert "incidents.csv" in out and "marac.csv quarantined by rule: actions_completed_above_agreed 1" in out


def test_daperf_load_command(batch, db_path, key_file):
    env = os.environ | {"DAPERF_KEY_FILE": str(key_file)}
    done = subprocess.run([sys.executable, "-m", "cli.main", "load", str(batch), "--db", str(db_path)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (batch / "dvds.csv").write_bytes(b"")
    refused = subprocess.run([sys.executable, "-m", "cli.main", "load", str(batch), "--db", str(db_path)],
                             cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "dvds.csv: is empty" in refused.stdout


def test_enumeration_spellings_are_stored_as_their_codes(batch, db_path, set_cell, query):
    set_cell(batch, "dvds", "DV001", "route", "Right to Ask")
    set_cell(batch, "dvds", "DV002", "route", "RTK")
    set_cell(batch, "marac", "MC001", "referring_agency", "Children's Social Care")
    set_cell(batch, "marac", "MC001", "idva_engaged", "Y")
    run_load(batch, db_path, progress=False)
    assert query(db_path, "SELECT route FROM dvds ORDER BY application_id") == [("right_to_ask",), ("right_to_know",)]
    assert query(db_path, "SELECT referring_agency, idva_engaged FROM marac") == [("childrens_social_care", True)]


def _finished_process_id() -> int:
    """The id of a process that has run and been reaped: certainly not running."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_a_load_removes_what_a_dead_load_left_and_keeps_a_live_ones(batch, db_path, capsys):
    run_load(batch, db_path, progress=False)
    dead, folder = _finished_process_id(), db_path.parent
    leftovers = [folder / f".{db_path.name}.loading-{dead}", folder / f".{db_path.name}.loading-{dead}.wal"]
    for path in leftovers:
        path.write_bytes(b"\0" * 4096)
    spill = folder / f".{db_path.name}.loading-{dead}.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"\0" * 4096)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) as live:
        try:
            kept = folder / f".{db_path.name}.loading-{live.pid}"
            kept.write_bytes(b"\0" * 4096)
            summary = run_load(batch, db_path, progress=False)
            assert sorted(summary.cleaned_up) == sorted(p.name for p in [*leftovers, spill])
            assert not any(p.exists() for p in [*leftovers, spill])
            assert kept.exists()  # a running process's copy is never touched
            # The command line says so too.
            leftovers[0].write_bytes(b"\0")
            assert run_load_cli(batch, db_path, None) == 0
            assert f"Removed {leftovers[0].name}, left by a load that did not finish." in capsys.readouterr().out
        finally:
            live.kill()
    assert run_load(batch, db_path, progress=False).cleaned_up == [kept.name]


def test_a_killed_load_leaves_only_what_the_next_load_removes(batch, db_path, key_file):
    run_load(batch, db_path, progress=False)
    pid = _kill_a_load_midway(batch, db_path, key_file)
    copy = f".{db_path.name}.loading-{pid}"
    assert copy in {p.name for p in db_path.parent.iterdir()}  # the dead load's copy is still there
    summary = run_load(batch, db_path, progress=False)
    assert copy in summary.cleaned_up
    assert {p.name for p in db_path.parent.iterdir()} == {db_path.name, f"{db_path.name}.lock"}

"""Every row-level rule: the row goes to quarantine with its rule, column and row number; the rest loads."""
import json
import shutil
from pathlib import Path

import pytest

from etl.load import run_load
from etl.pseudonymise import load_key, pseudonym

GOOD_BATCH = Path(__file__).resolve().parents[1] / "fixtures" / "extracts" / "good"

# (table, record id, column, bad value, rule, blamed column): a copy of the record with the bad value breaks
# exactly that rule (the good batch's rows are all valid).
CASES = [
    ("incidents", "INC002", "victim_id", "", "required_missing", "victim_id"),
    ("incidents", "INC002", "relationship", "neighbour", "unknown_code", "relationship"),
    ("incidents", "INC002", "force_code", "ESSEX", "bad_format", "force_code"),
    ("incidents", "INC002", "victim_age", "130", "out_of_range", "victim_age"),
    ("incidents", "INC002", "attended_at", "2099-01-01T00:00:00", "date_in_future", "attended_at"),
    ("incidents", "INC002", "reported_at", "20/03/2025 08:00", "invalid_datetime", "reported_at"),
    ("incidents", "INC002", "children_present", "sometimes", "invalid_boolean", "children_present"),
    ("incidents", "INC002", "suspect_age", "thirty", "invalid_integer", "suspect_age"),
    ("incidents", "INC002", "attended_at", "2025-03-20T07:59:00", "attended_before_reported", "attended_at"),
    ("incidents", "INC001", "offence_code", "", "offence_code_missing", "offence_code"),
    ("incidents", "INC001", "crime_recorded_at", "", "crime_recorded_at_missing", "crime_recorded_at"),
    ("incidents", "INC001", "outcome_at", "", "outcome_at_missing", "outcome_at"),
    ("incidents", "INC001", "cps_decision_at", "", "cps_decision_at_missing", "cps_decision_at"),
    ("incidents", "INC001", "court_result_at", "", "court_result_at_missing", "court_result_at"),
    ("incidents", "INC002", "division_code", "NORTH", "unknown_division", "division_code"),
    ("incidents", "INC002", "csp_code", "E22000999", "unknown_csp", "csp_code"),
    ("arrests", "ARR002", "division_code", "NORTH", "unknown_division", "division_code"),
    ("protective_orders", "PO001", "order_expires_at", "14/04/2025", "invalid_date", "order_expires_at"),
    ("protective_orders", "PO001", "breaches", "-1", "out_of_range", "breaches"),
    ("dvds", "DV001", "decision_at", "", "decision_at_missing", "decision_at"),
    ("dvds", "DV002", "csp_code", "E22000999", "unknown_csp", "csp_code"),
    ("marac", "MC001", "actions_completed", "6", "actions_completed_above_agreed", "actions_completed"),
    ("marac", "MC001", "children_in_household", "-2", "out_of_range", "children_in_household"),
    ("csps", "E22000079", "population_16plus", "190000", "population_16plus_above_total", "population_16plus"),
    ("csps", "E22000079", "population_female_16plus", "160000", "female_16plus_above_16plus",
     "population_female_16plus"),
]


KEYS = {"incidents": "incident_id", "arrests": "arrest_id", "protective_orders": "notice_id",
        "dvds": "application_id", "marac": "case_id", "csps": "csp_code"}


@pytest.fixture(scope="module")
def loaded_bad_batch(tmp_path_factory, rows):
    """One load of the good batch plus, for each case, a copy of its record with a new id and the bad value.

    (One load for all cases keeps the suite fast; each copy breaks exactly one rule.)
    """
    read_rows, write_rows = rows
    root = tmp_path_factory.mktemp("bad")
    batch = Path(shutil.copytree(GOOD_BATCH, root / "batch"))
    new_ids = []
    for n, (table, record, column, value, _, _) in enumerate(CASES):
        path = batch / f"{table}.csv"
        header, rows = read_rows(path)
        copy = list(next(r for r in rows if r[0] == record))
        # A CSP's id is its ONS code; other tables' ids are free text.
        copy[0] = f"E22000{900 + n}" if table == "csps" else f"{record}-{n}"
        copy[header.index(column)] = value
        write_rows(path, header, rows + [copy])
        new_ids.append(copy[0])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAPERF_KEY_FILE", str(root / "secrets" / "key"))
        summary = run_load(batch, root / "db.duckdb", progress=False)
    return summary, root / "db.duckdb", new_ids


@pytest.mark.parametrize(("case", "table", "record", "column", "value", "rule", "blamed"),
                         [(n, *c) for n, c in enumerate(CASES)], ids=[f"{c[0]}-{c[4]}-{c[2]}" for c in CASES])
def test_row_breaking_a_rule_is_quarantined(loaded_bad_batch, query, case, table, record, column, value, rule, blamed):
    _, db_path, new_ids = loaded_bad_batch
    got = query(db_path, "SELECT rule, column_name, message FROM quarantine WHERE table_name = ? AND record_id = ?",
                [table, new_ids[case]])
    assert [g[:2] for g in got] == [(rule, blamed)]
    assert got[0][2]  # a message for the person fixing it
    assert query(db_path, f"SELECT count(*) FROM {table} WHERE {KEYS[table]} = ?", [new_ids[case]]) == [(0,)]


def test_the_rest_of_the_batch_loads(loaded_bad_batch, query):
    summary, db_path, _ = loaded_bad_batch
    # Each table: its good rows inserted, its case rows quarantined (none of them holds a second problem).
    for table, good_rows in {"incidents": 4, "arrests": 2, "protective_orders": 1, "dvds": 2, "marac": 1,
                             "csps": 2}.items():
        cases = sum(1 for c in CASES if c[0] == table)
        loaded = summary.file(table)
        assert (loaded.rows_read, loaded.inserted, loaded.quarantined) == (good_rows + cases, good_rows, cases)
        assert sum(loaded.quarantined_by_rule.values()) == cases
    assert query(db_path, "SELECT count(*) FROM quarantine") == [(len(CASES),)]


def test_quarantined_row_keeps_its_row_number_and_pseudonymised_ids(batch, db_path, set_cell, query):
    set_cell(batch, "incidents", "INC003", "relationship", "lodger")  # INC003 is data row 3
    run_load(batch, db_path, progress=False)
    ((row_number, row_json, message),) = query(db_path, "SELECT row_number, row_json, message FROM quarantine")
    assert row_number == 3
    row = json.loads(row_json)
    key = load_key()
    assert row["relationship"] == "lodger" and row["incident_id"] == "INC003"
    assert row["victim_id"] == pseudonym("NOM0001", key) and row["suspect_id"] == pseudonym("NOM0002", key)
    assert "NOM000" not in row_json
    assert message.startswith("relationship 'lodger' is not one of the codes partner, ex_partner")


def test_row_breaking_two_rules_counts_once(batch, db_path, set_cell):
    set_cell(batch, "incidents", "INC002", "relationship", "lodger")
    set_cell(batch, "incidents", "INC002", "victim_age", "200")
    loaded = run_load(batch, db_path, progress=False).file("incidents")
    # 4 rows read: 1 quarantined (2 entries), 3 inserted.
    assert (loaded.rows_read, loaded.quarantined, loaded.inserted) == (4, 1, 3)
    assert loaded.quarantined_by_rule == {"out_of_range": 1, "unknown_code": 1}


def test_record_id_twice_in_a_file_keeps_the_last_row(batch, db_path, rows, query):
    read_rows, write_rows = rows
    header, data = read_rows(batch / "dvds.csv")
    later = list(data[1])
    later[header.index("decision")] = "withdrawn"
    write_rows(batch / "dvds.csv", header, data + [later])  # DV002 again as row 3
    loaded = run_load(batch, db_path, progress=False).file("dvds")
    assert (loaded.rows_read, loaded.inserted, loaded.quarantined) == (3, 2, 1)
    assert query(db_path, "SELECT row_number, rule FROM quarantine") == [(2, "duplicate_record_id")]
    assert query(db_path, "SELECT decision FROM dvds WHERE application_id = 'DV002'") == [("withdrawn",)]


def test_unknown_offence_code_is_loaded_not_quarantined(batch, db_path, query):
    run_load(batch, db_path, progress=False)
    # INC004 carries offence code 99Z, which is in no offence_codes table: loaded for the data quality page.
    assert query(db_path, "SELECT offence_code FROM incidents WHERE incident_id = 'INC004'") == [("99Z",)]
    assert query(db_path, "SELECT count(*) FROM offence_codes WHERE offence_code = '99Z'") == [(0,)]
    assert query(db_path, "SELECT count(*) FROM quarantine") == [(0,)]


def test_arrest_of_an_incident_not_loaded_is_kept(batch, db_path, query):
    run_load(batch, db_path, progress=False)
    assert query(db_path, "SELECT incident_id FROM arrests WHERE arrest_id = 'ARR002'") == [("INC999",)]


def test_division_unknown_in_the_batch_but_loaded_before_is_accepted(batch, db_path, rows, set_cell, query):
    run_load(batch, db_path, progress=False)
    read_rows, write_rows = rows
    header, data = read_rows(batch / "divisions.csv")
    write_rows(batch / "divisions.csv", header, data[:1])  # this batch lists SOUTH only
    set_cell(batch, "incidents", "INC002", "outcome_type", "")  # any edit; INC002 is in WEST
    summary = run_load(batch, db_path, progress=False)
    assert summary.file("incidents").quarantined == 0  # WEST is in the database from the first batch


def test_checking_in_small_batches_quarantines_the_same_rows(loaded_bad_batch, tmp_path, monkeypatch, query):
    # pandera checks the staged rows a batch at a time: every rule holds whatever the batch size.
    _, db_path, _ = loaded_bad_batch
    monkeypatch.setattr("etl.load.CHECK_ROWS", 2)
    run_load(db_path.parent / "batch", tmp_path / "small.duckdb", progress=False)
    found = "SELECT table_name, row_number, record_id, rule, column_name FROM quarantine ORDER BY ALL"
    assert query(tmp_path / "small.duckdb", found) == query(db_path, found)


def test_unreadable_cell_is_kept_as_sent_in_the_quarantined_row(batch, db_path, set_cell, query):
    set_cell(batch, "incidents", "INC002", "reported_at", "20/03/2025 08:00")
    set_cell(batch, "incidents", "INC002", "children_present", "Yes")  # readable: kept as its value
    run_load(batch, db_path, progress=False)
    ((rule, message, row_json),) = query(db_path, "SELECT rule, message, row_json FROM quarantine")
    assert rule == "invalid_datetime" and message.startswith("reported_at '20/03/2025 08:00' is not")
    row = json.loads(row_json)
    assert row["reported_at"] == "20/03/2025 08:00" and row["children_present"] is True
    assert row["incident_id"] == "INC002" and "_unreadable" not in row


def test_row_numbers_count_lines_of_the_file_however_the_reader_splits_it(batch, db_path, rows, monkeypatch, query):
    # DuckDB reads a CSV file in blocks, in parallel: a row's number is still its place in the file.
    read_rows, write_rows = rows
    header, data = read_rows(batch / "incidents.csv")
    many = []
    for n in range(3000):
        row = list(data[n % len(data)])
        row[0] = f"INC-{n:05d}"
        if row[header.index("crime_ref")]:  # a quoted cell across two lines
            row[header.index("crime_ref")] = f"ref\nwith a line break {n}"
        many.append(row)
    many[2718][header.index("relationship")] = "lodger"
    write_rows(batch / "incidents.csv", header, many)
    monkeypatch.setattr("etl.read.CSV_BUFFER_BYTES", 4096)
    loaded = run_load(batch, db_path, progress=False).file("incidents")
    assert (loaded.rows_read, loaded.quarantined) == (3000, 1)
    assert query(db_path, "SELECT row_number, record_id FROM quarantine") == [(2719, "INC-02718")]
    assert query(db_path, "SELECT crime_ref FROM incidents WHERE incident_id = 'INC-02716'") == [
        ("ref\nwith a line break 2716",)]

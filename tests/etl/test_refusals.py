"""Batches refused whole: the database is not created or not changed, the message names file, problem, fix."""
import shutil
from pathlib import Path

import pandas as pd
import pytest

from etl.load import BatchRefused, run_load, run_load_cli


def _refused(batch: Path, db_path: Path, mapping: Path | None = None) -> str:
    with pytest.raises(BatchRefused) as caught:
        run_load(batch, db_path, mapping, progress=False)
    assert not db_path.exists()  # nothing written, not even the audit
    return str(caught.value)


def test_bad_encoding_is_refused(batch, db_path):
    text = (batch / "incidents.csv").read_text(encoding="utf-8").replace("NOM0003", "NOM0003\u00e9")
    (batch / "incidents.csv").write_bytes(text.encode("latin-1"))  # é as one latin-1 byte: not UTF-8
    message = _refused(batch, db_path)
    assert "incidents.csv: is not UTF-8 text" in message and "CSV UTF-8" in message


def test_binary_file_is_refused(batch, db_path):
    (batch / "dvds.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe")
    assert "dvds.csv: is not UTF-8 text" in _refused(batch, db_path)


def test_empty_file_is_refused(batch, db_path):
    (batch / "arrests.csv").write_bytes(b"")
    message = _refused(batch, db_path)
    assert "arrests.csv: is empty" in message and "header row" in message


def test_semicolon_separated_file_is_refused(batch, db_path):
    (batch / "marac.csv").write_text((batch / "marac.csv").read_text().replace(",", ";"))
    assert "marac.csv: is not comma-separated" in _refused(batch, db_path)


def test_row_with_too_many_fields_is_refused_without_echoing_the_row(batch, db_path):
    with open(batch / "arrests.csv", "a") as fh:
        fh.write("ARR003,E23000028,INC001,NOM0099,2025-03-14T23:30:00,SOUTH,charged,2025-04-01T16:30:00,extra\n")
    message = _refused(batch, db_path)
    assert "arrests.csv: is not a well-formed CSV" in message
    assert "NOM0099" not in message  # the offending row holds a person id


def test_missing_required_column_is_refused_with_every_problem_listed(batch, db_path, rows):
    read_rows, write_rows = rows
    for table, column in (("incidents", "victim_id"), ("dvds", "route")):
        header, data = read_rows(batch / f"{table}.csv")
        i = header.index(column)
        write_rows(batch / f"{table}.csv", header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in data])
    message = _refused(batch, db_path)
    assert "incidents.csv: lacks required column(s) victim_id" in message
    assert "dvds.csv: lacks required column(s) route" in message
    assert "--mapping" in message


@pytest.mark.parametrize(("column", "kind"), [
    ("Victim Name", "a name"), ("surname", "a name"), ("home_address", "an address"),
    ("victim_dob", "a date of birth"), ("Date of Birth", "a date of birth"), ("postcode", "a postcode"),
    ("incident_narrative", "free text"), ("free_text", "free text"), ("officer notes", "free text"),
])
def test_column_that_looks_like_personal_data_is_refused(batch, db_path, rows, column, kind):
    read_rows, write_rows = rows
    header, data = read_rows(batch / "incidents.csv")
    write_rows(batch / "incidents.csv", header + [column], [r + [""] for r in data])
    message = _refused(batch, db_path)
    assert f"incidents.csv: has column(s) that look like personal data: '{column}' ({kind})" in message
    assert "remove them from the export" in message


def test_contract_columns_with_name_or_description_are_not_personal_data(batch, db_path):
    # divisions.division_name, csps.csp_name and offence_codes.offence_description are contract columns.
    (batch / "offence_codes.csv").write_text(
        "offence_code,offence_description,offence_group,is_homicide\n8N,Assault with injury,violence_with_injury,false\n"
    )
    summary = run_load(batch, db_path, progress=False)
    assert summary.file("divisions").inserted == 2 and summary.file("offence_codes").unchanged == 1


def test_column_the_contract_does_not_know_is_refused(batch, db_path, rows):
    read_rows, write_rows = rows
    header, data = read_rows(batch / "arrests.csv")
    write_rows(batch / "arrests.csv", header + ["custody_suite"], [r + ["X"] for r in data])
    message = _refused(batch, db_path)
    assert "arrests.csv: has column(s) the arrests contract does not know: 'custody_suite'" in message


def test_data_file_not_named_after_a_table_is_refused_and_other_files_ignored(batch, db_path):
    shutil.copy(batch / "incidents.csv", batch / "incidents_march.csv")
    (batch / "README.txt").write_text("notes for the analyst")
    message = _refused(batch, db_path)
    assert "incidents_march.csv: is not named after a table" in message
    (batch / "incidents_march.csv").unlink()
    summary = run_load(batch, db_path, progress=False)
    assert summary.warnings == ["README.txt: ignored (not a .csv, .xlsx or .parquet extract)"]


def test_two_files_for_one_table_are_refused(batch, db_path):
    pd.read_csv(batch / "dvds.csv", dtype=str).to_parquet(batch / "dvds.parquet")
    assert "dvds.csv, dvds.parquet: are all extracts of dvds" in _refused(batch, db_path)


def test_folder_without_extracts_is_refused(tmp_path, db_path):
    (tmp_path / "empty").mkdir()
    assert "holds no extract files" in _refused(tmp_path / "empty", db_path)


def test_unreadable_mapping_file_is_refused(batch, db_path, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[incidents]\n"Occurrence Ref" = "occurrence"\n')
    assert "mapping.toml: maps \"Occurrence Ref\" to 'occurrence', which is not a column of incidents" in _refused(
        batch, db_path, mapping)


def test_refused_batch_leaves_an_existing_database_byte_for_byte(batch, db_path):
    run_load(batch, db_path, progress=False)
    before = db_path.read_bytes()
    (batch / "marac.csv").write_bytes(b"")
    with pytest.raises(BatchRefused):
        run_load(batch, db_path, progress=False)
    assert db_path.read_bytes() == before


def test_cli_exit_code_and_message_for_a_refused_batch(batch, db_path, capsys):
    (batch / "arrests.csv").write_bytes(b"")
    assert run_load_cli(batch, db_path, None) == 1
    out = capsys.readouterr().out
    assert "Batch refused; the database is unchanged." in out and "arrests.csv: is empty" in out


@pytest.mark.parametrize(("name", "problem"), [
    ("incidents.xlsx", "is not a readable Excel workbook"),
    ("incidents.parquet", "is not a readable Parquet file"),
])
def test_corrupt_excel_or_parquet_file_is_refused(batch, db_path, name, problem):
    (batch / "incidents.csv").unlink()
    (batch / name).write_bytes(b"incident_id,force_code\nINC001,E23000028\n")  # CSV text under another name
    assert f"{name}: {problem}" in _refused(batch, db_path)

"""Shared helpers for the ETL tests: a tmp key file, a copy of the hand-made good batch, cell edits."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

GOOD_BATCH = Path(__file__).resolve().parents[1] / "fixtures" / "extracts" / "good"


@pytest.fixture(autouse=True)
def key_file(tmp_path_factory, monkeypatch) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "daperf" / "pseudonymisation.key"
    monkeypatch.setenv("DAPERF_KEY_FILE", str(path))
    return path


@pytest.fixture
def batch(tmp_path) -> Path:
    """A fresh copy of tests/fixtures/extracts/good to edit."""
    return Path(shutil.copytree(GOOD_BATCH, tmp_path / "batch"))


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "db" / "daperf.duckdb"


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])


def set_cell(batch_dir: Path, table: str, record_id: str, column: str, value: str) -> None:
    """Set one cell of the row whose first column is ``record_id``."""
    path = batch_dir / f"{table}.csv"
    header, rows = read_rows(path)
    for row in rows:
        if row[0] == record_id:
            row[header.index(column)] = value
            break
    else:
        raise KeyError(record_id)
    write_rows(path, header, rows)


def query(db: Path, text: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(text, params or []).fetchall()
    finally:
        con.close()


# Tests run with --import-mode=importlib, where conftest is not importable: hand the helpers out as fixtures.
@pytest.fixture(name="set_cell", scope="session")
def set_cell_fixture():
    return set_cell


@pytest.fixture(name="rows", scope="session")
def rows_fixture():
    return read_rows, write_rows


@pytest.fixture(name="query", scope="session")
def query_fixture():
    return query

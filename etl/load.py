"""Loading a batch: check every file's header, then for each file read -> type and pseudonymise -> check ->
quarantine or keep -> upsert, all inside ``daperf.db.atomic_write``.

Each file is read, typed and pseudonymised by DuckDB in one parallel pass into a staging table
(``etl.read.csv_source``, ``etl.normalise.typed_select``); pandera then checks every staged row against the
table's schema (``etl.validate``, in batches of ``CHECK_ROWS`` rows), and the rules that need the whole file
or the database (a record twice in a file, a division or partnership code in no reference table) are SQL
over the staging table. What breaks a rule goes to ``quarantine``; the rest is upserted by key.

Order: reference tables first (divisions, csps, then the shipped offence codes and the batch's own), then
the extracts, so an extract's division and CSP codes are checked against this batch's reference tables
as well as those already loaded.

A refused batch (``BatchRefused``: an unreadable file, a missing required column, a column that looks like
personal data, a misnamed data file) writes nothing at all: not the data, not the audit tables; the reason
is printed and returned as a non-zero exit code. A loaded batch is recorded in ``load_batches`` and
``load_files``.
"""
from __future__ import annotations

import re
import secrets
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from daperf.db import LoadInProgress, atomic_write
from daperf.sqlfiles import sql
from etl.errors import BatchRefused, FileProblem
from etl.mapping import ColumnMapping, Constants, load_constants, load_mapping, resolve_columns
from etl.marts import build_marts
from etl.normalise import (FAILURE_COLUMNS, UNREADABLE, derive, frames, map_enums, parameters, parse_failures,
                           typed_select)
from etl.pseudonymise import KeyFileError, load_key, pseudonym_parameters
from etl.read import (SourceFile, csv_problem, csv_source, discover, iter_chunks, read_header, sha256,
                      shipped_offence_codes)
from etl.schemas import TABLES, columns, now_local, record_id, record_key
from etl.validate import validate

__all__ = ["BatchRefused", "FileSummary", "LoadInProgress", "LoadSummary", "run_load", "run_load_cli"]


@dataclass
class FileSummary:
    table: str
    file_name: str
    sha256: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)


@dataclass
class LoadSummary:
    batch_id: str
    source_dir: str
    db_path: str
    files: list[FileSummary]
    warnings: list[str]
    seconds: float
    # What a dead load had left beside the database and this load removed (daperf.db.atomic_write).
    cleaned_up: list[str] = field(default_factory=list)

    def file(self, table: str) -> FileSummary:
        """The summary of the batch's own file for ``table`` (not the shipped offence codes)."""
        return next(f for f in reversed(self.files) if f.table == table)


@dataclass(frozen=True)
class _PlannedFile:
    source: SourceFile
    header: list[str]
    columns: dict[str, str]  # header name -> contract column
    constants: dict[str, str] = field(default_factory=dict)  # contract column -> text on every row


# The reference tables a row's codes must be found in: table -> (its key column, the quarantine rule).
REFERENCE_CODES = {"divisions": ("division_code", "unknown_division"), "csps": ("csp_code", "unknown_csp")}
# Staged rows pandera checks at a time: large enough that its fixed cost per check is nothing, small
# enough that a batch of pandas columns stays a few hundred MB beside DuckDB's memory limit.
CHECK_ROWS = 250_000
# A quarantined row as the staging table holds it (typed, person ids pseudonymised), with the text of each
# cell that could not be read put back as it was sent.
ROW_JSON = (f"json_merge_patch(to_json(s), coalesce(s.{UNREADABLE}, '{{}}'), "
            f"'{{\"{UNREADABLE}\": null}}')")


def _query(name: str, table: str | None = None, reference: str | None = None, **generated: str) -> str:
    """SQL from sql/load; the only text put in is table and column names from ``TABLES`` and
    ``REFERENCE_CODES`` and SQL generated from the schema (``generated``), never input."""
    text = sql(f"load/{name}")
    if table is None:
        return text.format(**generated) if generated else text
    if table not in TABLES:
        raise ValueError(f"not a table: {table}")
    keys = record_key(table)

    def join(left: str, right: str) -> str:
        return " AND ".join(f"{left}.{k} = {right}.{k}" for k in keys)

    names = {
        "table": table, "key": record_id(table), "keys": ", ".join(keys),
        "new_keys": ", ".join(f"n.{k}" for k in keys),
        "join_new_old": join("n", "o"), "join_table_changes": join("t", "c"),
        "join_stage_changes": join("s", "c"), "join_stage_last": join("s", "last_rows"),
        "row_json": ROW_JSON, **generated,
    }
    if reference is not None:
        names |= {"reference": reference, "code": REFERENCE_CODES[reference][0]}
    return text.format(**names)


def _run(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, object]):
    """Execute with the parameters the statement names (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$([a-z_0-9]+)", query))
    return con.execute(query, {k: v for k, v in params.items() if k in used})


def _plan(source_dir: Path, mapping_path: Path | None) -> tuple[list[_PlannedFile], list[str]]:
    """Every file's header checked before anything is written; all problems reported together."""
    problems: list[FileProblem] = []
    mapping: ColumnMapping = {}
    constants: Constants = {}
    try:
        mapping = load_mapping(mapping_path)
        constants = load_constants(mapping_path)
    except FileProblem as problem:
        problems.append(problem)
    found = discover(source_dir)
    problems.extend(found.problems)
    planned: list[_PlannedFile] = []
    sources = found.files
    # The project's offence codes go in before the batch's own, which may extend or amend them.
    position = next((i for i, s in enumerate(sources) if not TABLES[s.table].reference), len(sources))
    position = next((i for i, s in enumerate(sources) if s.table == "offence_codes"), position)
    sources = sources[:position] + [shipped_offence_codes()] + sources[position:]
    for source in sources:
        try:
            header = read_header(source)
            columns_of = resolve_columns(source.table, source.label, header, mapping, constants)
            planned.append(_PlannedFile(source, header, columns_of, constants.get(source.table, {})))
        except FileProblem as problem:
            problems.append(problem)
    if problems:
        raise BatchRefused(problems)
    return planned, found.warnings


def _stage(con: duckdb.DuckDBPyConnection, planned: _PlannedFile, params: dict[str, object]) -> int:
    """Read the file into the staging table in file order, typed and pseudonymised; the rows read."""
    source, table = planned.source, planned.source.table
    constants = {column: f"$constant_{i}" for i, column in enumerate(planned.constants)}
    params = params | {f"constant_{i}": value for i, value in enumerate(planned.constants.values())}
    position = {name: i for i, name in enumerate(planned.header)}
    _run(con, _query("file_order"), {})
    cells = {column: f"c{position[name]}" for name, column in planned.columns.items()} | constants
    try:
        if source.format == "csv":
            reader, reader_params = csv_source(source, planned.header)
            typed = typed_select(table, cells, reader, pseudonymise=True)
            try:
                _run(con, _query("stage_insert", typed=typed), params | reader_params)
            except duckdb.InvalidInputException as exc:  # the reader's: encoding, a malformed row
                raise csv_problem(source, exc) from exc
        else:  # Parquet and Excel: text chunks, in order, through the same projection
            typed = typed_select(table, cells, "raw_chunk", pseudonymise=True)
            for chunk, _ in iter_chunks(source, planned.header):
                chunk = chunk.set_axis([f"c{i}" for i in range(chunk.shape[1])], axis=1).reset_index(drop=True)
                con.register("raw_chunk", chunk)
                try:
                    _run(con, _query("stage_insert", typed=typed), params)
                finally:
                    con.unregister("raw_chunk")
    finally:
        _run(con, _query("any_order"), {})
    return con.execute("SELECT count(*) FROM stage").fetchall()[0][0]


def _check(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """Every staged row's cells that could not be read, and every failure of the table's schema (pandera,
    batch by batch): ``FAILURE_COLUMNS``, one entry per row and column."""
    found = [parse_failures(con, table)]
    found.extend(validate(table, frame) for frame in frames(con, table, CHECK_ROWS))
    failures = pd.concat([f for f in found if len(f)] or [pd.DataFrame(columns=FAILURE_COLUMNS)],
                         ignore_index=True)
    # A cell that could not be read is null now; its "required" failure would say the same again.
    failures = failures.drop_duplicates(["row_number", "column_name"], keep="first")
    return failures.astype({"row_number": "int64"})


def _load_file(
    con: duckdb.DuckDBPyConnection,
    planned: _PlannedFile,
    digest: Future,
    params: dict[str, object],
    on_progress,
) -> FileSummary:
    source = planned.source
    table = source.table
    params = params | {"table_name": table, "source_file": source.label}
    con.execute(_query("stage_create", table))
    rows_read = _stage(con, planned, params)
    on_progress(0.4)
    map_enums(con, table)
    derive(con, table)
    failures = _check(con, table)
    on_progress(0.7)
    if len(failures):
        con.register("quarantined_rows", failures)
        try:
            _run(con, _query("quarantine_insert", table), params)
        finally:
            con.unregister("quarantined_rows")
        _run(con, _query("stage_drop_quarantined"), params)
    # Rules over the whole file and the database, on the rows that kept to the schema.
    _run(con, _query("quarantine_duplicates", table), params)
    for reference, (code, rule) in REFERENCE_CODES.items():
        if code in columns(table) and table != reference:
            _run(con, _query("quarantine_unknown_reference", table, reference), params | {"rule": rule})
    _run(con, _query("stage_drop_quarantined"), params)
    summary = FileSummary(table, source.label, digest.result(), rows_read=rows_read)
    if _run(con, _query("table_rows", table), params).fetchall()[0][0] == 0:
        _run(con, _query("insert_all", table), params)
        summary.inserted = con.execute("SELECT count(*) FROM stage").fetchall()[0][0]
    else:
        _run(con, _query("changes", table), params)
        staged, summary.inserted, summary.updated = _run(con, _query("change_counts"), params).fetchall()[0]
        summary.unchanged = staged - summary.inserted - summary.updated
        _run(con, _query("delete_changed", table), params)
        _run(con, _query("insert_changed", table), params)
        con.execute("DROP TABLE changes")
    summary.quarantined = _run(con, _query("quarantined_rows"), params).fetchall()[0][0]
    summary.quarantined_by_rule = dict(_run(con, _query("quarantine_counts"), params).fetchall())
    _run(con, _query("record_file"), params | {
        "file_name": summary.file_name, "sha256": summary.sha256, "rows_read": summary.rows_read,
        "rows_inserted": summary.inserted, "rows_updated": summary.updated,
        "rows_unchanged": summary.unchanged, "rows_quarantined": summary.quarantined,
    })
    con.execute("DROP TABLE stage")
    on_progress(1.0)
    return summary


def run_load(
    source_dir: str | Path,
    db_path: str | Path,
    mapping_path: str | Path | None = None,
    progress: bool = True,
) -> LoadSummary:
    """Validate and load one batch into ``db_path``; returns what each file did.

    Raises ``BatchRefused`` (database unchanged) for a batch that cannot be loaded as it is,
    ``daperf.db.LoadInProgress`` when another load holds the database, ``KeyFileError`` for an unusable
    pseudonymisation key file.
    """
    started = time.perf_counter()
    source_dir = Path(source_dir)
    planned, warnings = _plan(source_dir, Path(mapping_path) if mapping_path else None)
    key = load_key()
    started_at = now_local()
    # Sortable to the microsecond, so the newest batch is max(batch_id) even for loads in the same second.
    batch_id = f"{started_at:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
    params: dict[str, object] = {"batch_id": batch_id, "quarantined_at": started_at, "loaded_at": started_at}
    params |= parameters() | pseudonym_parameters(key)
    summaries: list[FileSummary] = []
    cleaned_up: list[str] = []
    display = _progress_display() if progress else nullcontext(None)
    # The audit's checksums are read beside the load (hashlib lets go of the GIL on large blocks).
    with ThreadPoolExecutor(max_workers=1) as hasher, display as bar, \
            atomic_write(db_path, on_cleanup=cleaned_up.extend) as con:
        digests = [hasher.submit(sha256, item.source.path) for item in planned]
        con.execute(_query("session"))
        for item, digest in zip(planned, digests):
            task = bar.add_task(item.source.label, total=1.0) if bar else None
            on_progress = (lambda f, t=task: bar.update(t, completed=f)) if bar else (lambda f: None)
            try:
                summaries.append(_load_file(con, item, digest, params, on_progress))
            except FileProblem as problem:  # found while reading (a bad byte deep in a file)
                raise BatchRefused([problem]) from problem
        _run(con, _query("record_batch"), params | {
            "source_dir": str(source_dir.resolve()), "started_at": started_at, "finished_at": now_local(),
            "message": "; ".join(warnings) or None,
        })
        build_marts(con)  # in the same atomic write: readers see the old marts or the new
    return LoadSummary(batch_id, str(source_dir), str(db_path), summaries, warnings, time.perf_counter() - started,
                       cleaned_up)


def _progress_display():
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeElapsedColumn(), transient=True)


def run_load_cli(source_dir: str | Path, db_path: str | Path, mapping_path: str | Path | None) -> int:
    """``daperf load``: load with a progress bar, print the summary table; 0 loaded, 1 refused or failed."""
    from rich.console import Console
    from rich.table import Table

    # Logs and CI are not terminals: give the summary table room rather than truncating its figures.
    console = Console() if sys.stdout.isatty() else Console(width=120)
    try:
        summary = run_load(source_dir, db_path, mapping_path, progress=True)
    except BatchRefused as refused:
        console.print(f"[bold red]{refused}[/]", highlight=False)
        return 1
    except (LoadInProgress, KeyFileError) as exc:
        console.print(f"[bold red]Not loaded: {exc}[/]", highlight=False)
        return 1
    table = Table(title=f"Batch {summary.batch_id} loaded into {summary.db_path} in {summary.seconds:.1f} s")
    table.add_column("file", no_wrap=True)
    for heading in ("read", "inserted", "updated", "unchanged", "quarantined"):
        table.add_column(heading, justify="right", no_wrap=True)
    for f in summary.files:
        table.add_row(f.file_name, f"{f.rows_read:,}", f"{f.inserted:,}", f"{f.updated:,}", f"{f.unchanged:,}",
                      f"{f.quarantined:,}")
    console.print(table)
    for f in summary.files:
        if f.quarantined_by_rule:
            rules = ", ".join(f"{rule} {count:,}" for rule, count in f.quarantined_by_rule.items())
            console.print(f"{f.file_name} quarantined by rule: {rules}", highlight=False)
    for warning in summary.warnings:
        console.print(f"[yellow]Warning: {warning}[/]", highlight=False)
    for leftover in summary.cleaned_up:
        console.print(f"Removed {leftover}, left by a load that did not finish.", highlight=False)
    return 0

"""Loading a batch: check every file's header, then stream each file through normalise -> pseudonymise ->
validate -> quarantine or stage -> upsert, all inside ``daperf.db.atomic_write``.

Order: reference tables first (divisions, csps, then the shipped offence codes and the batch's own), then
the extracts, so an extract's division and CSP codes are checked against this batch's reference tables
as well as those already loaded.

A refused batch (``BatchRefused``: an unreadable file, a missing required column, a column that looks like
personal data, a misnamed data file) writes nothing at all: not the data, not the audit tables; the reason
is printed and returned as a non-zero exit code. A loaded batch is recorded in ``load_batches`` and
``load_files``.
"""
from __future__ import annotations

import json
import re
import secrets
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from daperf.db import LoadInProgress, atomic_write
from daperf.sqlfiles import sql
from etl.errors import BatchRefused, FileProblem
from etl.mapping import ColumnMapping, load_mapping, resolve_columns
from etl.marts import build_marts
from etl.normalise import normalise
from etl.pseudonymise import KeyFileError, load_key, pseudonymise
from etl.read import SourceFile, discover, iter_chunks, read_header, sha256, shipped_offence_codes
from etl.schemas import TABLES, columns, now_local, person_id_columns, record_id, record_key
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

    def file(self, table: str) -> FileSummary:
        """The summary of the batch's own file for ``table`` (not the shipped offence codes)."""
        return next(f for f in reversed(self.files) if f.table == table)


@dataclass(frozen=True)
class _PlannedFile:
    source: SourceFile
    header: list[str]
    columns: dict[str, str]  # header name -> contract column


# The reference tables a row's codes must be found in: table -> (its key column, the quarantine rule).
REFERENCE_CODES = {"divisions": ("division_code", "unknown_division"), "csps": ("csp_code", "unknown_csp")}


def _query(name: str, table: str | None = None, reference: str | None = None) -> str:
    """SQL from sql/load; the only text put in is table and column names from ``TABLES`` and
    ``REFERENCE_CODES`` (never input)."""
    text = sql(f"load/{name}")
    if table is None:
        return text
    if table not in TABLES:
        raise ValueError(f"not a table: {table}")
    keys = record_key(table)

    def join(left: str, right: str) -> str:
        return " AND ".join(f"{left}.{k} = {right}.{k}" for k in keys)

    names = {
        "table": table, "key": record_id(table), "keys": ", ".join(keys),
        "new_keys": ", ".join(f"n.{k}" for k in keys), "stage_keys": ", ".join(f"s.{k}" for k in keys),
        "join_new_old": join("n", "o"), "join_table_changes": join("t", "c"),
        "join_stage_changes": join("s", "c"), "join_stage_last": join("s", "last_rows"),
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
    try:
        mapping = load_mapping(mapping_path)
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
            planned.append(_PlannedFile(source, header, resolve_columns(source.table, source.label, header, mapping)))
        except FileProblem as problem:
            problems.append(problem)
    if problems:
        raise BatchRefused(problems)
    return planned, found.warnings


def _row_json(raw: pd.DataFrame, typed: pd.DataFrame, rows: pd.Index, person_columns: list[str]) -> list[str]:
    """The quarantined rows as the force sent them (text cells), person ids replaced by pseudonyms."""
    sent = raw.loc[rows].copy()
    for column in person_columns:
        if column in sent:
            sent[column] = typed.loc[rows, column]
    sent = sent.astype(object).where(sent.notna(), None)
    return [json.dumps(record, ensure_ascii=False) for record in sent.to_dict(orient="records")]


def _stage_chunk(con: duckdb.DuckDBPyConnection, table: str, raw: pd.DataFrame, key: bytes,
                 params: dict[str, object]) -> None:
    """Type, pseudonymise and validate one chunk; quarantine its rows that break a rule, stage the rest."""
    typed, parse_failures = normalise(table, raw)
    person_columns = person_id_columns(table)
    for column in person_columns:
        typed[column] = pseudonymise(typed[column], key)
    failures = pd.concat([parse_failures, validate(table, typed)], ignore_index=True)
    if len(failures):
        # A cell that could not be read is null now; its "required" failure would say the same again.
        failures = failures.drop_duplicates(["row_number", "column_name"], keep="first")
        failures["row_number"] = failures["row_number"].astype("int64")
        bad_rows = pd.Index(failures["row_number"].unique())
        row_json = dict(zip(bad_rows, _row_json(raw, typed, bad_rows, person_columns)))
        failures["record_id"] = typed.loc[failures["row_number"], record_id(table)].to_numpy()
        failures["row_json"] = failures["row_number"].map(row_json)
        con.register("quarantined_chunk", failures)
        _run(con, _query("quarantine_insert"), params)
        con.unregister("quarantined_chunk")
        typed = typed.drop(index=bad_rows)
    # Registered as Arrow: DuckDB reads Arrow columns directly, pandas' text columns more slowly.
    staged = typed.assign(_row_number=typed.index.to_numpy())
    con.register("chunk", pa.Table.from_pandas(staged, preserve_index=False))
    con.execute(_query("stage_insert"))
    con.unregister("chunk")


def _load_file(
    con: duckdb.DuckDBPyConnection,
    planned: _PlannedFile,
    key: bytes,
    params: dict[str, object],
    on_progress,
) -> FileSummary:
    source = planned.source
    table = source.table
    summary = FileSummary(table, source.label, sha256(source.path))
    params = params | {"table_name": table, "source_file": source.label}
    con.execute(_query("stage_create", table))
    for raw_chunk, fraction in iter_chunks(source, planned.header):
        raw = raw_chunk[list(planned.columns)].rename(columns=planned.columns)
        summary.rows_read += len(raw)
        _stage_chunk(con, table, raw, key, params)
        on_progress(fraction)
    _run(con, _query("quarantine_duplicates", table), params)
    for reference, (code, rule) in REFERENCE_CODES.items():
        if code in columns(table) and table != reference:
            _run(con, _query("quarantine_unknown_reference", table, reference), params | {"rule": rule})
    _run(con, _query("stage_drop_quarantined"), params)
    _run(con, _query("changes", table), params)
    staged, summary.inserted, summary.updated = _run(con, _query("change_counts"), params).fetchone()
    summary.unchanged = staged - summary.inserted - summary.updated
    _run(con, _query("delete_changed", table), params)
    _run(con, _query("insert_changed", table), params)
    summary.quarantined = _run(con, _query("quarantined_rows"), params).fetchone()[0]
    summary.quarantined_by_rule = dict(_run(con, _query("quarantine_counts"), params).fetchall())
    _run(con, _query("record_file"), params | {
        "file_name": summary.file_name, "sha256": summary.sha256, "rows_read": summary.rows_read,
        "rows_inserted": summary.inserted, "rows_updated": summary.updated,
        "rows_unchanged": summary.unchanged, "rows_quarantined": summary.quarantined,
    })
    con.execute("DROP TABLE stage")
    con.execute("DROP TABLE changes")
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
    summaries: list[FileSummary] = []
    display = _progress_display() if progress else nullcontext(None)
    with display as bar, atomic_write(db_path) as con:
        con.execute(_query("session"))
        for item in planned:
            task = bar.add_task(item.source.label, total=1.0) if bar else None
            on_progress = (lambda f, t=task: bar.update(t, completed=f)) if bar else (lambda f: None)
            try:
                summaries.append(_load_file(con, item, key, params, on_progress))
            except FileProblem as problem:  # found while streaming (a bad byte deep in a file)
                raise BatchRefused([problem]) from problem
        _run(con, _query("record_batch"), params | {
            "source_dir": str(source_dir.resolve()), "started_at": started_at, "finished_at": now_local(),
            "message": "; ".join(warnings) or None,
        })
        build_marts(con)  # in the same atomic write: readers see the old marts or the new
    return LoadSummary(batch_id, str(source_dir), str(db_path), summaries, warnings, time.perf_counter() - started)


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
    return 0

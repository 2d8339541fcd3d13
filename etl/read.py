"""Finding a batch's files and reading them as text, in chunks, whatever their format.

Every cell arrives as a string (or null when empty) and ``etl.normalise`` gives it its type from the
schema, so CSV, Excel and Parquet are held to exactly the same rules. A CSV file is read by DuckDB itself
(``csv_source``: its parallel reader, every column as text, the dialect fixed rather than guessed), straight
into the typed staging table; Parquet streams by row groups and Excel row by row in openpyxl's read-only
mode, as text chunks, so memory stays flat however large the file.

A folder's files are matched to tables by name (``incidents.csv``). A data file (.csv, .xlsx, .parquet)
whose name is not a table refuses the batch (it is probably a misnamed extract, and loading without it
would silently lose data); any other file (a README, a mapping file, hidden files) is ignored with a
warning in the load summary.
"""
from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl.errors import FileProblem
from etl.schemas import TABLES
from reference.vocabulary import DATA_DIR

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
CHUNK_ROWS = 200_000
# The blocks DuckDB's CSV reader splits a file into, one per thread at a time (its own default).
CSV_BUFFER_BYTES = 32 << 20
SHIPPED_OFFENCE_CODES = DATA_DIR / "offence_codes.csv"


@dataclass(frozen=True)
class SourceFile:
    table: str
    path: Path
    format: str
    label: str  # what the summary, the audit and the quarantine call it


@dataclass(frozen=True)
class Discovery:
    files: list[SourceFile]
    warnings: list[str]
    problems: list[FileProblem]


def discover(source_dir: Path) -> Discovery:
    """The batch's files in load order (reference tables first), with warnings and refusals."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        problem = FileProblem(str(source_dir), "is not a folder", "give the folder that holds the batch's files")
        return Discovery([], [], [problem])
    by_table: dict[str, list[Path]] = {}
    warnings: list[str] = []
    problems: list[FileProblem] = []
    for path in sorted(source_dir.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        fmt = FORMATS.get(path.suffix.lower())
        table = path.stem.strip().lower()
        if fmt is None:
            warnings.append(f"{path.name}: ignored (not a .csv, .xlsx or .parquet extract)")
        elif table not in TABLES:
            problems.append(FileProblem(
                path.name, "is not named after a table",
                f"rename it to one of {', '.join(t + path.suffix.lower() for t in TABLES)}, or move it out of the folder",
            ))
        else:
            by_table.setdefault(table, []).append(path)
    files = []
    for table in TABLES:  # TABLES is in load order
        paths = by_table.get(table, [])
        if len(paths) > 1:
            problems.append(FileProblem(
                ", ".join(p.name for p in paths), f"are all extracts of {table}",
                "keep one file per table in a batch",
            ))
        elif paths:
            files.append(SourceFile(table, paths[0], FORMATS[paths[0].suffix.lower()], paths[0].name))
    if not files and not problems:
        problems.append(FileProblem(
            str(source_dir), "holds no extract files",
            f"put files named after their tables ({', '.join(TABLES)}) with .csv, .xlsx or .parquet in it",
        ))
    return Discovery(files, warnings, problems)


def shipped_offence_codes() -> SourceFile:
    return SourceFile("offence_codes", SHIPPED_OFFENCE_CODES, "csv", "offence_codes.csv (daperf)")


# --- headers --------------------------------------------------------------------------------------


def read_header(src: SourceFile) -> list[str]:
    """The file's column names as written (refuses unreadable and empty files)."""
    try:
        if src.format == "csv":
            return _csv_header(src)
        if src.format == "parquet":
            return list(_open_parquet(src).schema_arrow.names)
        return _xlsx_header(src)
    except FileProblem:
        raise
    except OSError as exc:
        raise FileProblem(src.label, f"cannot be opened ({exc.strerror or exc})", "check the file's permissions") from exc


def _csv_header(src: SourceFile) -> list[str]:
    if src.path.stat().st_size == 0:
        raise FileProblem(src.label, "is empty", "export it again with a header row and the records")
    try:
        with open(src.path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise _not_utf8(src) from exc
    except csv.Error as exc:
        raise FileProblem(src.label, f"is not a readable CSV ({exc})", "export it as comma-separated UTF-8 CSV") from exc
    if not header or all(not cell.strip() for cell in header):
        raise FileProblem(src.label, "is empty (no header row)", "export it again with a header row and the records")
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        raise FileProblem(
            src.label, "is not comma-separated (the header is one column holding ';', tab or '|')",
            "export it as comma-separated CSV",
        )
    return header


def _not_utf8(src: SourceFile) -> FileProblem:
    return FileProblem(
        src.label, "is not UTF-8 text (wrong encoding, or not a CSV file at all)",
        "export it as CSV UTF-8 (in Excel: Save As > CSV UTF-8)",
    )


def _open_parquet(src: SourceFile) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(src.path)
    except (pa.ArrowException, OSError) as exc:
        raise FileProblem(src.label, "is not a readable Parquet file", "export it again as Parquet, or as CSV") from exc


def _open_workbook(src: SourceFile):
    import openpyxl  # only needed for Excel batches

    try:
        workbook = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for a bad file
        raise FileProblem(src.label, "is not a readable Excel workbook (.xlsx)", "save it again as .xlsx, or as CSV") from exc
    sheet = workbook[src.table] if src.table in workbook.sheetnames else workbook.worksheets[0]
    return workbook, sheet


def _xlsx_header(src: SourceFile) -> list[str]:
    workbook, sheet = _open_workbook(src)
    try:
        first = next(sheet.iter_rows(values_only=True, max_row=1), None)
    finally:
        workbook.close()
    header = [_cell_text(value) or "" for value in first or ()]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileProblem(src.label, "is empty (no header row)", "put the column names in the first row of the first sheet")
    return header


# --- chunks ---------------------------------------------------------------------------------------


def iter_chunks(src: SourceFile, header: list[str]) -> Iterator[tuple[pd.DataFrame, float]]:
    """(chunk, fraction of the file read) pairs; a chunk's columns are ``header``, its cells strings or
    null, its index the 1-based row number in the file (header excluded; wholly blank lines, which
    are skipped, are not counted)."""
    readers = {"parquet": _parquet_chunks, "xlsx": _xlsx_chunks}  # a CSV file is read by csv_source
    first_row = 1
    for chunk, fraction in readers[src.format](src, header):
        chunk.index = pd.RangeIndex(first_row, first_row + len(chunk), name="row_number")
        first_row += len(chunk)
        yield chunk, fraction


def csv_source(src: SourceFile, header: list[str]) -> tuple[str, dict[str, object]]:
    """A DuckDB ``read_csv`` of the whole file, its columns named ``c0``, ``c1``… in header order and read
    as text (empty cells null), with the parameters it binds; blank lines are skipped, not counted."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
    call = ("read_csv($csv_path, columns = $csv_columns, header = true, delim = ',', quote = '\"', "
            "escape = '\"', auto_detect = false, strict_mode = true, encoding = 'utf-8', "
            "buffer_size = $csv_buffer_bytes)")
    return call, {"csv_path": str(src.path), "csv_columns": columns, "csv_buffer_bytes": CSV_BUFFER_BYTES}


def csv_problem(src: SourceFile, exc: Exception) -> FileProblem:
    """What DuckDB's reader found wrong with a CSV file, without the row it quotes (it may hold person ids)."""
    text = str(exc)
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return _not_utf8(src)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    detail = f"line {line.group(1)}" if line else "malformed"
    if fields:
        detail += f": {fields.group(2)} fields where the header has {fields.group(1)}"
    elif "unterminated quote" in text:
        detail += ": a quote is opened and not closed"
    return FileProblem(
        src.label, f"is not a well-formed CSV ({detail})",
        "check that every row has as many comma-separated fields as the header and quotes are balanced",
    )


def _parquet_chunks(src: SourceFile, header: list[str]) -> Iterator[tuple[pd.DataFrame, float]]:
    parquet = _open_parquet(src)
    total = max(parquet.metadata.num_rows, 1)
    done = 0
    for batch in parquet.iter_batches(batch_size=CHUNK_ROWS):
        done += batch.num_rows
        text = pa.table({name: _arrow_text(batch.column(i)) for i, name in enumerate(header)})
        yield text.to_pandas(), done / total


def _arrow_text(column: pa.Array) -> pa.Array:
    """A typed Parquet column as the text a CSV would hold, so both meet the same rules."""
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        # ISO 8601 with its offset; etl.normalise turns it into Europe/London local time.
        utc = pc.cast(column, pa.timestamp("us", tz="UTC"))
        return pc.strftime(utc, format="%Y-%m-%dT%H:%M:%S+00:00")
    if pa.types.is_timestamp(column.type):
        return pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
    if pa.types.is_floating(column.type):
        # 3.0 (an integer column with nulls, as pandas writes it) reads as "3"
        return pa.array([_cell_text(v) for v in column.to_pylist()], type=pa.string())
    return pc.cast(column, pa.string())


def _xlsx_chunks(src: SourceFile, header: list[str]) -> Iterator[tuple[pd.DataFrame, float]]:
    workbook, sheet = _open_workbook(src)
    width = len(header)
    total = max((sheet.max_row or 2) - 1, 1)
    try:
        rows: list[list[str | None]] = []
        done = 0
        for values in sheet.iter_rows(min_row=2, values_only=True):
            cells = [_cell_text(v) for v in values]
            if any(cells[width:]):
                raise FileProblem(
                    src.label, f"has a value beyond the last named column in row {done + len(rows) + 1}",
                    "give every column a header, or delete the stray cells",
                )
            cells = (cells + [None] * width)[:width]
            if any(c is not None for c in cells):
                rows.append(cells)
            if len(rows) == CHUNK_ROWS:
                done += len(rows)
                yield _text_frame(rows, header), min(done / total, 1.0)
                rows = []
        if rows or done == 0:
            yield _text_frame(rows, header), 1.0
    finally:
        workbook.close()


def _text_frame(rows: list[list[str | None]], header: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header, dtype="str")


def _cell_text(value: object) -> str | None:
    """An Excel or Parquet cell value as the text a CSV would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

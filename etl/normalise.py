"""Text cells to typed columns, as each column's schema field says: one SQL projection, so DuckDB types a
whole file in parallel as it reads it (``typed_select``), and ``normalise`` does the same for a pandas frame.

Datetimes: ISO 8601; a time with an offset (``+01:00``, ``Z``) is converted to Europe/London local time,
a naive one is already local; the database holds naive local time. Dates: ``YYYY-MM-DD``. Booleans:
true/false, yes/no, y/n, 1/0. Whole numbers: ``3`` or ``3.0``, not ``2.5``. Published numbers
(``statistic``): ``1,234`` and ``34.8%`` (0.348); a statistical mark is unknown. Enumerations:
case-insensitive, with the common spellings of ``etl.schemas.ENUM_SYNONYMS`` mapped to their code, once per
distinct value (``map_enums``); a value that is no code is left as written so the schema's check reports
it. Person ids are pseudonymised in the same projection (``etl.pseudonymise``). Empty or blank cells are
null.

A cell that cannot be read as its type becomes null and its text is kept in the row's ``_unreadable``
(a JSON object, column -> text, null when every cell was read); ``parse_failures`` reports each as
``invalid_datetime``, ``invalid_date``, ``invalid_boolean``, ``invalid_integer`` or ``invalid_number``, which
quarantines its row.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Iterator

import duckdb
import pandas as pd
import pyarrow as pa

from daperf.sqlfiles import sql
from etl.pseudonymise import pseudonym_sql
from etl.schemas import BOOLEAN_SPELLINGS, ENUM_SYNONYMS, ENUMS, TABLES, schema

OFFSET = r"(?:\d[Zz]|[+-]\d{2}:?\d{2})$"
FAILURE_COLUMNS = ["row_number", "column_name", "rule", "message"]
UNREADABLE = "_unreadable"
# What str.strip() removes: every Unicode whitespace character (each at most U+0020 or at least U+0085).
WHITESPACE = "".join(ch for ch in map(chr, range(0x110000)) if ch.isspace())
assert all(ord(ch) <= 32 or ord(ch) >= 133 for ch in WHITESPACE)

# What published tables write in place of a number they withhold or do not have (the Government Statistical
# Service's [c] [x] [z] [low], older tables' "..", ":", "-", "*", and this product's own "<5"): unknown, not
# an error. A mark after a number ("12.3 [u]", low reliability) qualifies it and is dropped.
_MARK = re.compile(r"^(\[[a-z]+\]|\.\.|:|-|–|\*|<\s*\d+|n/?a)$", re.IGNORECASE)
_TRAILING_MARK = re.compile(r"\s*\[[a-z]+\]$", re.IGNORECASE)


def enum_key(value: str) -> str:
    """The form enumeration values are compared in: "Children's Social Care" -> childrens_social_care."""
    value = value.lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^0-9a-z]+", "_", value).strip("_")


def _enum_lookup(enum: str) -> dict[str, str | None]:
    lookup: dict[str, str | None] = {enum_key(code): code for code in ENUMS[enum]}
    lookup.update({enum_key(spelling): code for spelling, code in ENUM_SYNONYMS.get(enum, {}).items()})
    return lookup


@dataclass(frozen=True)
class Reading:
    """How a column's text is read: its kind, and for a kind that can fail the rule and what was expected."""

    kind: str  # text, enum, person, boolean, integer, datetime, date, statistic
    rule: str | None = None
    expected: str | None = None


READINGS = {
    "datetime": Reading("datetime", "invalid_datetime",
                        "an ISO 8601 datetime such as 2025-03-14T22:41:00 (offset optional)"),
    "date": Reading("date", "invalid_date", "a date YYYY-MM-DD"),
    "boolean": Reading("boolean", "invalid_boolean", "true/false, yes/no, y/n or 1/0"),
    "integer": Reading("integer", "invalid_integer", "a whole number"),
    "statistic": Reading("statistic", "invalid_number",
                         "a number (1,234, 0.348 or 34.8%; [x], [c] or <5 for a withheld one)"),
}


@cache
def readings(table: str) -> dict[str, Reading]:
    """Each contract column's reading, in contract order, from its schema field."""
    found = {}
    for name, column in schema(table).columns.items():
        meta = column.metadata or {}
        dtype = str(column.dtype)
        if meta.get("enum"):
            kind = "enum"
        elif meta.get("person_id"):
            kind = "person"
        elif dtype.startswith("datetime64"):
            kind = "date" if meta.get("date") else "datetime"
        elif dtype == "boolean":
            kind = "boolean"
        elif dtype == "Int64":
            kind = "integer"
        elif meta.get("statistic"):
            kind = "statistic"
        else:
            kind = "text"
        found[name] = READINGS.get(kind, Reading(kind))
    return found


def parameters() -> dict[str, object]:
    """The constants ``typed_select`` binds (the pseudonymisation pads are the caller's)."""
    spellings = {f"boolean_{i}": spelling for i, spelling in enumerate(BOOLEAN_SPELLINGS)}
    return {"whitespace": WHITESPACE, "offset": OFFSET, "mark": _MARK.pattern,
            "trailing_mark": _TRAILING_MARK.pattern} | spellings


def _spellings(value: bool) -> str:
    """The bound spellings of a boolean value, for an IN list."""
    return ", ".join(f"$boolean_{i}" for i, (_, v) in enumerate(BOOLEAN_SPELLINGS.items()) if v is value)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _typed(reading: Reading, text: str, pseudonymise: bool) -> str:
    """The SQL giving a column's typed value from its trimmed text ``text`` (null when unreadable)."""
    kind = reading.kind
    if kind == "person":
        return pseudonym_sql(text) if pseudonymise else text
    if kind == "boolean":
        return (f"CASE WHEN lower({text}) IN ({_spellings(True)}) THEN true "
                f"WHEN lower({text}) IN ({_spellings(False)}) THEN false END")
    if kind == "integer":
        number = f"TRY_CAST({text} AS DOUBLE)"
        return f"CASE WHEN {number} = trunc({number}) THEN coalesce(TRY_CAST({text} AS BIGINT), TRY_CAST({number} AS BIGINT)) END"
    if kind in ("datetime", "date"):
        moment = (f"CASE WHEN regexp_matches({text}, $offset) "
                  f"THEN timezone('Europe/London', TRY_CAST({text} AS TIMESTAMPTZ)) "
                  f"ELSE TRY_CAST({text} AS TIMESTAMP) END")
        return f"date_trunc('day', {moment})" if kind == "date" else moment
    if kind == "statistic":
        bare = f"trim(regexp_replace({text}, $trailing_mark, '', 'i'), $whitespace)"
        number = f"TRY_CAST(trim(replace(rtrim({bare}, '%'), ',', ''), $whitespace) AS DOUBLE)"
        return (f"CASE WHEN {bare} = '' OR regexp_full_match({bare}, $mark, 'i') THEN NULL "
                f"ELSE {number} / CASE WHEN suffix({bare}, '%') THEN 100.0 ELSE 1.0 END END")
    return text  # text and enumerations: the trimmed text (enumerations are mapped by map_enums)


def _unreadable(reading: Reading, text: str, typed: str) -> str | None:
    """The SQL saying a cell's text could not be read as its type (None for kinds that always read)."""
    if reading.rule is None:
        return None
    condition = f"{text} IS NOT NULL AND {typed} IS NULL"
    if reading.kind == "statistic":  # a mark reads as unknown
        bare = f"trim(regexp_replace({text}, $trailing_mark, '', 'i'), $whitespace)"
        condition += f" AND NOT ({bare} = '' OR regexp_full_match({bare}, $mark, 'i'))"
    return condition


def typed_select(table: str, raw: dict[str, str], source: str, *, pseudonymise: bool) -> str:
    """SELECT turning text into the table's typed contract columns (in contract order) and ``_unreadable``.
    Its rows come out in ``source``'s order when DuckDB is told to keep it (``sql/load/file_order.sql``).

    ``raw``: contract column -> SQL giving its text in ``source`` (a column, or a bound constant); columns
    not in it are null. The text is trimmed (upper-cased where the field says) before it is read.
    """
    columns = readings(table)
    text_columns = []
    for name in columns:
        meta = schema(table).columns[name].metadata or {}
        cell = f"CAST({raw.get(name, 'NULL')} AS VARCHAR)"
        # Trimming costs more than looking at both ends first: every whitespace character is at most U+0020
        # or at least U+0085, and most cells begin and end with neither.
        ends = f"ord({cell}) <= 32 OR ord({cell}) >= 133 OR ord({cell}[-1]) <= 32 OR ord({cell}[-1]) >= 133"
        text = f"CASE WHEN {ends} THEN nullif(trim({cell}, $whitespace), '') ELSE {cell} END"
        if meta.get("upper"):
            text = f"upper({text})"
        text_columns.append(f"{text} AS {_ident('_text_' + name)}")
    typed_columns, checks = [], []
    for name, reading in columns.items():
        text = _ident("_text_" + name)
        typed_columns.append(f"{_typed(reading, text, pseudonymise)} AS {_ident(name)}")
        condition = _unreadable(reading, text, _ident(name))
        if condition:
            checks.append((name, text, condition))
    unreadable = "CAST(NULL AS VARCHAR)"
    if checks:
        any_failed = " OR ".join(f"({condition})" for _, _, condition in checks)
        pairs = ", ".join(f"'{name}', CASE WHEN {condition} THEN {text} END" for name, text, condition in checks)
        # json_merge_patch drops the null members: the object names the unreadable cells only.
        unreadable = f"CASE WHEN {any_failed} THEN json_merge_patch('{{}}', json_object({pairs})) END"
    return (
        f"SELECT {', '.join(_ident(name) for name in columns)}, {unreadable} AS {UNREADABLE} "
        f"FROM (SELECT *, {', '.join(typed_columns)} "
        f"FROM (SELECT {', '.join(text_columns)} FROM {source}))"
    )


def map_enums(con: duckdb.DuckDBPyConnection, table: str, stage: str = "stage") -> None:
    """Replace each spelling of an enumeration in ``stage`` by its code, once per distinct value; a value
    that is no code stays as written (for the schema's check to report)."""
    enums = {name: schema(table).columns[name].metadata["enum"]
             for name, reading in readings(table).items() if reading.kind == "enum"}
    if not enums:
        return
    params = {f"codes_{i}": list(ENUMS[enum]) for i, enum in enumerate(enums.values())}
    query = " UNION ALL ".join(
        f"SELECT {i} AS position, {_ident(name)} AS value FROM {stage} "
        f"WHERE {_ident(name)} IS NOT NULL AND NOT list_contains($codes_{i}, {_ident(name)}) GROUP BY ALL"
        for i, name in enumerate(enums)
    )
    spelled: dict[str, dict[str, str | None]] = {}
    names = list(enums)
    for position, value in con.execute(query, params).fetchall():
        name = names[position]
        code = _enum_lookup(enums[name]).get(enum_key(value), value)
        if code != value:
            spelled.setdefault(name, {})[value] = code
    for name, codes in spelled.items():
        column = _ident(name)
        con.execute(f"UPDATE {stage} SET {column} = $codes[list_position($spellings, {column})] "
                    f"WHERE list_contains($spellings, {column})",
                    {"spellings": list(codes), "codes": list(codes.values())})


def derive(con: duckdb.DuckDBPyConnection, table: str, stage: str = "stage") -> None:
    """Fill the columns a table's ``derive`` fills from others (on the staged rows, in pandas: for the small
    reference tables that have one)."""
    fill = TABLES[table].derive
    if fill is None:
        return
    names = list(readings(table))
    frame = con.execute(f"SELECT rowid AS _position, * EXCLUDE ({UNREADABLE}) FROM {stage}").df()
    frame = fill(frame.set_index("_position")[names]).reset_index(names="_position")
    con.register("derived_rows", frame)
    try:
        assignments = ", ".join(f"{_ident(n)} = d.{_ident(n)}" for n in names)
        con.execute(f"UPDATE {stage} SET {assignments} FROM derived_rows AS d WHERE {stage}.rowid = d._position")
    finally:
        con.unregister("derived_rows")


def parse_failures(con: duckdb.DuckDBPyConnection, table: str, stage: str = "stage",
                   first_row: int = 1) -> pd.DataFrame:
    """The cells of ``stage`` that could not be read: ``FAILURE_COLUMNS``, row numbers counted from
    ``first_row`` for the stage's first row."""
    columns = readings(table)
    entries = []
    rows = con.execute(f"SELECT rowid + $first_row, {UNREADABLE} FROM {stage} WHERE {UNREADABLE} IS NOT NULL "
                       f"ORDER BY rowid", {"first_row": first_row}).fetchall()
    for row_number, cells in rows:
        for name, value in json.loads(cells).items():
            reading = columns[name]
            shown = "the value" if reading.kind == "person" else repr(value)
            entries.append((row_number, name, reading.rule, f"{name} {shown} is not {reading.expected}"))
    return pd.DataFrame(entries, columns=FAILURE_COLUMNS).astype({"row_number": "int64"})


_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def frames(con: duckdb.DuckDBPyConnection, table: str, rows: int, stage: str = "stage",
           first_row: int = 1) -> Iterator[pd.DataFrame]:
    """The staged rows as pandas frames of at most ``rows`` rows, typed as the schema's fields are (text
    as Arrow-backed strings, whole numbers Int64, dates as datetimes), indexed by row number."""
    selected = []
    for name, reading in readings(table).items():
        column = _ident(name)
        selected.append(f"CAST({column} AS TIMESTAMP) AS {column}" if reading.kind == "date" else column)
    query = f"SELECT rowid + $first_row AS row_number, {', '.join(selected)} FROM {stage}"
    reader = con.sql(query, params={"first_row": first_row}).to_arrow_reader(rows)
    for batch in reader:
        frame = batch.to_pandas(types_mapper=_PANDAS_TYPES.get)
        yield frame.set_index("row_number")


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=str(column.dtype)) for name, column in schema(table).columns.items()})


def _bound(query: str, values: dict[str, object]) -> dict[str, object]:
    """The values a statement names (DuckDB refuses others)."""
    return {k: v for k, v in values.items() if f"${k}" in query}


def normalise(table: str, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(typed frame in contract column order, parse failures) for a frame of text cells; person ids are
    left as they are (the load pseudonymises them as it types them).

    ``raw`` has contract column names (any subset holding the required ones) and row numbers as index.
    """
    con = duckdb.connect(":memory:")
    try:
        text = raw.reset_index(drop=True).astype("str")
        text.columns = [f"c{i}" for i in range(len(raw.columns))]
        con.register("raw_text", text)
        cells = {name: _ident(f"c{i}") for i, name in enumerate(raw.columns)}
        con.execute(sql("load/file_order"))
        query = f"CREATE TEMP TABLE stage AS {typed_select(table, cells, 'raw_text', pseudonymise=False)}"
        con.execute(query, _bound(query, parameters()))
        map_enums(con, table)
        derive(con, table)
        failures = parse_failures(con, table, first_row=0)
        frame = pd.concat(list(frames(con, table, rows=max(len(raw), 1), first_row=0)) or [_empty(table)])
    finally:
        con.close()
    # Positions back to the caller's row numbers.
    frame.index = raw.index[frame.index.to_numpy()]
    failures["row_number"] = raw.index.to_numpy()[failures["row_number"].to_numpy()]
    return frame, failures

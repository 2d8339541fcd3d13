"""Text cells to typed columns, as each column's schema field says.

Datetimes: ISO 8601; a time with an offset (``+01:00``, ``Z``) is converted to Europe/London local time,
a naive one is already local; the database holds naive local time. Dates: ``YYYY-MM-DD``. Booleans:
true/false, yes/no, y/n, 1/0. Enumerations: case-insensitive, with the common spellings of
``etl.schemas.ENUM_SYNONYMS`` mapped to their code; a value that is no code is left as written so the
schema's check reports it. Empty or blank cells are null.

A cell that cannot be read as its type becomes null and is reported as a parse failure
(``invalid_datetime``, ``invalid_date``, ``invalid_boolean``, ``invalid_integer``), which quarantines its row.
Work on repeated values (codes, flags) is done once per distinct value.
"""
from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from etl.schemas import BOOLEAN_SPELLINGS, ENUM_SYNONYMS, ENUMS, schema

OFFSET = r"(?:\d[Zz]|[+-]\d{2}:?\d{2})$"
FAILURE_COLUMNS = ["row_number", "column_name", "rule", "message"]
_MISSING = object()


def enum_key(value: str) -> str:
    """The form enumeration values are compared in: "Children's Social Care" -> childrens_social_care."""
    value = value.lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^0-9a-z]+", "_", value).strip("_")


def _enum_lookup(enum: str) -> dict[str, str | None]:
    lookup: dict[str, str | None] = {enum_key(code): code for code in ENUMS[enum]}
    lookup.update({enum_key(spelling): code for spelling, code in ENUM_SYNONYMS.get(enum, {}).items()})
    return lookup


_ENUM_LOOKUPS = {enum: _enum_lookup(enum) for enum in ENUMS}


def _map_distinct(
    values: pd.Series, convert: Callable[[str], object], dtype: str
) -> tuple[pd.Series, pd.Series]:
    """``convert`` applied once per distinct non-null value; ``_MISSING`` marks a value it cannot read."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    converted = [convert(v) for v in distinct.tolist()]
    ok = np.array([c is not _MISSING for c in converted] + [True], dtype=bool)
    cleaned = pd.array([None if c is _MISSING else c for c in converted] + [None], dtype=dtype)
    return pd.Series(cleaned.take(codes), index=values.index, dtype=dtype), pd.Series(ok[codes], index=values.index)


def _text(values: pd.Series, upper: bool) -> pd.Series:
    values = values.astype("str").str.strip()
    if upper:
        values = values.str.upper()
    return values.mask(values == "")


def _enum(values: pd.Series, enum: str) -> pd.Series:
    lookup = _ENUM_LOOKUPS[enum]
    # A value that is no code stays as written for the schema's isin check to report.
    cleaned, _ = _map_distinct(values, lambda v: lookup.get(enum_key(v), v), "str")
    return cleaned


def _boolean(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    return _map_distinct(values, lambda v: BOOLEAN_SPELLINGS.get(v.lower(), _MISSING), "boolean")


def _integer(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    try:  # fast path: Arrow parses a column of plain integers in one go
        numbers = pa.array(values).cast(pa.int64()).to_pandas()
        return pd.Series(numbers.to_numpy(), index=values.index).astype("Int64"), pd.Series(True, index=values.index)
    except pa.ArrowInvalid:
        pass
    numbers = pd.to_numeric(values, errors="coerce")
    whole = numbers.isna() | (numbers == np.floor(numbers))
    readable = values.isna() | (numbers.notna() & whole)
    return numbers.where(readable).astype("Int64"), readable


def _datetime(values: pd.Series, date_only: bool) -> tuple[pd.Series, pd.Series]:
    try:  # fast path: Arrow parses a column of naive ISO 8601 values in one go, or refuses the column
        naive = pa.array(values).cast(pa.timestamp("us")).to_pandas()
        moments = pd.Series(naive.to_numpy(), index=values.index, dtype="datetime64[us]")
        return (moments.dt.normalize() if date_only else moments), pd.Series(True, index=values.index)
    except pa.ArrowInvalid:
        pass  # offsets, or a value that is no datetime: value by value below
    with_offset = values.str.contains(OFFSET, regex=True).fillna(False).astype(bool)
    moments = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    naive = with_offset.eq(False) & values.notna()
    if naive.any():
        moments[naive] = pd.to_datetime(values[naive], format="ISO8601", errors="coerce").astype("datetime64[us]")
    if with_offset.any():
        aware = pd.to_datetime(values[with_offset], format="ISO8601", errors="coerce", utc=True)
        moments[with_offset] = aware.dt.tz_convert("Europe/London").dt.tz_localize(None).astype("datetime64[us]")
    if date_only:
        moments = moments.dt.normalize()
    return moments, values.isna() | moments.notna()


def normalise(table: str, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(typed frame in contract column order, parse failures) for a chunk of text cells.

    ``raw`` has contract column names (any subset holding the required ones) and row numbers as index.
    """
    typed: dict[str, pd.Series] = {}
    failures: list[pd.DataFrame] = []
    for name, column in schema(table).columns.items():
        meta = column.metadata or {}
        if name not in raw:
            values = pd.Series(pd.NA, index=raw.index, dtype="str")
        else:
            values = _text(raw[name], upper=bool(meta.get("upper")))
        dtype = str(column.dtype)
        readable = None
        if meta.get("enum"):
            typed[name] = _enum(values, meta["enum"])
        elif dtype.startswith("datetime64"):
            typed[name], readable = _datetime(values, date_only=bool(meta.get("date")))
            rule, expected = (
                ("invalid_date", "a date YYYY-MM-DD") if meta.get("date")
                else ("invalid_datetime", "an ISO 8601 datetime such as 2025-03-14T22:41:00 (offset optional)")
            )
        elif dtype == "boolean":
            typed[name], readable = _boolean(values)
            rule, expected = "invalid_boolean", "true/false, yes/no, y/n or 1/0"
        elif dtype == "Int64":
            typed[name], readable = _integer(values)
            rule, expected = "invalid_integer", "a whole number"
        else:
            typed[name] = values
        if readable is not None and not readable.all():
            bad = values[~readable]
            shown = (lambda v: "the value") if meta.get("person_id") else repr
            failures.append(pd.DataFrame({
                "row_number": bad.index.to_numpy(),
                "column_name": name,
                "rule": rule,
                "message": [f"{name} {shown(v)} is not {expected}" for v in bad],
            }))
    frame = pd.DataFrame(typed, index=raw.index)
    found = pd.concat(failures, ignore_index=True) if failures else pd.DataFrame(columns=FAILURE_COLUMNS)
    return frame, found

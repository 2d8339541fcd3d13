"""Running a table's pandera schema on a typed chunk and turning its failures into quarantine entries.

The schema is the single home of the rules; this module only translates pandera's failure cases into the
quarantine's vocabulary: a short machine name for the rule, the column it blames and a message saying
what is wrong and how to fix it. Person ids never appear in a message.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from etl.normalise import FAILURE_COLUMNS
from etl.schemas import ENUMS, RULE_COLUMN, schema

# pandera's built-in check names -> the quarantine's rule names.
BUILTIN_RULES = {
    "not_nullable": "required_missing",
    "isin": "unknown_code",
    "str_matches": "bad_format",
    "greater_than_or_equal_to": "out_of_range",
    "less_than_or_equal_to": "out_of_range",
    "in_range": "out_of_range",
}


def _column_message(table: str, column: str, rule: str, value: object) -> str:
    meta = schema(table).columns[column].metadata or {}
    shown = "" if meta.get("person_id") else f" {value!r}"
    if rule == "required_missing":
        return f"{column} is required but empty: fill it in"
    if rule == "unknown_code":
        return f"{column}{shown} is not one of the codes {', '.join(ENUMS[meta['enum']])}: use one of them"
    if rule == "bad_format":
        return f"{column}{shown} is not an ONS code (a letter E or W and eight digits, e.g. E23000028)"
    if rule == "out_of_range":
        return f"{column}{shown} is out of range ({_range_text(table, column)})"
    if rule == "date_in_future":
        return f"{column}{shown} is in the future: check the date"
    return f"{column}{shown} breaks rule {rule}"


def _range_text(table: str, column: str) -> str:
    bounds = {check.name: next(iter(check.statistics.values())) for check in schema(table).columns[column].checks}
    low, high = bounds.get("greater_than_or_equal_to"), bounds.get("less_than_or_equal_to")
    return f"{low}–{high}" if high is not None else f"at least {low}"


def validate(table: str, typed: pd.DataFrame) -> pd.DataFrame:
    """The rule failures of a chunk, one row per (row, rule, column): ``FAILURE_COLUMNS``."""
    table_schema = schema(table)
    try:
        table_schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    if cases["index"].isna().any():
        # Not a row's fault (a column or dtype problem): the reader should have made that impossible.
        raise RuntimeError(f"{table}: schema failure not tied to a row:\n{cases[cases['index'].isna()]}")
    entries = []
    for context, column, check_number, value, row in cases[
        ["schema_context", "column", "check_number", "failure_case", "index"]
    ].itertuples(index=False):
        if context == "DataFrameSchema":
            check = table_schema.checks[int(check_number)]
            entries.append((row, RULE_COLUMN[check.name], check.name, check.error))
            continue
        checks = table_schema.columns[column].checks
        name = "not_nullable" if pd.isna(check_number) else checks[int(check_number)].name
        rule = BUILTIN_RULES.get(name, name)
        entries.append((row, column, rule, _column_message(table, column, rule, value)))
    # A dataframe check reports its failing row once per column: keep one entry per row and rule.
    found = pd.DataFrame(entries, columns=FAILURE_COLUMNS).drop_duplicates(["row_number", "rule", "column_name"])
    found["row_number"] = found["row_number"].astype("int64")
    return found.reset_index(drop=True)

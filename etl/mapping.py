"""From a file's header to the contract's column names, and the checks made on headers alone.

Names are matched case-insensitively after trimming (and with spaces or hyphens read as underscores, so
``Incident ID`` is ``incident_id``). A force whose system exports other names supplies a mapping file:

    [incidents]
    "Occurrence Ref" = "incident_id"
    "Officer Collar" = ""            # an extra column the force knows about: dropped, never loaded

A published table (a comparator table: docs/COMPARATORS.md) gives some columns once, in its title, not on
every row; the mapping gives them as values for every row of the file:

    [comparators.values]
    metric_id = "crimes_per_1000"
    period_from = "2024-04-01"
    period_to = "2025-03-31"
    source = "ONS, Domestic abuse and the criminal justice system, November 2025"

Refused here, before anything is read: a column that looks like personal data (a name, address, date of
birth, postcode or free text), a required column missing, a column the contract does not know (it could
hold anything; map it to "" to drop it knowingly), and two columns giving the same contract column.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from etl.errors import FileProblem
from etl.schemas import TABLES, columns, required_columns

ColumnMapping = dict[str, dict[str, str]]  # table -> header key -> contract column ("" = drop)
Constants = dict[str, dict[str, str]]  # table -> contract column -> its text on every row
CONSTANTS = "values"  # the sub-table of a section giving constants: [comparators.values]

# What personal data looks like in a column name, with what it is called in the refusal.
PII_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"name"), "a name"),
    (re.compile(r"address|(^|_)addr($|_)"), "an address"),
    (re.compile(r"(^|_)dob($|_)|d_o_b|birth"), "a date of birth"),
    (re.compile(r"post_?code|zip_?code"), "a postcode"),
    (re.compile(r"narrative|free_?text|(^|_)notes?($|_)|comment|description|(^|_)details?($|_)"), "free text"),
]


def header_key(name: str) -> str:
    """How a header is compared: trimmed, lower case, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())


def _read_mapping_file(path: Path) -> tuple[str, dict]:
    """The mapping file's name (for messages) and its TOML."""
    label = Path(path).name
    try:
        return label, tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FileProblem(label, f"is not a readable TOML mapping file ({exc})",
                          'write it as TOML: [incidents] "Occurrence Ref" = "incident_id"') from exc


def load_mapping(path: Path | None) -> ColumnMapping:
    if path is None:
        return {}
    label, raw = _read_mapping_file(path)
    mapping: ColumnMapping = {}
    for table, pairs in raw.items():
        if table not in TABLES or not isinstance(pairs, dict):
            raise FileProblem(label, f"has a section [{table}] that is not a table",
                              f"use sections named after tables: {', '.join(TABLES)}")
        for source, target in pairs.items():
            if source == CONSTANTS and isinstance(target, dict):
                continue  # read by load_constants
            if not isinstance(target, str) or (target and target not in columns(table)):
                raise FileProblem(label, f'maps "{source}" to {target!r}, which is not a column of {table}',
                                  f"map it to one of {', '.join(columns(table))}, or to \"\" to drop it")
            mapping.setdefault(table, {})[header_key(source)] = target
    return mapping


def load_constants(path: Path | None) -> Constants:
    """The ``[table.values]`` sub-tables of a mapping file: a value for a column on every row."""
    if path is None:
        return {}
    label, raw = _read_mapping_file(path)
    constants: Constants = {}
    for table, pairs in raw.items():
        values = pairs.get(CONSTANTS) if isinstance(pairs, dict) and table in TABLES else None
        if not isinstance(values, dict):
            continue
        for column, value in values.items():
            if column not in columns(table) or isinstance(value, (dict, list)):
                raise FileProblem(label, f"gives [{table}.{CONSTANTS}] {column} = {value!r}, which is not a value "
                                  f"of a column of {table}", f"give a value for one of {', '.join(columns(table))}")
            constants.setdefault(table, {})[column] = str(value)
    return constants


def looks_like_pii(key: str) -> str | None:
    """What kind of personal data a header key looks like, or None."""
    for pattern, kind in PII_PATTERNS:
        if pattern.search(key):
            return kind
    return None


def resolve_columns(table: str, label: str, header: list[str], mapping: ColumnMapping,
                    constants: Constants | None = None) -> dict[str, str]:
    """Header name -> contract column for every column to load (columns mapped to "" are left out);
    ``constants`` give columns the file need not carry.

    Raises ``FileProblem`` naming every problem with the header at once.
    """
    table_mapping = mapping.get(table, {})
    contract = columns(table)
    contract_keys = {header_key(c): c for c in contract}
    resolved: dict[str, str] = {}
    problems: list[str] = []
    fixes: list[str] = []
    pii: list[str] = []
    unknown: list[str] = []
    blank = 0
    for name in header:
        key = header_key(name)
        if not key:
            blank += 1
            continue
        target = table_mapping.get(key, contract_keys.get(key))
        kind = looks_like_pii(key)
        # division_name, csp_name and offence_description are contract columns, not personal data.
        if kind and not (target and looks_like_pii(header_key(target))):
            pii.append(f"'{name}' ({kind})")
        elif target is None:
            unknown.append(f"'{name}'")
        elif target:
            resolved[name] = target
    if pii:
        problems.append(f"has column(s) that look like personal data: {', '.join(pii)}")
        fixes.append("remove them from the export: extracts carry no names, addresses, dates of birth, "
                     "postcodes or free text")
    if blank:
        problems.append(f"has {blank} column(s) without a header")
        fixes.append("give every column its contract name, or delete the empty columns")
    given = list(resolved.values()) + list((constants or {}).get(table, {}))
    twice = sorted({c for c in given if given.count(c) > 1})
    if twice:
        problems.append(f"gives {', '.join(twice)} more than once")
        fixes.append("keep one column for each")
    missing = [c for c in required_columns(table) if c not in given]
    if missing:
        problems.append(f"lacks required column(s) {', '.join(missing)}")
        fixes.append("add them, or if your system calls them something else, map its names in a mapping "
                     "file (daperf load --mapping mapping.toml)")
    if unknown:
        problems.append(f"has column(s) the {table} contract does not know: {', '.join(unknown)}")
        fixes.append(f'remove them, or map them in a mapping file to a {table} column (or to "" to drop them)')
    if problems:
        raise FileProblem(label, "; ".join(problems), "; ".join(fixes))
    return resolved

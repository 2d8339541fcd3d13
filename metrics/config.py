"""Thresholds with their provenance: ``metrics/thresholds.toml``, overridable by a file in $DAPERF_THRESHOLDS.

The SQL receives every threshold as a bound parameter named after its key (``$lookback_days``…), so the
number lives here once and the rule that uses it lives once in ``sql/``.
"""
from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULTS_FILE = Path(__file__).with_name("thresholds.toml")
OVERRIDE_ENV = "DAPERF_THRESHOLDS"


@dataclass(frozen=True)
class Threshold:
    key: str
    value: Any
    unit: str
    source: str
    note: str = ""


def _read(path: Path) -> dict[str, dict[str, Any]]:
    """The parsed file (a fresh copy: callers may change it); re-read only when the file changes."""
    stat = path.stat()
    return copy.deepcopy(_parse(str(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=16)
def _parse(path: str, mtime_ns: int, size: int) -> dict[str, dict[str, Any]]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def thresholds() -> dict[str, Threshold]:
    """The thresholds in force now (defaults, then the override file if $DAPERF_THRESHOLDS names one)."""
    table = _read(DEFAULTS_FILE)
    override_path = os.environ.get(OVERRIDE_ENV)
    if override_path:
        for key, entry in _read(Path(override_path)).items():
            if key not in table:
                raise KeyError(f"{override_path}: unknown threshold {key!r}; known: {', '.join(sorted(table))}")
            if "value" not in entry:
                raise KeyError(f"{override_path}: threshold {key!r} needs a value")
            table[key] = {
                **table[key],
                "value": entry["value"],
                "source": entry.get("source", f"local override in {override_path}"),
                "note": entry.get("note", table[key].get("note", "")),
            }
    return {
        key: Threshold(key=key, value=entry["value"], unit=entry["unit"], source=entry["source"],
                       note=entry.get("note", ""))
        for key, entry in table.items()
    }


def threshold_values() -> dict[str, Any]:
    """Key -> value, the form the SQL parameters take."""
    return {key: item.value for key, item in thresholds().items()}

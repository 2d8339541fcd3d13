"""Configuration in one place: read from the environment, with defaults that suit the demo.

Thresholds that a force may set differently (time windows, targets, benchmark bands) are not here: they
live with their provenance in ``metrics/thresholds.toml``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = REPO_ROOT / "sql"
SHARED_DIR = Path(os.environ.get("DAPERF_SHARED_DIR", REPO_ROOT.parent / "shared"))
RESEARCH_DATA_DIR = SHARED_DIR / "research-data"


@dataclass(frozen=True)
class Settings:
    db_path: Path
    key_file: Path
    demo_dir: Path
    users_file: Path


def settings() -> Settings:
    """Settings as the environment gives them now (read on each call so tests can set variables)."""
    data_dir = Path(os.environ.get("DAPERF_DATA_DIR", REPO_ROOT / "data"))
    return Settings(
        db_path=Path(os.environ.get("DAPERF_DB", data_dir / "daperf.duckdb")),
        # The pseudonymisation key is the deployment's secret: never in the repository or the database.
        key_file=Path(
            os.environ.get("DAPERF_KEY_FILE", Path.home() / ".config" / "daperf" / "pseudonymisation.key")
        ),
        demo_dir=Path(os.environ.get("DAPERF_DEMO_DIR", data_dir / "demo")),
        users_file=Path(os.environ.get("DAPERF_USERS_FILE", data_dir / "users.toml")),
    )

"""The pseudonymisation key is never in the repository or the database, and person ids are never in the
audit log: grep the bytes."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from app.auth import audit
from app.auth.policy import Principal
from daperf.config import REPO_ROOT, settings
from etl.load import run_load
from etl.pseudonymise import load_key

GOOD_BATCH = Path(__file__).resolve().parents[1] / "fixtures" / "extracts" / "good"
SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", "node_modules", "test-artifacts"}
LARGEST_FILE = 16 * 1024 * 1024
# Read before any test points DAPERF_KEY_FILE elsewhere: the key this machine's loads use.
DEPLOYMENT_KEY_FILE = settings().key_file.expanduser()


def _forms(key: bytes) -> list[bytes]:
    """The key as raw bytes and as hex text, either case."""
    return [key, key.hex().encode(), key.hex().upper().encode()]


def _repository_files() -> list[Path]:
    found = []
    for root, dirs, files in os.walk(REPO_ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in files:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= LARGEST_FILE:
                found.append(path)
    return found


def _with_wal(path: Path) -> bytes:
    """A SQLite file's bytes and its write-ahead log's (where the newest rows are until a checkpoint)."""
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
def key_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "secrets" / "pseudonymisation.key"
    monkeypatch.setenv("DAPERF_KEY_FILE", str(path))
    monkeypatch.setenv("DAPERF_STATE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    monkeypatch.delenv("DAPERF_AUTH_CONFIG", raising=False)
    return path


def test_the_key_is_in_neither_the_database_nor_the_audit_log(key_file, tmp_path):
    db = tmp_path / "db" / "daperf.duckdb"
    run_load(GOOD_BATCH, db, progress=False)
    audit.record(Principal("coord", "coordinator"), "view", "attrition case list", {"division": "SOUTH"})
    key = load_key()
    for path in (db, tmp_path / "state.sqlite"):
        content = _with_wal(path)
        assert content, path
        for form in _forms(key):
            assert form not in content, f"the pseudonymisation key is in {path.name}"


def test_person_ids_from_the_extracts_are_not_in_the_audit_log(key_file, tmp_path):
    audit.record(Principal("coord", "coordinator"), "view", "attrition case list", {"division": "SOUTH"})
    content = _with_wal(tmp_path / "state.sqlite")
    assert b"attrition case list" in content  # the entry is there to be searched
    for raw_id in (b"NOM0001", b"NOM0002", b"INC001", b"CR001"):
        assert raw_id not in content


def test_no_key_in_the_repository(key_file, tmp_path):
    """Neither this test's key nor the deployment's (the demo's, once `make run` has made one) is in any
    file of the repository — a demo database under data/ included."""
    run_load(GOOD_BATCH, tmp_path / "db" / "daperf.duckdb", progress=False)
    keys = [load_key()]
    if DEPLOYMENT_KEY_FILE.exists() and not DEPLOYMENT_KEY_FILE.resolve().is_relative_to(REPO_ROOT.resolve()):
        keys.append(load_key(DEPLOYMENT_KEY_FILE))
    # Hex text anywhere (grep reads the big benchmark files fast); raw bytes in every file of moderate size.
    patterns = tmp_path / "patterns"
    patterns.write_bytes(b"\n".join(key.hex().encode() for key in keys) + b"\n")
    grep = subprocess.run(["grep", "-r", "-l", "-i", "-F", "-f", str(patterns),
                           *(f"--exclude-dir={d}" for d in SKIPPED_DIRS), str(REPO_ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert grep.returncode == 1, f"a key is in: {grep.stdout or grep.stderr}"  # 1: grep found nothing
    for path in _repository_files():
        content = path.read_bytes()
        for key in keys:
            assert key not in content, f"a key is in {path.relative_to(REPO_ROOT)}"


def test_a_key_file_inside_the_repository_is_refused(monkeypatch):
    from etl.pseudonymise import KeyFileError

    with pytest.raises(KeyFileError, match="inside the repository"):
        load_key(REPO_ROOT / "data" / "pseudonymisation.key")

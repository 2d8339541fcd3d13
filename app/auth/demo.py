"""Demo mode is a demo: ``daperf serve --demo`` signs every visitor in as the demo user, so it runs only on
the project's own demo database and only on a loopback address.

"The project's demo database" is one whose every loaded batch came from a folder that ``daperf demo-data``
wrote, file for file: the generator leaves a manifest there (``.daperf-demo.json``, the SHA-256 of each
file it wrote; a dot file, so the loader skips it), and the database records the folder and each loaded
file's SHA-256 (``load_batches``, ``load_files``). A force's own extracts are in no such manifest, so a
database holding any of them is refused, and so is one whose demo folder has gone.
"""
from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path

from app.auth.policy import Principal

MANIFEST_NAME = ".daperf-demo.json"
DEMO_USERNAME = "demo"
DEMO_ROLE = "chief_officer"


def demo_principal() -> Principal:
    """Who every visitor of the demo is: the demo user, with the role the demo banner names."""
    return Principal(username=DEMO_USERNAME, role=DEMO_ROLE, demo=True)


class DemoRefused(RuntimeError):
    """``--demo`` was asked for where it may not run; the message says why and what to do."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def write_manifest(folder: str | os.PathLike) -> Path:
    """Record the SHA-256 of every file the demo generator wrote in ``folder`` (kept from earlier runs
    too, so a database loaded from an earlier generation still counts as the demo's)."""
    from etl.read import sha256

    folder = Path(folder)
    path = folder / MANIFEST_NAME
    known: dict[str, str] = {}
    if path.exists():
        known = json.loads(path.read_text(encoding="utf-8")).get("files", {})
    for file in sorted(folder.iterdir()):
        if file.is_file() and not file.name.startswith("."):
            known[sha256(file)] = file.name
    document = {"written_by": "daperf demo-data", "files": known}
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _manifest_hashes(folder: Path) -> set[str] | None:
    try:
        document = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = document.get("files") if isinstance(document, dict) else None
    return set(files) if isinstance(files, dict) else None


def demo_database_problem(db_path: str | os.PathLike) -> str | None:
    """None when ``db_path`` is the project's demo database; otherwise why it is not, in words."""
    from daperf.db import DatabaseMissing, connect_readonly
    from etl.read import sha256, shipped_offence_codes

    try:
        con = connect_readonly(db_path)
    except DatabaseMissing as exc:
        return str(exc)
    try:
        batches = con.execute("SELECT batch_id, source_dir FROM load_batches WHERE status = 'loaded'").fetchall()
        files = con.execute("SELECT batch_id, file_name, sha256 FROM load_files").fetchall()
    except Exception:  # not a database this product wrote
        return f"{db_path} is not a database loaded by daperf"
    finally:
        con.close()
    if not batches:
        return f"{db_path} has no data loaded"
    by_batch: dict[str, list[tuple[str, str]]] = {}
    for batch_id, file_name, digest in files:
        by_batch.setdefault(batch_id, []).append((file_name, digest))
    for batch_id, source_dir in batches:
        hashes = _manifest_hashes(Path(source_dir))
        if hashes is not None:
            hashes.add(sha256(shipped_offence_codes().path))  # the product's own reference file
        if hashes is None:
            return (f"batch {batch_id} was loaded from {source_dir}, which holds no demo manifest "
                    f"({MANIFEST_NAME}, written by `daperf demo-data`)")
        foreign = [name for name, digest in by_batch.get(batch_id, []) if digest not in hashes]
        if foreign:
            return f"batch {batch_id} loaded {', '.join(sorted(foreign))}, which the demo generator did not write"
    return None


def check_demo_serving(db_path: str | os.PathLike, host: str) -> None:
    """Raise ``DemoRefused`` unless ``--demo`` may serve ``db_path`` on ``host``."""
    if not is_loopback(host):
        raise DemoRefused(f"--demo serves only on a loopback address (127.0.0.1, ::1 or localhost), not {host}: "
                          "everyone who can reach it is signed in.")
    problem = demo_database_problem(db_path)
    if problem:
        raise DemoRefused(f"--demo serves only the project's demo database (`make run` builds it): {problem}.")

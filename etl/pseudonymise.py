"""Pseudonymisation of person ids: HMAC-SHA256 under the deployment's secret key.

The same nominal number gives the same 64-hex pseudonym in every extract and batch (so a person links
across them), and without the key nobody can go back from the pseudonym to the number. The key lives in
the file named by ``DAPERF_KEY_FILE`` (``daperf.config.settings().key_file``), never in the repository or
the database; it is created (32 random bytes, hex, mode 0600) the first time a load needs it.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from daperf.config import REPO_ROOT, settings

KEY_BYTES = 32


class KeyFileError(RuntimeError):
    """The key file is unusable (inside the repository, too short, unreadable)."""


def _inside_repository(path: Path) -> bool:
    return path.resolve().is_relative_to(REPO_ROOT.resolve())


def load_key(key_file: Path | None = None) -> bytes:
    """The pseudonymisation key, created with a fresh random key if the file does not exist yet."""
    path = Path(key_file or settings().key_file).expanduser()
    if _inside_repository(path):
        raise KeyFileError(
            f"The pseudonymisation key file {path} is inside the repository; the key is a secret and must "
            "live outside it: set DAPERF_KEY_FILE to a path such as ~/.config/daperf/pseudonymisation.key."
        )
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two first loads racing cannot both write a key; the loser reads the winner's.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    text = path.read_bytes().strip()
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        key = text  # a deployment may supply raw key bytes
    if len(key) < KEY_BYTES:
        raise KeyFileError(f"The pseudonymisation key in {path} is shorter than {KEY_BYTES} bytes.")
    return key


def pseudonym(value: str, key: bytes) -> str:
    """The 64-hex pseudonym of one person id (the reference ``pseudonym_sql`` is held to)."""
    return hmac.digest(key, value.encode("utf-8"), "sha256").hex()


def _pads(key: bytes) -> tuple[bytes, bytes]:
    """The key's inner and outer HMAC-SHA256 pads (RFC 2104)."""
    padded = key if len(key) <= 64 else hashlib.sha256(key).digest()
    padded = padded.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


def pseudonym_parameters(key: bytes) -> dict[str, bytes]:
    """What ``pseudonym_sql`` binds: the key's pads, as query parameters (never stored, never in SQL text)."""
    inner, outer = _pads(key)
    return {"hmac_inner": inner, "hmac_outer": outer}


def pseudonym_sql(text: str) -> str:
    """SQL for the pseudonym of the person id ``text`` (an expression; null stays null): HMAC-SHA256 written
    out as SHA-256 of the outer pad and the inner hash, so DuckDB computes it for every row in parallel,
    with ``pseudonym_parameters`` bound. Equal to ``pseudonym`` (see the tests)."""
    return f"sha256($hmac_outer || unhex(sha256($hmac_inner || encode({text}))))"

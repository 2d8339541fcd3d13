"""The key that signs session cookies (behaviour, not a setting: the setting is ``daperf.config``)."""
from __future__ import annotations

import os
import secrets

from daperf.config import AuthConfig


def session_secret(config: AuthConfig) -> str:
    """The key that signs session cookies: from the environment, else a file outside the repository,
    generated (readable by its owner only) the first time."""
    if config.secret_key:
        return config.secret_key
    path = config.secret_key_file
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(32)
    # Written to a private temporary file, then linked into place: link fails if the file exists, so
    # when several workers start at once one key wins and every worker reads that one.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text(encoding="ascii").strip()

"""Sign-in configuration, read from the environment, or from a TOML file named by ``DAPERF_AUTH_CONFIG``
(keys as below in lower case, without the ``DAPERF_`` prefix; a variable set in the environment wins).

| variable | default | meaning |
|---|---|---|
| ``DAPERF_AUTH_MODE`` | ``standalone`` | ``standalone`` (sign-in page) or ``proxy`` (single sign-on header) |
| ``DAPERF_IDENTITY_HEADER`` | ``X-Forwarded-User`` | the header the reverse proxy sets to the signed-in user name |
| ``DAPERF_TRUSTED_PROXIES`` | (none) | comma-separated addresses or CIDRs the header is trusted from |
| ``DAPERF_SESSION_IDLE_MINUTES`` | ``30`` | a session ends after this long without a request |
| ``DAPERF_SESSION_MAX_HOURS`` | ``10`` | and this long after sign-in, whatever happens |
| ``DAPERF_SECURE_COOKIES`` | ``false`` | mark the session cookie ``Secure`` (set it whenever served over HTTPS) |
| ``DAPERF_SECRET_KEY`` | (none) | the session-signing key; else read from (or generated into) the key file |
| ``DAPERF_SECRET_KEY_FILE`` | ``~/.config/daperf/session.key`` | where the generated signing key lives |
| ``DAPERF_AUDIT_DB`` | ``audit.sqlite`` beside the analytics DB | the audit log (SQLite) |

The users file is ``daperf.config.settings().users_file`` (``DAPERF_USERS_FILE``).
"""
from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

MODES = ("standalone", "proxy")

_DEFAULTS = {
    "auth_mode": "standalone",
    "identity_header": "X-Forwarded-User",
    "trusted_proxies": "",
    "session_idle_minutes": "30",
    "session_max_hours": "10",
    "secure_cookies": "false",
    "secret_key": "",
    "secret_key_file": str(Path.home() / ".config" / "daperf" / "session.key"),
    "audit_db": "",
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AuthConfig:
    mode: str
    identity_header: str
    trusted_proxies: tuple[Network, ...]
    session_idle_seconds: int
    session_max_seconds: int
    secure_cookies: bool
    secret_key: str
    secret_key_file: Path
    audit_db: Path | None  # None: beside the analytics database

    def is_trusted_proxy(self, remote_addr: str | None) -> bool:
        if not remote_addr:
            return False
        try:
            address = ipaddress.ip_address(remote_addr)
        except ValueError:
            return False
        return any(address in network for network in self.trusted_proxies)


def _raw_values() -> dict[str, str]:
    values = dict(_DEFAULTS)
    config_file = os.environ.get("DAPERF_AUTH_CONFIG")
    if config_file:
        with open(config_file, "rb") as fh:
            from_file = tomllib.load(fh)
        unknown = set(from_file) - set(_DEFAULTS)
        if unknown:
            raise ValueError(f"Unknown keys in {config_file}: {', '.join(sorted(unknown))}")
        for key, value in from_file.items():
            if isinstance(value, list):
                value = ",".join(str(item) for item in value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            values[key] = str(value)
    for key in _DEFAULTS:
        env = os.environ.get(f"DAPERF_{key.upper()}")
        if env is not None:
            values[key] = env
    return values


def _positive_int(values: dict[str, str], key: str) -> int:
    number = int(values[key])
    if number <= 0:
        raise ValueError(f"DAPERF_{key.upper()} must be a positive whole number, not {values[key]!r}")
    return number


def auth_config() -> AuthConfig:
    """The configuration as the environment gives it now (read on each call so tests can set variables)."""
    values = _raw_values()
    mode = values["auth_mode"].strip().lower()
    if mode not in MODES:
        raise ValueError(f"DAPERF_AUTH_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    proxies = tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in values["trusted_proxies"].split(",")
        if part.strip()
    )
    if mode == "proxy" and not proxies:
        raise ValueError("DAPERF_AUTH_MODE=proxy needs DAPERF_TRUSTED_PROXIES (the reverse proxy's addresses)")
    return AuthConfig(
        mode=mode,
        identity_header=values["identity_header"].strip(),
        trusted_proxies=proxies,
        session_idle_seconds=_positive_int(values, "session_idle_minutes") * 60,
        session_max_seconds=_positive_int(values, "session_max_hours") * 3600,
        secure_cookies=values["secure_cookies"].strip().lower() in ("1", "true", "yes", "on"),
        secret_key=values["secret_key"],
        secret_key_file=Path(values["secret_key_file"]).expanduser(),
        audit_db=Path(values["audit_db"]).expanduser() if values["audit_db"] else None,
    )


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

"""Configuration in one place: every setting the product reads, from the environment (with defaults that
suit the demo), the thresholds that shape the marts (``daperf/thresholds.toml``, with their provenance),
and the sign-in settings. Nothing else reads the environment for a setting.

Paths (``settings()``):

| variable | default | meaning |
|---|---|---|
| ``DAPERF_DATA_DIR`` | ``data/`` in the checkout | where the demo's files and database live |
| ``DAPERF_DB`` | ``$DAPERF_DATA_DIR/daperf.duckdb`` | the analytics database |
| ``DAPERF_KEY_FILE`` | ``~/.config/daperf/pseudonymisation.key`` | the pseudonymisation key (outside the repository) |
| ``DAPERF_USERS_FILE`` | (none: the state store's users) | a TOML users file instead of the state store's users table (one web host, users managed as configuration) |
| ``DAPERF_HOME_FORCE`` | (the database's only force, else the first) | the force whose dashboard this is, when the database holds several forces' records |
| ``DAPERF_THRESHOLDS`` | (none) | a TOML file overriding thresholds (only ``value`` and ``source`` needed) |
| ``DAPERF_MEETING_TIME`` | ``08:00`` | when the daily management meeting is held (``meeting_time()``), each working day |

Thresholds (``thresholds()``, ``threshold_values()``): look-backs, windows, hearing hours, targets and
reference values, each with its unit and source. The marts are built with them and record the values
they were built with (``mart_build``); ``daperf rebuild-marts`` rebuilds after a change.

Sign-in (``auth_config()``), from the environment or a TOML file named by ``DAPERF_AUTH_CONFIG`` (keys as
below in lower case, without the ``DAPERF_`` prefix; a variable set in the environment wins):

| variable | default | meaning |
|---|---|---|
| ``DAPERF_AUTH_MODE`` | ``standalone`` | ``standalone`` (sign-in page) or ``proxy`` (single sign-on header) |
| ``DAPERF_IDENTITY_HEADER`` | ``X-Forwarded-User`` | the header the reverse proxy sets to the signed-in user name |
| ``DAPERF_TRUSTED_PROXIES`` | (none) | comma-separated addresses or CIDRs of the reverse proxy: the identity header is trusted from them, and (standalone) their ``X-Forwarded-For`` gives the client's address for sign-in throttling |
| ``DAPERF_SESSION_IDLE_MINUTES`` | ``30`` | a session ends after this long without a request |
| ``DAPERF_SESSION_MAX_HOURS`` | ``10`` | and this long after sign-in, whatever happens |
| ``DAPERF_SECURE_COOKIES`` | ``auto`` | ``Secure`` cookies and HSTS: ``auto`` = on unless the browser reaches the server on a loopback address; ``true``; ``false`` |
| ``DAPERF_STATE_URL`` | ``sqlite:///`` ``state.sqlite`` beside the analytics DB | the state store (SQLAlchemy URL: ``sqlite:///FILE`` or ``postgresql://...``): sessions, users, sign-in throttling, the audit log |

Every function reads the environment on each call, so tests can set variables.
"""
from __future__ import annotations

import copy
import ipaddress
import os
import tomllib
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = REPO_ROOT / "sql"
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.toml")
THRESHOLDS_OVERRIDE_ENV = "DAPERF_THRESHOLDS"


# --- paths -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    db_path: Path
    key_file: Path
    demo_dir: Path
    users_file: Path | None  # None: users live in the state store
    home_force: str | None


def settings() -> Settings:
    """Settings as the environment gives them now."""
    data_dir = Path(os.environ.get("DAPERF_DATA_DIR", REPO_ROOT / "data"))
    return Settings(
        db_path=Path(os.environ.get("DAPERF_DB", data_dir / "daperf.duckdb")),
        # The pseudonymisation key is the deployment's secret: never in the repository or the database.
        key_file=Path(
            os.environ.get("DAPERF_KEY_FILE", Path.home() / ".config" / "daperf" / "pseudonymisation.key")
        ),
        demo_dir=Path(os.environ.get("DAPERF_DEMO_DIR", data_dir / "demo")),
        users_file=Path(os.environ["DAPERF_USERS_FILE"]) if os.environ.get("DAPERF_USERS_FILE") else None,
        home_force=os.environ.get("DAPERF_HOME_FORCE") or None,
    )


DEFAULT_MEETING_TIME = "08:00"


def meeting_time() -> time:
    """The time of day of the daily management meeting (``DAPERF_MEETING_TIME``, ``HH:MM``): the daily page
    opens on the latest meeting and looks back to the one before it."""
    text = os.environ.get("DAPERF_MEETING_TIME", DEFAULT_MEETING_TIME).strip()
    try:
        return time.fromisoformat(text).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        raise ValueError(f"DAPERF_MEETING_TIME must be a time of day as HH:MM, not {text!r}") from None


# --- thresholds ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Threshold:
    key: str
    value: Any
    unit: str
    source: str
    note: str = ""
    label: str = ""


def _read_toml(path: Path) -> dict[str, dict[str, Any]]:
    """The parsed file (a fresh copy: callers may change it); re-read only when the file changes."""
    stat = path.stat()
    return copy.deepcopy(_parse_toml(str(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=16)
def _parse_toml(path: str, mtime_ns: int, size: int) -> dict[str, dict[str, Any]]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def thresholds() -> dict[str, Threshold]:
    """The thresholds in force now (defaults, then the override file if $DAPERF_THRESHOLDS names one)."""
    table = _read_toml(THRESHOLDS_FILE)
    override_path = os.environ.get(THRESHOLDS_OVERRIDE_ENV)
    if override_path:
        for key, entry in _read_toml(Path(override_path)).items():
            if key not in table:
                raise KeyError(f"{override_path}: unknown threshold {key!r}; known: {', '.join(sorted(table))}")
            if "value" not in entry:
                raise KeyError(f"{override_path}: threshold {key!r} needs a value")
            table[key] = {
                **table[key],
                "value": entry["value"],
                "source": entry.get("source", "a local setting of this force"),
                "note": entry.get("note", table[key].get("note", "")),
            }
    return {
        key: Threshold(key=key, value=entry["value"], unit=entry["unit"], source=entry["source"],
                       note=entry.get("note", ""), label=entry.get("label", key.replace("_", " ")))
        for key, entry in table.items()
    }


def threshold_values() -> dict[str, Any]:
    """Key -> value, the form SQL parameters take."""
    return {key: item.value for key, item in thresholds().items()}


# --- sign-in ----------------------------------------------------------------------------------------

MODES = ("standalone", "proxy")

_DEFAULTS = {
    "auth_mode": "standalone",
    "identity_header": "X-Forwarded-User",
    "trusted_proxies": "",
    "session_idle_minutes": "30",
    "session_max_hours": "10",
    "secure_cookies": "auto",
    "state_url": "",
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AuthConfig:
    mode: str
    identity_header: str
    trusted_proxies: tuple[Network, ...]
    session_idle_seconds: int
    session_max_seconds: int
    secure_cookies: bool | None  # None (auto): on unless the request reaches a loopback address
    state_url: str | None  # None: a SQLite file beside the analytics database

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


def _auto_bool(values: dict[str, str], key: str) -> bool | None:
    text = values[key].strip().lower()
    if text in ("", "auto"):
        return None
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"DAPERF_{key.upper()} must be auto, true or false, not {values[key]!r}")


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
        secure_cookies=_auto_bool(values, "secure_cookies"),
        state_url=values["state_url"].strip() or None,
    )



"""The users file: who may sign in, with which role and units, and (standalone) their password hash.

A TOML file at ``daperf.config.settings().users_file``, one table per user::

    [users.jsmith]
    role = "division_lead"
    units = ["D1"]
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."

Behind single sign-on the proxy vouches for the user name and ``password_hash`` is not used, but the
user must still be in the file: their role and units come from here, never from the proxy.
"""
from __future__ import annotations

import getpass
import json
import os
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.auth.policy import ROLES, Principal

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verifying against this when the user is unknown takes as long as a real check, so the response time
# does not tell an attacker which user names exist.
_DUMMY_HASH = _hasher.hash("not a password anybody has")


@dataclass(frozen=True)
class User:
    username: str
    role: str
    units: frozenset[str]
    password_hash: str | None

    def principal(self) -> Principal:
        return Principal(username=self.username, role=self.role, units=self.units)


class UsersFileError(ValueError):
    """The users file cannot be read as users."""


def _parse(path: Path) -> dict[str, User]:
    try:
        with open(path, "rb") as fh:
            document = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"{path}: {exc}") from exc
    users: dict[str, User] = {}
    for username, entry in document.get("users", {}).items():
        role = entry.get("role")
        if role not in ROLES:
            raise UsersFileError(f"{path}: user {username!r} has role {role!r}; expected one of {', '.join(ROLES)}")
        units = entry.get("units", [])
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            raise UsersFileError(f"{path}: user {username!r}: units must be a list of codes")
        users[username] = User(username, role, frozenset(units), entry.get("password_hash") or None)
    return users


_cache_lock = threading.Lock()
_cache: dict[Path, tuple[tuple, dict[str, User]]] = {}


def load_users(path: str | os.PathLike) -> dict[str, User]:
    """Every user in the file, re-read whenever the file changes (so removing a user takes effect on
    their next request)."""
    path = Path(path)
    try:
        st = os.stat(path)
        version: tuple = (st.st_ino, st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        version = ()
    with _cache_lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
    users = _parse(path)
    with _cache_lock:
        _cache[path] = (version, users)
    return users


def find_user(path: str | os.PathLike, username: str) -> User | None:
    return load_users(path).get(username)


def verify_password(path: str | os.PathLike, username: str, password: str) -> User | None:
    """The user when the password matches their stored hash, else None (same work either way)."""
    user = find_user(path, username)
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user if stored is not _DUMMY_HASH else None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _toml_string(text: str) -> str:
    # A JSON string with ASCII escapes is a valid TOML basic string.
    return json.dumps(text, ensure_ascii=True)


def _render(users: dict[str, User]) -> str:
    lines = ["# daperf users: written by `daperf add-user`. Roles and units are checked on every request.", ""]
    for user in sorted(users.values(), key=lambda u: u.username):
        lines.append(f"[users.{_toml_string(user.username)}]")
        lines.append(f"role = {_toml_string(user.role)}")
        lines.append("units = [" + ", ".join(_toml_string(u) for u in sorted(user.units)) + "]")
        if user.password_hash:
            lines.append(f"password_hash = {_toml_string(user.password_hash)}")
        lines.append("")
    return "\n".join(lines)


def add_user(path: str | os.PathLike, username: str, role: str, units: list[str] | tuple[str, ...], password: str) -> User:
    """Add or replace a user, writing the file atomically (readable by its owner only)."""
    if not USERNAME.match(username):
        raise ValueError("A user name is letters, digits and . _ @ - (at most 128 characters)")
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; expected one of {', '.join(ROLES)}")
    bad = [u for u in units if not UNIT_CODE.match(u)]
    if bad:
        raise ValueError(f"Unit codes are letters, digits, _ and -: {', '.join(bad)}")
    if role in ("division_lead", "partnership") and not units:
        raise ValueError(f"A {role} user needs --units (their division or partnership codes)")
    if role not in ("division_lead", "partnership") and units:
        raise ValueError(f"A {role} user sees the whole force: give no --units")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters")
    path = Path(path)
    users = dict(_parse(path))
    user = User(username, role, frozenset(units), hash_password(password))
    users[username] = user
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(_render(users))
    os.replace(tmp, path)
    return user


def add_user_cli(users_file: str | os.PathLike, username: str, role: str, units: str) -> None:
    """``daperf add-user``: ask for the password twice without echo (or take ``DAPERF_NEW_PASSWORD``
    for scripts), hash it with argon2 and write the user."""
    import typer

    unit_codes = [part.strip() for part in units.split(",") if part.strip()]
    password = os.environ.get("DAPERF_NEW_PASSWORD")
    if password is None:
        password = getpass.getpass(f"Password for {username}: ")
        if getpass.getpass("Same password again: ") != password:
            typer.echo("The two passwords differ; nothing was changed.", err=True)
            raise typer.Exit(1)
    try:
        add_user(users_file, username, role, unit_codes, password)
    except (ValueError, UsersFileError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{username} ({role}{': ' + ', '.join(unit_codes) if unit_codes else ''}) written to {users_file}")

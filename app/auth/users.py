"""Who may use the dashboard: each user's role, units, other forces and (standalone) argon2id password hash.

Users live in the state store's ``daperf_users`` table (``app.auth.store``), shared by every web host:
``daperf add-user`` writes them, ``daperf remove-user`` removes them. A single-host deployment that keeps
its users as configuration may name a TOML file instead (``DAPERF_USERS_FILE``), one table per user::

    [users.jsmith]
    role = "division_lead"
    units = ["D1"]
    forces = []            # forces besides the home force whose records the user may see
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."

The file is read-only at run time and re-read whenever it changes. Behind single sign-on the proxy vouches
for the user name and ``password_hash`` is not used, but the user must still be in the directory: their
role and units come from here, never from the proxy.

A user's ``fingerprint`` (role, units, forces, password hash) is kept with each of their sessions; when it
changes (a new password, another role) every session of theirs ends at its next request, and
``add_user`` ends them at once.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select

from app.auth import store
from app.auth.policy import ROLES, Principal
from daperf.config import settings

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
FORCE_CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")
MIN_PASSWORD_LENGTH = 12
# Longer is refused unchecked: hashing megabytes of "password" would be a way to tie up the workers.
MAX_PASSWORD_LENGTH = 1024
SCOPED_ROLES = ("division_lead", "partnership")
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
    forces: frozenset[str] = field(default_factory=frozenset)

    def principal(self) -> Principal:
        return Principal(username=self.username, role=self.role, units=self.units, forces=self.forces)

    @property
    def fingerprint(self) -> str:
        """Changes whenever the role, units, forces or password change: the sessions kept with it end."""
        content = [self.role, sorted(self.units), sorted(self.forces), self.password_hash or ""]
        return hashlib.sha256(json.dumps(content).encode()).hexdigest()


class UsersFileError(ValueError):
    """The users file cannot be read as users."""


def users_file() -> Path | None:
    """The TOML users file when one is configured (``DAPERF_USERS_FILE``); None: the state store."""
    return settings().users_file


# --- the directory (the store, or the file when one is configured) -------------------------------


def find_user(username: str) -> User | None:
    if not isinstance(username, str) or not USERNAME.match(username):
        return None
    path = users_file()
    if path is not None:
        return load_users_file(path).get(username)
    with store.reading() as con:
        row = con.execute(select(store.users).where(store.users.c.username == username)).first()
    return _from_row(row) if row is not None else None


def all_users() -> list[User]:
    path = users_file()
    if path is not None:
        return sorted(load_users_file(path).values(), key=lambda u: u.username)
    with store.reading() as con:
        rows = con.execute(select(store.users).order_by(store.users.c.username)).all()
    return [_from_row(row) for row in rows]


def has_users() -> bool:
    return bool(all_users())


def verify_password(username: str, password: str) -> User | None:
    """The user when the password matches their stored hash, else None (the same work either way)."""
    user = find_user(username)
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user if stored is not _DUMMY_HASH else None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def new_user(username: str, role: str, units: Iterable[str], password: str | None,
             forces: Iterable[str] = ()) -> User:
    """A checked user with the password hashed (None: a single sign-on user with no password here)."""
    units, forces = [u.strip() for u in units if u.strip()], [f.strip() for f in forces if f.strip()]
    if not USERNAME.match(username):
        raise ValueError("A user name is letters, digits and . _ @ - (at most 128 characters)")
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; expected one of {', '.join(ROLES)}")
    bad = [u for u in units if not UNIT_CODE.match(u)] + [f for f in forces if not FORCE_CODE.match(f)]
    if bad:
        raise ValueError(f"Unit and force codes are letters, digits, _ and -: {', '.join(bad)}")
    if role in SCOPED_ROLES and not units:
        raise ValueError(f"A {role} user needs --units (their division or partnership codes)")
    if role not in SCOPED_ROLES and units:
        raise ValueError(f"A {role} user sees the whole force: give no --units")
    if password is not None and not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValueError(f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    return User(username, role, frozenset(units), hash_password(password) if password is not None else None,
                frozenset(forces))


def add_user(username: str, role: str, units: Iterable[str], password: str | None, *,
             forces: Iterable[str] = (), path: str | os.PathLike | None = None) -> User:
    """Add or replace a user in the store (or in the users file ``path``, else the configured one). A
    replaced user's sessions end at once."""
    return save_user(new_user(username, role, units, password, forces), path=path)


def save_user(user: User, *, path: str | os.PathLike | None = None) -> User:
    """Write a checked user (``new_user``) to the store, or to the users file ``path`` (else the configured
    one); a replaced user's sessions in the store end at once."""
    username = user.username
    path = Path(path) if path is not None else users_file()
    if path is not None:
        _write_file_user(path, user)
        return user
    values = {"role": user.role, "units": json.dumps(sorted(user.units)), "forces": json.dumps(sorted(user.forces)),
              "password_hash": user.password_hash, "changed_at": time.time()}
    with store.writing() as con:
        table = store.users
        exists = con.execute(select(table.c.username).where(table.c.username == username).with_for_update()).first()
        if exists:
            con.execute(table.update().where(table.c.username == username).values(**values))
        else:
            con.execute(table.insert().values(username=username, **values))
        con.execute(delete(store.sessions).where(store.sessions.c.username == username))
    return user


def remove_user(username: str, *, path: str | os.PathLike | None = None) -> bool:
    """Remove a user (from the store, or the users file); their sessions end at once. False: no such user."""
    path = Path(path) if path is not None else users_file()
    if path is not None:
        users = dict(_parse(path))
        if users.pop(username, None) is None:
            return False
        _write_file(path, users)
        return True
    with store.writing() as con:
        removed = con.execute(delete(store.users).where(store.users.c.username == username)).rowcount
        con.execute(delete(store.sessions).where(store.sessions.c.username == username))
    return bool(removed)


def _from_row(row) -> User:
    return User(row.username, row.role, frozenset(json.loads(row.units)), row.password_hash or None,
                frozenset(json.loads(row.forces)))


# --- the TOML users file -------------------------------------------------------------------------


def _codes(path: Path, username: str, entry: dict, key: str) -> frozenset[str]:
    values = entry.get(key, [])
    if not isinstance(values, list) or not all(isinstance(u, str) for u in values):
        raise UsersFileError(f"{path}: user {username!r}: {key} must be a list of codes")
    return frozenset(values)


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
        users[username] = User(username, role, _codes(path, username, entry, "units"),
                               entry.get("password_hash") or None, _codes(path, username, entry, "forces"))
    return users


_cache_lock = threading.Lock()
_cache: dict[Path, tuple[tuple, dict[str, User]]] = {}


def load_users_file(path: str | os.PathLike) -> dict[str, User]:
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


def _toml_string(text: str) -> str:
    # A JSON string with ASCII escapes is a valid TOML basic string.
    return json.dumps(text, ensure_ascii=True)


def _render(users: dict[str, User]) -> str:
    lines = ["# daperf users: written by `daperf add-user`. Roles and units are checked on every request.", ""]
    for user in sorted(users.values(), key=lambda u: u.username):
        lines.append(f"[users.{_toml_string(user.username)}]")
        lines.append(f"role = {_toml_string(user.role)}")
        lines.append("units = [" + ", ".join(_toml_string(u) for u in sorted(user.units)) + "]")
        if user.forces:
            lines.append("forces = [" + ", ".join(_toml_string(f) for f in sorted(user.forces)) + "]")
        if user.password_hash:
            lines.append(f"password_hash = {_toml_string(user.password_hash)}")
        lines.append("")
    return "\n".join(lines)


def _write_file_user(path: Path, user: User) -> None:
    users = dict(_parse(path))
    users[user.username] = user
    _write_file(path, users)


def _write_file(path: Path, users: dict[str, User]) -> None:
    """Write atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(_render(users))
    os.replace(tmp, path)


# --- the command line ----------------------------------------------------------------------------


def _codes_option(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_user_cli(username: str, role: str, units: str, forces: str = "", path: Path | None = None,
                 sso_only: bool = False) -> None:
    """``daperf add-user``: ask for the password twice without echo (or take ``DAPERF_NEW_PASSWORD`` for
    scripts), hash it with argon2 and write the user; their sessions end."""
    import typer

    password: str | None = None
    if not sso_only:
        password = os.environ.get("DAPERF_NEW_PASSWORD")
        if password is None:
            password = getpass.getpass(f"Password for {username}: ")
            if getpass.getpass("Same password again: ") != password:
                typer.echo("The two passwords differ; nothing was changed.", err=True)
                raise typer.Exit(1)
    unit_codes = _codes_option(units)
    try:
        add_user(username, role, unit_codes, password, forces=_codes_option(forces), path=path)
    except (ValueError, UsersFileError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    where = path or users_file() or store.describe()
    typer.echo(f"{username} ({role}{': ' + ', '.join(unit_codes) if unit_codes else ''}) written to {where}; "
               "any session of theirs has ended.")

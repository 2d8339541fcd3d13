"""Server-side sessions and single-use form tokens, in the state store (``app.auth.store``).

The session cookie holds a random token and nothing else; the store keeps its SHA-256 with the user name,
the user's fingerprint (role, units, forces, password hash) at sign-in, and two times. A session ends:
at sign-out; after ``DAPERF_SESSION_IDLE_MINUTES`` without a request; ``DAPERF_SESSION_MAX_HOURS`` after
sign-in; when the user is removed or their role, units, forces or password change; or by
``daperf sessions end USER|end-all``. Ending it deletes the row, so a copy of the cookie taken before is
worth nothing on any web host from that moment.

Form tokens (CSRF) are single-use: each is a row bound to the browser (its sign-in cookie, or its session)
and deleted by the request that uses it, whichever host answers.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, or_, select

from app.auth import store
from app.auth.users import User, find_user
from daperf.config import AuthConfig

# Refresh the idle clock at most once a minute: a session's row is not rewritten on every callback.
TOUCH_INTERVAL = 60
TOKEN_LIFETIME = 3600  # an unused form token lasts an hour
TOKENS_PER_BINDING = 20  # a browser asking for many forms keeps only its newest tokens


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    digest: str
    username: str
    created_at: float
    last_seen_at: float
    client_address: str


def start(user: User, client_address: str, config: AuthConfig) -> str:
    """A new session for ``user``; returns the token for the cookie."""
    token = new_token()
    now = time.time()
    with store.writing() as con:
        _purge_expired(con, config, now)
        con.execute(store.sessions.insert().values(
            session_digest=digest(token), username=user.username, user_fingerprint=user.fingerprint,
            created_at=now, last_seen_at=now, client_address=client_address[:64],
        ))
    return token


def resume(token: str | None, config: AuthConfig) -> tuple[Session, User] | None:
    """The session and its user for a cookie's token, if the session is still live; an expired session or
    one whose user changed is ended here."""
    if not token or len(token) > 256:
        return None
    key = digest(token)
    table = store.sessions
    with store.reading() as con:
        row = con.execute(select(table).where(table.c.session_digest == key)).first()
    if row is None:
        return None
    now = time.time()
    user = find_user(row.username)
    if (now - row.created_at > config.session_max_seconds or now - row.last_seen_at > config.session_idle_seconds
            or user is None or user.fingerprint != row.user_fingerprint):
        end(token)
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        with store.writing() as con:
            con.execute(table.update().where(table.c.session_digest == key).values(last_seen_at=now))
    return Session(key, row.username, row.created_at, row.last_seen_at, row.client_address), user


def end(token: str) -> bool:
    return end_digest(digest(token))


def end_digest(session_digest: str) -> bool:
    with store.writing() as con:
        ended = con.execute(delete(store.sessions).where(store.sessions.c.session_digest == session_digest)).rowcount
        con.execute(delete(store.csrf_tokens).where(store.csrf_tokens.c.binding == session_digest))
    return bool(ended)


def end_user(username: str) -> int:
    """End every session of one user; returns how many there were."""
    with store.writing() as con:
        return con.execute(delete(store.sessions).where(store.sessions.c.username == username)).rowcount


def end_all() -> int:
    with store.writing() as con:
        return con.execute(delete(store.sessions)).rowcount


def live_sessions(config: AuthConfig) -> list[Session]:
    """Sessions that have not yet expired, newest first."""
    now = time.time()
    table = store.sessions
    with store.reading() as con:
        rows = con.execute(
            select(table)
            .where(table.c.created_at >= now - config.session_max_seconds,
                   table.c.last_seen_at >= now - config.session_idle_seconds)
            .order_by(table.c.last_seen_at.desc())
        ).all()
    return [Session(r.session_digest, r.username, r.created_at, r.last_seen_at, r.client_address) for r in rows]


def _purge_expired(con, config: AuthConfig, now: float) -> None:
    table = store.sessions
    con.execute(delete(table).where(or_(table.c.created_at < now - config.session_max_seconds,
                                        table.c.last_seen_at < now - config.session_idle_seconds)))


# --- single-use form tokens ----------------------------------------------------------------------


def issue_form_token(purpose: str, binding: str) -> str:
    """A token for one form, valid once, for the browser ``binding`` identifies."""
    token = new_token()
    now = time.time()
    table = store.csrf_tokens
    with store.writing() as con:
        con.execute(delete(table).where(table.c.expires_at < now))
        con.execute(table.insert().values(token_digest=digest(token), binding=binding, purpose=purpose,
                                          expires_at=now + TOKEN_LIFETIME))
        newest = con.execute(
            select(table.c.token_digest).where(table.c.binding == binding)
            .order_by(table.c.expires_at.desc()).limit(TOKENS_PER_BINDING)).scalars().all()
        con.execute(delete(table).where(table.c.binding == binding, table.c.token_digest.not_in(newest)))
    return token


def use_form_token(purpose: str, binding: str, token: str | None) -> bool:
    """True once for a live token issued for this purpose and browser; it is gone afterwards."""
    if not token or not binding or len(token) > 256:
        return False
    table = store.csrf_tokens
    with store.writing() as con:
        used = con.execute(delete(table).where(
            table.c.token_digest == digest(token), table.c.binding == binding, table.c.purpose == purpose,
            table.c.expires_at >= time.time(),
        )).rowcount
    return used == 1

"""Sign-in throttling, per account and per client address, in the state store so every web host counts
the same failures.

Each key (an account, an address) counts failed sign-ins. The first few are free; after that each further
failure makes the next attempt wait, twice as long each time (1 s, 2 s, 4 s…); at ``lock_at`` failures the
key is locked for ``lock_seconds``. An attempt that comes too early is refused with 429 before the password
is even checked, so waiting is the only way on. Failures are forgotten after ``forget_seconds`` without an
attempt; a successful sign-in clears its account's count and takes its own attempt off the address's.

The attempt is counted *before* the password is checked (and given back if it was right), in one locked
transaction per attempt: a burst of parallel guesses is counted one by one, not checked all at once
against the same count.

Accounts are keyed by a digest of the name typed (a password typed into the user-name box is never
stored), whether or not such a user exists, so the answers do not tell which names exist. An address
allows more failures than an account: an office's users may share one address.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from sqlalchemy import select

from app.auth import store


@dataclass(frozen=True)
class Policy:
    free: int              # failures allowed without any wait
    lock_at: int           # failures that lock the key
    first_delay: float     # seconds after the first failure past ``free``, doubling with each one
    lock_seconds: float
    forget_seconds: float  # a key with no attempt for this long starts again from nothing

    def delay(self, failures: int) -> float:
        if failures <= self.free:
            return 0.0
        if failures >= self.lock_at:
            return self.lock_seconds
        return min(self.first_delay * 2 ** (failures - self.free - 1), self.lock_seconds)


ACCOUNT = Policy(free=3, lock_at=10, first_delay=1.0, lock_seconds=15 * 60, forget_seconds=60 * 60)
ADDRESS = Policy(free=10, lock_at=30, first_delay=1.0, lock_seconds=15 * 60, forget_seconds=60 * 60)


def account_key(username: str) -> str:
    return "account:" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def address_key(address: str) -> str:
    return "address:" + address[:64]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0  # seconds until the next attempt is allowed (when not allowed)


def begin_attempt(keys: list[tuple[str, Policy]]) -> Verdict:
    """Refuse the attempt if any key must still wait; otherwise count it as a failure on every key (given
    back by ``succeeded``)."""
    table = store.sign_in_throttle
    with store.writing() as con:
        rows = {}
        for key, _policy in keys:
            store.insert_ignoring_existing(con, table, throttle_key=key, failures=0, last_attempt_at=time.time(),
                                           next_allowed_at=0.0)
            rows[key] = con.execute(select(table).where(table.c.throttle_key == key).with_for_update()).one()
        now = time.time()  # read once the rows are ours: an attempt that waited for them is later, not earlier
        wait = max(row.next_allowed_at - now for row in rows.values())
        if wait > 0:
            return Verdict(False, wait)
        for key, policy in keys:
            row = rows[key]
            failures = 0 if now - row.last_attempt_at > policy.forget_seconds else row.failures
            failures += 1
            con.execute(table.update().where(table.c.throttle_key == key).values(
                failures=failures, last_attempt_at=now, next_allowed_at=now + policy.delay(failures)))
        con.execute(table.delete().where(table.c.last_attempt_at < now - max(p.forget_seconds for _k, p in keys),
                                         table.c.next_allowed_at < now))
    return Verdict(True)


def failures(key: str) -> int:
    with store.reading() as con:
        found = con.execute(select(store.sign_in_throttle.c.failures)
                            .where(store.sign_in_throttle.c.throttle_key == key)).scalar()
    return int(found or 0)


def locked(keys: list[tuple[str, Policy]]) -> bool:
    """Whether the failure just counted locked any of the keys (for the audit log)."""
    return any(failures(key) >= policy.lock_at for key, policy in keys)


def succeeded(account: str, others: list[tuple[str, Policy]]) -> None:
    """The attempt was right: its account starts again from nothing; the other keys get it back."""
    table = store.sign_in_throttle
    with store.writing() as con:
        con.execute(table.delete().where(table.c.throttle_key == account))
        for key, policy in others:
            row = con.execute(select(table).where(table.c.throttle_key == key).with_for_update()).first()
            if row is None:
                continue
            remaining = max(row.failures - 1, 0)
            con.execute(table.update().where(table.c.throttle_key == key).values(
                failures=remaining, next_allowed_at=row.last_attempt_at + policy.delay(remaining)))

"""The audit log: who opened which record-level view or export, who was refused one, and every sign-in,
failed sign-in, lock and sign-out; when, and with which filters. A tamper-evident chain in the state
store (``app.auth.store``), shared by every worker and web host.

Each entry carries the hash of the entry before it (``prev_hash``) and its own hash over its content and
that link (``row_hash``); entries are numbered 1, 2, 3… with no gaps, and a one-row head records the
newest number and hash. Appending locks the head, so entries chain one at a time whichever worker or host
writes them. ``verify_chain`` (``daperf audit verify``) recomputes every hash and reports the first entry
changed, missing or out of its place. The database also refuses UPDATE and DELETE on the log (triggers),
but the file's owner or a database superuser could drop those: the chain is what makes a change show.

Entries hold the user, role, action, view and the filters (codes, dates) — never a person's identifier or
a pseudonymised reference: ``record`` refuses a filter value that looks like one.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Mapping

from sqlalchemy import select

from app.auth import store
from app.auth.hardening import HEX_TOKEN
from app.auth.policy import Principal

# view, export, refused: record-level views. The rest: signing in and out (view "sign-in").
RECORD_ACTIONS = ("view", "export", "refused")
SIGN_IN_ACTIONS = ("sign_in", "sign_in_failed", "sign_in_locked", "sign_out", "session_ended")
ACTIONS = RECORD_ACTIONS + SIGN_IN_ACTIONS
_FILTER_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
UNKNOWN_USER = "(not a user)"  # what a failed sign-in with a user name nobody has is logged as
NO_ROLE = "none"


def _clean_filters(filters: Mapping[str, Any]) -> str:
    cleaned: dict[str, Any] = {}
    for key, value in sorted(filters.items()):
        if not _FILTER_KEY.match(key):
            raise ValueError(f"Audit filter names are short lower-case words, not {key!r}")
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, (list, tuple, frozenset, set)):
            value = sorted(str(v) for v in value)
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            raise ValueError(f"Audit filter {key!r} must be a code, date or number")
        if HEX_TOKEN.search(json.dumps(value)):
            raise ValueError(f"Audit filter {key!r} looks like a person's reference; the log keeps filters only")
        cleaned[key] = value
    return json.dumps(cleaned, sort_keys=True)


def entry_hash(seq: int, occurred_at: str, username: str, role: str, demo: bool, action: str, view: str,
               filters: str, prev_hash: str) -> str:
    """SHA-256 of an entry's content and the hash of the entry before it (canonical JSON)."""
    payload = json.dumps([seq, occurred_at, username, role, bool(demo), action, view, filters, prev_hash],
                         separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def record(principal: Principal, action: str, view: str, filters: Mapping[str, Any]) -> None:
    """Append one entry for a signed-in principal. ``action``: one of ``ACTIONS``; ``view``: what was
    opened (a short name)."""
    record_event(principal.username, principal.role, action, view, filters, demo=principal.demo)


def record_event(username: str, role: str, action: str, view: str, filters: Mapping[str, Any], *,
                 demo: bool = False) -> int:
    """Append one entry (also for someone not signed in: a failed sign-in); returns its number."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}; expected one of {', '.join(ACTIONS)}")
    if HEX_TOKEN.search(view):
        raise ValueError("An audit view name must not carry a reference")
    filters_json = _clean_filters(filters)
    with store.writing() as con:
        head = con.execute(
            select(store.audit_head.c.seq, store.audit_head.c.row_hash)
            .where(store.audit_head.c.id == 1).with_for_update()
        ).one()
        occurred_at = datetime.now(timezone.utc).isoformat(timespec="seconds")  # in chain order
        seq = int(head.seq) + 1
        row_hash = entry_hash(seq, occurred_at, username, role, demo, action, view, filters_json, head.row_hash)
        con.execute(store.audit_log.insert().values(
            seq=seq, occurred_at=occurred_at, username=username, role=role, demo=bool(demo), action=action,
            view=view, filters=filters_json, prev_hash=head.row_hash, row_hash=row_hash,
        ))
        con.execute(store.audit_head.update().where(store.audit_head.c.id == 1).values(seq=seq, row_hash=row_hash))
    return seq


@dataclass(frozen=True)
class AuditEntry:
    audit_id: int  # the entry's number in the chain
    occurred_at: str
    username: str
    role: str
    demo: bool
    action: str
    view: str
    filters: dict[str, Any]


def read_audit(
    limit: int = 200, *, username: str | None = None, action: str | None = None, since: str | None = None
) -> list[AuditEntry]:
    """The newest ``limit`` entries (optionally one user's, one action's, or since a UTC ISO time)."""
    log = store.audit_log
    query = select(log.c.seq, log.c.occurred_at, log.c.username, log.c.role, log.c.demo, log.c.action,
                   log.c.view, log.c.filters)
    if username is not None:
        query = query.where(log.c.username == username)
    if action is not None:
        query = query.where(log.c.action == action)
    if since is not None:
        query = query.where(log.c.occurred_at >= since)
    with store.reading() as con:
        rows = con.execute(query.order_by(log.c.seq.desc()).limit(int(limit))).all()
    return [AuditEntry(int(r.seq), r.occurred_at, r.username, r.role, bool(r.demo), r.action, r.view,
                       json.loads(r.filters)) for r in rows]


@dataclass(frozen=True)
class ChainReport:
    entries: int               # entries checked and found sound
    head_hash: str             # the newest entry's hash (record it elsewhere to detect a rewrite later)
    problem: str | None = None  # the first broken or missing link, in words
    broken_at: int | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(batch: int = 2_000, anchor: str | None = None) -> ChainReport:
    """Walk the log from entry 1 and report the first entry that is missing, out of place, changed after it
    was written, or not linked to the one before; then check the log ends where its head says, and that
    ``anchor`` (an entry's hash recorded elsewhere earlier) is still in it."""
    log = store.audit_log
    expected, previous_hash = 1, store.GENESIS_HASH
    anchor_found = anchor is None
    with store.reading() as con:
        head = con.execute(select(store.audit_head.c.seq, store.audit_head.c.row_hash)
                           .where(store.audit_head.c.id == 1)).one()
        while True:
            rows = con.execute(select(log).where(log.c.seq >= expected).order_by(log.c.seq).limit(batch)).all()
            for row in rows:
                seq = int(row.seq)
                if seq != expected:
                    return ChainReport(expected - 1, previous_hash,
                                       f"entry {expected:,} is missing (the next entry is {seq:,})", expected)
                if row.prev_hash != previous_hash:
                    return ChainReport(expected - 1, previous_hash,
                                       f"entry {seq:,} does not link to entry {seq - 1:,}: an entry before it was "
                                       "changed, removed or inserted", seq)
                recomputed = entry_hash(seq, row.occurred_at, row.username, row.role, row.demo, row.action,
                                        row.view, row.filters, row.prev_hash)
                if recomputed != row.row_hash:
                    return ChainReport(expected - 1, previous_hash,
                                       f"entry {seq:,} was changed after it was written", seq)
                anchor_found = anchor_found or row.row_hash == anchor
                previous_hash, expected = row.row_hash, expected + 1
            if len(rows) < batch:
                break
    last = expected - 1
    if int(head.seq) != last or head.row_hash != previous_hash:
        missing_from = last + 1
        if int(head.seq) > last:
            problem = f"entries {missing_from:,} to {int(head.seq):,} are missing (the log's head records {int(head.seq):,})"
        else:
            problem = f"the log's head records entry {int(head.seq):,} but the log holds {last:,} entries"
        return ChainReport(last, previous_hash, problem, missing_from)
    if not anchor_found:
        return ChainReport(last, previous_hash, f"the hash recorded earlier ({anchor}) is in no entry: the log was "
                           "rewritten since", 1)
    return ChainReport(last, previous_hash)

"""The administrator's commands over the state store: ``daperf sessions list|end USER|end-all`` and
``daperf audit verify``. Words for a person at a terminal; the work is ``sessions`` and ``audit``'s."""
from __future__ import annotations

import getpass

import typer

from app.auth import audit, sessions, store
from app.auth.users import find_user
from daperf.config import auth_config
from metrics.formatting import format_datetime
from reference.vocabulary import label


def _when(epoch_seconds: float) -> str:
    from datetime import datetime

    return format_datetime(datetime.fromtimestamp(epoch_seconds), with_year=True)


def print_sessions() -> None:
    live = sessions.live_sessions(auth_config())
    if not live:
        typer.echo(f"No one is signed in ({store.describe()}).")
        return
    typer.echo(f"{len(live)} live session{'s' if len(live) != 1 else ''} ({store.describe()}), latest request first:")
    for session in live:
        user = find_user(session.username)
        role = label("role", user.role) if user else "no longer a user"
        typer.echo(f"  {session.username} ({role}): signed in {_when(session.created_at)}, "
                   f"last request {_when(session.last_seen_at)}, from {session.client_address or 'an unknown address'}")


def end_sessions(username: str | None) -> None:
    """End one user's sessions (``username``) or everyone's (None), and audit it."""
    operator = {"by": getpass.getuser()[:40].lower() or "unknown"}
    if username is None:
        ended = sessions.end_all()
        audit.record_event("everyone", audit.NO_ROLE, "session_ended",
                           "sessions", operator)
        typer.echo(f"Ended {ended} session{'s' if ended != 1 else ''}: everyone signs in again.")
        return
    ended = sessions.end_user(username)
    user = find_user(username)
    audit.record_event(username, user.role if user else audit.NO_ROLE, "session_ended", "sessions", operator)
    typer.echo(f"Ended {ended} session{'s' if ended != 1 else ''} of {username}.")


def verify_audit(anchor: str | None = None) -> int:
    """Print what ``audit.verify_chain`` found; 0 when the chain is whole, 1 when it is broken."""
    report = audit.verify_chain(anchor=anchor)
    where = store.describe()
    if report.intact:
        typer.echo(f"The audit log is intact: {report.entries:,} entries, each linked to the one before "
                   f"({where}).\nNewest entry's hash: {report.head_hash}\n"
                   "Keep that hash somewhere else and pass it to a later check (--anchor): if the log is rewritten "
                   "it will no longer be found.")
        return 0
    typer.echo(f"The audit log is broken: {report.problem}. Entries 1 to {report.entries:,} are sound ({where}).",
               err=True)
    return 1

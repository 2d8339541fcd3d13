"""The `daperf` command line. Each command is a thin shell over the module that does the work."""
from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from daperf.config import settings

app = typer.Typer(
    help="Domestic abuse performance analytics: load extracts, compute the measures, serve the dashboard.",
    no_args_is_help=True,
    add_completion=False,
)


class Scale(str, Enum):
    force = "force"
    national = "national"


class Level(str, Enum):
    force = "force"
    division = "division"
    csp = "csp"


class Format(str, Enum):
    json = "json"
    csv = "csv"


@app.command("demo-data")
def demo_data(
    out_dir: Path = typer.Argument(..., help="Folder to write the extracts and reference tables into."),
    seed: int = typer.Option(20231, help="Random seed: the same seed gives the same files."),
    years: int = typer.Option(3, min=1, max=10, help="Years of data, ending the day before --end."),
    scale: Scale = typer.Option(Scale.force, help="force: the Essex demo force; national: all 43 forces."),
    end: Optional[str] = typer.Option(
        None, "--end", help="YYYY-MM-DD: the data runs up to midnight starting this day (default: today)."
    ),
    comparators: bool = typer.Option(
        True, "--comparators/--no-comparators",
        help="Also write comparators.csv (every force's figures, from a synthetic national run: a few minutes) "
             "and msg.csv (illustrative most similar groups).",
    ),
) -> None:
    """Write a synthetic force's five extracts and reference tables in the contract's CSV format, with
    comparator figures for every force of England and Wales and illustrative most similar groups."""
    from etl.demo import generate

    try:
        end_day = date.fromisoformat(end) if end else None
    except ValueError:
        raise typer.BadParameter(f"{end!r} is not a date: use YYYY-MM-DD.", param_hint="--end") from None
    generate(out_dir, seed=seed, years=years, scale=scale.value, end=end_day)
    if comparators:
        from etl import demo_comparators

        if scale == Scale.force:
            demo_comparators.write_demo_comparators(out_dir, seed=seed, years=years, end=end_day or date.today())
        else:  # the national set's comparators come from its own records; only the groups are needed
            demo_comparators.write_illustrative_groups(out_dir)
    from app.auth.demo import write_manifest

    write_manifest(out_dir)  # last: `serve --demo` serves only databases loaded from these very files


@app.command("load")
def load(
    source_dir: Path = typer.Argument(..., help="A batch: a folder of files named after their tables."),
    db: Path = typer.Option(None, "--db", help="DuckDB file to load into (default: $DAPERF_DB)."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="Column-mapping file (TOML)."),
) -> None:
    """Validate and load a batch; print what was read, inserted, updated and quarantined.

    Exits non-zero when a file is refused (the database is then unchanged).
    """
    from etl.load import run_load_cli

    raise typer.Exit(run_load_cli(source_dir, db or settings().db_path, mapping))


@app.command("metrics")
def metrics(
    db: Path = typer.Option(None, "--db", help="DuckDB file (default: $DAPERF_DB)."),
    level: Level = typer.Option(Level.force, help="force, division or csp."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First day, YYYY-MM-DD (default: rolling 12 months)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last day, YYYY-MM-DD, inclusive."),
    fmt: Format = typer.Option(Format.json, "--format", help="json or csv."),
    suppress: bool = typer.Option(False, "--suppress", help="Small-number suppression for partnership/public audiences."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to a file instead of standard output."),
) -> None:
    """Every metric in the registry for a level and period, one row per metric, unit and breakdown."""
    from metrics.export import run_metrics_cli

    run_metrics_cli(db or settings().db_path, level.value, date_from, date_to, fmt.value, suppress, out)


class DefinitionsFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command("export-comparators")
def export_comparators(
    out: Path = typer.Argument(..., help="CSV file to write, in the comparators format (docs/COMPARATORS.md)."),
    db: Path = typer.Option(None, "--db", help="DuckDB file (default: $DAPERF_DB)."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First day, YYYY-MM-DD (default: rolling 12 months)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last day, YYYY-MM-DD, inclusive."),
    force: Optional[str] = typer.Option(
        None, "--force", help="The force's ONS code (default: $DAPERF_HOME_FORCE, or the database's only force)."),
) -> None:
    """Write the force's own figures for a period in the comparator format, small numbers suppressed as
    for a partnership audience, for other forces to load beside theirs (no record leaves the force)."""
    from metrics.comparators import write_export

    try:
        rows = write_export(db or settings().db_path, out, date_from, date_to, force or settings().home_force)
    except (ValueError, FileNotFoundError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Wrote {rows} figures to {out}", err=True)


@app.command("definitions")
def definitions(
    fmt: DefinitionsFormat = typer.Option(DefinitionsFormat.text, "--format",
                                          help="text (for a terminal or a pipe), markdown or json."),
) -> None:
    """Print every measure: its question, what is counted, out of what, and its source."""
    from metrics.export import print_definitions

    print_definitions(fmt.value)


@app.command("rebuild-marts")
def rebuild_marts(
    db: Path = typer.Option(None, "--db", help="DuckDB file (default: $DAPERF_DB)."),
) -> None:
    """Rebuild the marts of a loaded database with the thresholds in force now (after changing one),
    without reloading the extracts. Readers see the old marts until the new ones are complete."""
    from etl.marts import rebuild_marts as rebuild

    path = db or settings().db_path
    try:
        rebuild(path)
    except FileNotFoundError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Rebuilt the marts of {path}.")


@app.command("serve")
def serve(
    db: Path = typer.Option(None, "--db", help="DuckDB file (default: $DAPERF_DB)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8050, help="Port to listen on."),
    debug: bool = typer.Option(False, help="Dash debug mode (never in production)."),
    demo: bool = typer.Option(
        False, help="Sign every visitor in as the demo user, whose role every page names. Only on the "
                    "project's demo database (`make run` builds it) and a loopback address."
    ),
) -> None:
    """Serve the dashboard."""
    from app.auth.demo import DemoRefused
    from app.server import serve as serve_app

    try:
        serve_app(db or settings().db_path, host=host, port=port, debug=debug, demo=demo)
    except DemoRefused as refused:
        typer.echo(f"Not served: {refused}", err=True)
        raise typer.Exit(2) from refused


@app.command("add-user")
def add_user(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., help="chief_officer, coordinator, division_lead, partnership or analyst."),
    units: str = typer.Option("", help="Comma-separated division or CSP codes the user is scoped to."),
    forces: str = typer.Option("", help="Comma-separated forces (ONS codes) whose records the user may see "
                                        "besides the home force."),
    single_sign_on: bool = typer.Option(False, "--single-sign-on",
                                        help="No password: the user signs in through the force's proxy."),
    users_file: Path = typer.Option(None, "--users-file",
                                    help="A TOML users file (default: $DAPERF_USERS_FILE, else the state store)."),
) -> None:
    """Add (or replace) a user; the password is asked for and stored as an argon2 hash. Any session of
    theirs ends: a new password or role takes effect at once."""
    from app.auth.users import add_user_cli

    add_user_cli(username, role, units, forces, users_file, sso_only=single_sign_on)


@app.command("remove-user")
def remove_user(
    username: str = typer.Argument(...),
    users_file: Path = typer.Option(None, "--users-file",
                                    help="A TOML users file (default: $DAPERF_USERS_FILE, else the state store)."),
) -> None:
    """Remove a user; any session of theirs ends at once."""
    from app.auth.users import remove_user as remove

    if not remove(username, path=users_file):
        typer.echo(f"There is no user {username!r}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"{username} removed; any session of theirs has ended.")


sessions_app = typer.Typer(help="Signed-in sessions (standalone sign-in), in the state store every web host shares.",
                           no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")


@sessions_app.command("list")
def sessions_list() -> None:
    """Every live session: user, role, signed in, last request, address."""
    from app.auth.admin import print_sessions

    print_sessions()


@sessions_app.command("end")
def sessions_end(username: str = typer.Argument(..., help="The user whose sessions end.")) -> None:
    """End every session of one user, at once, on every web host."""
    from app.auth.admin import end_sessions

    end_sessions(username)


@sessions_app.command("end-all")
def sessions_end_all() -> None:
    """End every session, at once, on every web host: everyone signs in again."""
    from app.auth.admin import end_sessions

    end_sessions(None)


audit_app = typer.Typer(help="The audit log (a hash chain in the state store).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    anchor: Optional[str] = typer.Option(None, "--anchor", help="An entry's hash printed by an earlier check: "
                                                                  "it must still be in the log."),
) -> None:
    """Recompute the audit log's hash chain; report the first entry changed, missing or out of place.
    Exits 1 when the chain is broken."""
    from app.auth.admin import verify_audit

    raise typer.Exit(verify_audit(anchor))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

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
) -> None:
    """Write a synthetic force's five extracts and reference tables in the contract's CSV format."""
    from etl.demo import generate

    try:
        end_day = date.fromisoformat(end) if end else None
    except ValueError:
        raise typer.BadParameter(f"{end!r} is not a date: use YYYY-MM-DD.", param_hint="--end") from None
    generate(out_dir, seed=seed, years=years, scale=scale.value, end=end_day)


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
        False, help="Sign every visitor in as the demo user (demo data only; said on every page)."
    ),
) -> None:
    """Serve the dashboard."""
    from app.server import serve as serve_app

    serve_app(db or settings().db_path, host=host, port=port, debug=debug, demo=demo)


@app.command("add-user")
def add_user(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., help="chief_officer, coordinator, division_lead, partnership or analyst."),
    units: str = typer.Option("", help="Comma-separated division or CSP codes the user is scoped to."),
    users_file: Path = typer.Option(None, "--users-file", help="Users file (default: $DAPERF_USERS_FILE)."),
) -> None:
    """Add (or replace) a standalone user; the password is asked for and stored as an argon2 hash."""
    from app.auth.users import add_user_cli

    add_user_cli(users_file or settings().users_file, username, role, units)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

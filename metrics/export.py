"""The machine-readable export (`daperf metrics`) and the printed registry (`daperf definitions`)."""
from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from daperf.db import DatabaseMissing, connect_readonly
from metrics.compute import compute
from metrics.periods import default_period, parse_day
from metrics.registry import METRICS, NOT_YET_MEASURED


def _json_value(value):
    """A cell as JSON wants it: null for missing, ISO dates, plain ints and floats."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _json_value(value.item())
    return value


def to_json(frame: pd.DataFrame) -> str:
    records = [{column: _json_value(value) for column, value in zip(frame.columns, row)}
               for row in frame.itertuples(index=False, name=None)]
    return json.dumps(records, indent=1, ensure_ascii=False)


def resolve_period(date_from: str | None, date_to: str | None, today: date | None = None) -> tuple[date, date]:
    """The period asked for; a missing end takes the default rolling 12 months' end."""
    default_from, default_to = default_period(today or date.today())
    period_from = parse_day(date_from) if date_from else default_from
    period_to = parse_day(date_to) if date_to else default_to
    if period_to < period_from:
        raise ValueError(f"--to {period_to} is before --from {period_from}.")
    return period_from, period_to


def run_metrics_cli(db_path: str | Path, level: str, date_from: str | None, date_to: str | None, fmt: str,
                    suppress: bool, out: Path | None) -> None:
    """Print (or write to ``out``) every metric for a level and period as JSON or CSV."""
    try:
        period_from, period_to = resolve_period(date_from, date_to)
        con = connect_readonly(db_path)
    except (ValueError, DatabaseMissing) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        frame = compute(con, level, period_from, period_to)
    finally:
        con.close()
    if suppress:
        from metrics.suppression import suppress as suppress_small_numbers

        frame = suppress_small_numbers(frame)
    text = to_json(frame) + "\n" if fmt == "json" else frame.to_csv(index=False, date_format="%Y-%m-%d")
    if out is None:
        sys.stdout.write(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {len(frame)} rows to {out}", err=True)


def print_definitions(console: Console | None = None) -> None:
    """The registry as a readable table, then the measures no extract feeds yet."""
    console = console or Console()
    table = Table(title="Domestic abuse performance measures", show_lines=True)
    table.add_column("id", no_wrap=True)
    for column in ("name", "question", "numerator", "denominator", "better", "source"):
        table.add_column(column, overflow="fold")
    for metric in METRICS.values():
        better = metric.better
        if metric.target is not None:
            better = f"{better} {metric.target}"
        table.add_row(metric.id, metric.name, metric.question, metric.numerator, metric.denominator or "—",
                      better, metric.source)
    console.print(table)
    missing = Table(title="Not yet measured (no extract feeds them)", show_lines=True)
    for column in ("measure", "source", "why"):
        missing.add_column(column, overflow="fold")
    for item in NOT_YET_MEASURED:
        missing.add_row(item.name, item.source, item.why)
    console.print(missing)

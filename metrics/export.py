"""The machine-readable export (`daperf metrics`) and the printed registry (`daperf definitions`)."""
from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import typer

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
    """One JSON object per row: null for missing, ISO dates, plain numbers (and a suppression mark as the
    string it is). A plain export (a national one has 250,000 rows) is written by DuckDB's JSON writer; a
    protected one, whose cells mix numbers and marks, cell by cell."""
    numeric = ("numerator", "denominator", "value", "ci_low", "ci_high")
    if all(pd.api.types.is_numeric_dtype(frame[c]) for c in numeric if c in frame):
        return _duckdb_json(frame)
    out = frame.astype(object).where(frame.notna(), None)
    for column in out.columns:
        if len(out) and isinstance(out[column].iloc[0], (date, datetime)):
            out[column] = out[column].map(_json_value)
    return json.dumps(out.to_dict("records"), indent=1, ensure_ascii=False, default=_json_value)


def _duckdb_json(frame: pd.DataFrame) -> str:
    import tempfile

    import duckdb

    with tempfile.TemporaryDirectory(prefix="daperf-export-") as folder:
        path = Path(folder) / "export.json"
        con = duckdb.connect()
        try:
            con.register("export_frame", frame)
            con.execute("COPY (SELECT * FROM export_frame) TO $path (FORMAT JSON, ARRAY true)", {"path": str(path)})
        finally:
            con.close()
        return path.read_text(encoding="utf-8")


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


def definitions_records() -> list[dict]:
    """The registry as plain records: what /definitions, ``daperf definitions`` and the packs all say."""
    from metrics.formatting import format_reference
    from metrics.registry import indicator_of
    from reference.vocabulary import label

    records = []
    for metric in METRICS.values():
        indicator = indicator_of(metric.id)
        records.append({
            "id": metric.id, "name": metric.name,
            "indicator": f"{indicator.number}. {indicator.title}" if indicator else "Other measures",
            "question": metric.question, "counts": metric.counts, "out_of": metric.out_of,
            "shown_as": metric.unit, "better": label("better", metric.better), "source": metric.source,
            "reference": format_reference(metric), "small_numbers": metric.suppression,
        })
    for item in NOT_YET_MEASURED:
        records.append({"id": None, "name": item.name, "indicator": "Not yet measured", "question": item.why,
                        "counts": None, "out_of": None, "shown_as": None, "better": None, "source": item.source,
                        "reference": None, "small_numbers": None})
    return records


_FIELDS = (("question", "Question"), ("counts", "What is counted"), ("out_of", "Out of"), ("shown_as", "Shown as"),
           ("better", "Which way is better"), ("reference", "Reference"), ("source", "Source"))


def definitions_text(fmt: str = "text", width: int = 80) -> str:
    """The registry as text that reads on an 80-column terminal and when piped (paragraphs wrapped to
    ``width``, no table), as Markdown, or as JSON."""
    import textwrap

    records = definitions_records()
    if fmt == "json":
        return json.dumps(records, indent=1, ensure_ascii=False) + "\n"
    lines: list[str] = []
    heading = None
    for record in records:
        if record["indicator"] != heading:
            heading = record["indicator"]
            lines += (["", f"## {heading}", ""] if fmt == "markdown" else ["", heading, "=" * min(width, len(heading))])
        title = record["name"] + (f" ({record['id']})" if record["id"] else "")
        if fmt == "markdown":
            lines += [f"### {title}", ""]
            lines += [f"- **{name}:** {record[key]}" for key, name in _FIELDS if record.get(key)]
            lines.append("")
        else:
            lines += ["", title, "-" * min(width, len(title))]
            for key, name in _FIELDS:
                if record.get(key):
                    lines += textwrap.wrap(f"{name}: {record[key]}", width=width, subsequent_indent="    ")
    return "\n".join(lines).lstrip("\n") + "\n"


def print_definitions(fmt: str = "text") -> None:
    sys.stdout.write(definitions_text(fmt))

"""`daperf metrics` and `daperf definitions` end to end, on a temporary DuckDB file."""
from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest
from typer.testing import CliRunner

from cli.main import app
from daperf.db import ensure_schema
from metrics.registry import METRICS
from tests.metrics.conftest import ForceBuilder

runner = CliRunner()


@pytest.fixture
def force_db(tmp_path):
    path = tmp_path / "force.duckdb"
    con = duckdb.connect(str(path))
    ensure_schema(con)
    b = ForceBuilder(con)
    for number in range(12):  # 12 incidents in C1, two of them in C3
        b.incident(f"2025-03-{number + 1:02d} 10:00", victim=f"v{number}", csp="C3" if number < 2 else "C1")
    b.dvds("2025-03-01 10:00", route="right_to_know", initial_checks_at="2025-03-01 12:00")
    assert b.con is con  # the marts built, as a load builds them
    con.close()
    return path


def metrics_cli(*args):
    return runner.invoke(app, ["metrics", *args])


def test_json_export_has_a_row_per_metric_unit_and_breakdown(force_db):
    result = metrics_cli("--db", str(force_db), "--level", "csp", "--from", "2025-01-01", "--to", "2025-12-31")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    headline = {(r["metric_id"], r["unit_code"]): r for r in rows if r["breakdown"] is None}
    assert {mid for mid, _ in headline} == set(METRICS)
    assert headline[("incidents", "C1")]["numerator"] == 10
    assert headline[("incidents", "C1")]["denominator"] is None
    assert headline[("incidents", "C1")]["value"] == 10
    assert headline[("incidents", "C3")]["period_from"] == "2025-01-01"
    # 12 whole months, not annualised: 10 incidents / (10,000 / 1,000).
    assert headline[("incidents_per_1000", "C1")]["value"] == pytest.approx(10 / 10)
    route = [r for r in rows if r["metric_id"] == "dvds_applications" and r["breakdown"] == "route"]
    assert [(r["unit_code"], r["breakdown_value"], r["numerator"]) for r in route] == [("C1", "right_to_know", 1)]
    assert {"metric_id", "level", "unit_code", "period_from", "period_to", "breakdown", "breakdown_value",
            "numerator", "denominator", "value"} <= set(rows[0])


def test_csv_export_to_a_file_with_suppression(force_db, tmp_path):
    out = tmp_path / "metrics.csv"
    result = metrics_cli("--db", str(force_db), "--level", "csp", "--from", "2025-01-01", "--to", "2025-12-31",
                         "--format", "csv", "--suppress", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    c3 = next(r for r in rows if r["metric_id"] == "incidents" and r["unit_code"] == "C3" and not r["breakdown"])
    assert c3["numerator"] == "<5"  # two incidents: a count from 1 to 4
    c1 = next(r for r in rows if r["metric_id"] == "incidents" and r["unit_code"] == "C1" and not r["breakdown"])
    assert c1["numerator"] == "10"


def test_default_period_and_errors(force_db, tmp_path):
    result = metrics_cli("--db", str(force_db))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["level"] == "force"
    missing = metrics_cli("--db", str(tmp_path / "none.duckdb"))
    assert missing.exit_code == 2
    assert "daperf load" in missing.output
    bad = metrics_cli("--db", str(force_db), "--from", "2025-13-01")
    assert bad.exit_code == 2
    assert "YYYY-MM-DD" in bad.output


def test_definitions_prints_the_registry_readably_on_80_columns_and_in_a_pipe():
    result = runner.invoke(app, ["definitions"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    for metric_id in ("arrest_rate_where_power", "marac_share_aged_16_17", "attendance_within_target_rate"):
        assert metric_id in result.output
    assert "Not yet measured" in result.output
    assert "Arrest where a power of arrest existed" in result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    # Words are wrapped whole, never a letter at a time.
    assert not [line for line in lines if 0 < len(line.strip()) <= 2]


def test_definitions_as_markdown_and_json():
    markdown = runner.invoke(app, ["definitions", "--format", "markdown"])
    assert markdown.exit_code == 0
    assert "### Arrest where a power of arrest existed (arrest_rate_where_power)" in markdown.output
    assert "- **Which way is better:** Higher is better" in markdown.output
    records = json.loads(runner.invoke(app, ["definitions", "--format", "json"]).output)
    by_id = {r["id"]: r for r in records if r["id"]}
    assert set(by_id) == set(METRICS)
    assert by_id["charge_rate"]["out_of"] == "Crimes given an outcome in the period."
    assert [r["name"] for r in records if r["indicator"] == "Not yet measured"]

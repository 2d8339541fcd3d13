"""`make bench`: load and query timings for the README, on this machine.

1. Generates (once; cached in ``data/bench/<dataset>``) the Essex demo force and the national set of all
   43 forces (four years, about seven million rows).
2. Loads each with ``etl.load.run_load`` into a fresh DuckDB file, in a child process so that its peak
   resident memory is measured alone; prints rows, seconds, rows per second and peak memory.
3. If ``metrics.compute`` exists: times ``compute`` for the force, division and CSP levels over the
   rolling 12 months ending with the data's last complete month (in process, the work ``daperf metrics``
   does), and the ``daperf metrics`` command itself (a new process, start-up included). Target < 2 s.
4. If ``app.server`` exists: warms the cache as ``serve`` does at start-up (the default view, timed on
   its own), then times dashboard filter changes, POSTs to ``/_dash-update-component`` for the force
   overview's tiles through the Flask test client, each for 12 months not asked for before. Target
   < 0.5 s.

Prints markdown tables the lead can paste into the README, headed by the machine it ran on.
Usage: ``python scripts/bench.py [--only force|national] [--fresh]``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

BENCH_DIR = REPO_ROOT / "data" / "bench"
SEED = 20231
# name -> (scale, years). National: four years of 43 forces is about seven million rows.
DATASETS = {"force": ("force", 3), "national": ("national", 4)}
LEVELS = ("force", "division", "csp")
METRICS_TARGET_SECONDS = 2.0
FILTER_TARGET_SECONDS = 0.5


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# --- generation (cached) -------------------------------------------------------------------------


def _dataset(name: str, fresh: bool) -> tuple[Path, date]:
    """The dataset's folder, generated unless a complete one with the same seed and years is there."""
    from etl.demo import generate

    scale, years = DATASETS[name]
    folder = BENCH_DIR / name
    marker = folder / ".generated.json"
    wanted = {"seed": SEED, "years": years, "scale": scale}
    if not fresh and marker.exists():
        recorded = json.loads(marker.read_text())
        if {key: recorded.get(key) for key in wanted} == wanted:
            print(f"Using the {name} data generated for {recorded['end']} in {folder}")
            return folder, date.fromisoformat(recorded["end"])
    shutil.rmtree(folder, ignore_errors=True)
    end = date.today()
    generate(folder, seed=SEED, years=years, scale=scale, end=end)
    marker.write_text(json.dumps(wanted | {"end": end.isoformat()}))
    return folder, end


# --- child processes: each prints one JSON line ----------------------------------------------------


def _child(argv: list[str], env: dict[str, str]) -> dict:
    completed = subprocess.run([sys.executable, __file__, "--child", *argv], env=env, cwd=REPO_ROOT,
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"bench child {argv[0]} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _last_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kilobytes


def _child_load(source: str, db: str) -> dict:
    from etl.load import run_load

    started = time.perf_counter()
    summary = run_load(source, db, progress=False)
    seconds = time.perf_counter() - started
    rows = sum(f.rows_read for f in summary.files)
    quarantined = sum(f.quarantined for f in summary.files)
    return {"rows": rows, "quarantined": quarantined, "seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def _child_metrics(db: str, period_from: str, period_to: str) -> dict:
    from daperf.db import connect_readonly
    from metrics.compute import compute

    timings = {}
    con = connect_readonly(db)
    try:
        for level in LEVELS:
            started = time.perf_counter()
            frame = compute(con, level, date.fromisoformat(period_from), date.fromisoformat(period_to))
            timings[level] = {"seconds": time.perf_counter() - started, "rows": len(frame)}
    finally:
        con.close()
    return timings


def _child_dashboard(db: str, months: list[str]) -> dict:
    from app import ids
    from app.server import create_app, warm_cache

    app = create_app(db, demo=True)
    warm_started = time.perf_counter()
    warm_cache()  # what `serve` does in the background at start-up: the default view, once
    warm_seconds = time.perf_counter() - warm_started
    client = app.server.test_client()
    page = client.get("/", headers={"Accept": "text/html"})
    if page.status_code != 200:
        raise RuntimeError(f"GET / answered {page.status_code}")
    tiles = ids.page_id("overview", "tiles")

    def change_period(period_from: str, period_to: str) -> float:
        body = {
            "output": f"{tiles}.children",
            "outputs": {"id": tiles, "property": "children"},
            "inputs": [{"id": ids.filter_id("overview", "from"), "property": "value", "value": period_from},
                       {"id": ids.filter_id("overview", "to"), "property": "value", "value": period_to}],
            "state": [],
            "changedPropIds": [json.dumps(ids.filter_id("overview", "from"), separators=(",", ":")) + ".value"],
        }
        started = time.perf_counter()
        response = client.post("/_dash-update-component", json=body)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"the filter change answered {response.status_code}: {response.get_data(True)[:300]}")
        return seconds

    # Each change asks for a different 12 months, as a user stepping the "From" month back would.
    first = change_period(months[0], months[11])
    later = [change_period(months[i], months[i + 11]) for i in range(1, 4)]
    return {"warm": warm_seconds, "first": first, "median_next": statistics.median(later), "max_next": max(later)}


def _run_child(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "load":
        result = _child_load(*rest)
    elif kind == "metrics":
        result = _child_metrics(*rest)
    elif kind == "dashboard":
        result = _child_dashboard(rest[0], rest[1:])
    else:
        raise SystemExit(f"unknown child {kind!r}")
    print(json.dumps(result))


# --- the machine ---------------------------------------------------------------------------------


def _machine() -> str:
    import duckdb
    import psutil

    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gb = psutil.virtual_memory().total / 1024**3
    return (f"{os.cpu_count()} cores ({model}), {memory_gb:.0f} GB memory, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, DuckDB {duckdb.__version__}")


# --- the run -------------------------------------------------------------------------------------


def _months(end: date) -> list[str]:
    """``YYYY-MM`` keys: 15 months, the last being the last complete month before ``end``."""
    from metrics.periods import add_months, default_period

    _, last_day = default_period(end)
    first = add_months(last_day.replace(day=1), -14)
    return [f"{add_months(first, i):%Y-%m}" for i in range(15)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(DATASETS), help="bench one dataset only")
    parser.add_argument("--fresh", action="store_true", help="regenerate the data even if cached")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _run_child(args.child)
        return 0

    names = [args.only] if args.only else list(DATASETS)
    have_metrics = _available("metrics.compute") and _available("metrics.periods")
    have_app = _available("app.server")
    load_rows, metric_rows, dash_rows, notes = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="daperf-bench-") as scratch:
        env = dict(os.environ)
        # The data is synthetic: a throwaway pseudonymisation key and audit log, never the deployment's.
        env["DAPERF_KEY_FILE"] = str(Path(scratch) / "keys" / "pseudonymisation.key")
        env["DAPERF_AUDIT_DB"] = str(Path(scratch) / "audit.sqlite")
        for name in names:
            source, end = _dataset(name, args.fresh)
            db = Path(scratch) / f"{name}.duckdb"
            print(f"Loading {name} ...", flush=True)
            load = _child(["load", str(source), str(db)], env)
            print(f"  {load['rows']:,} rows in {load['seconds']:.1f} s, peak {load['peak_rss_mb']:,.0f} MB",
                  flush=True)
            load_rows.append(
                f"| {name} | {load['rows']:,} | {load['quarantined']:,} | {load['seconds']:.1f} | "
                f"{load['rows'] / load['seconds']:,.0f} | {load['peak_rss_mb']:,.0f} |"
            )
            if have_metrics:
                from metrics.periods import default_period

                period_from, period_to = default_period(end)
                print(f"Computing metrics on {name} ...", flush=True)
                try:
                    timings = _child(["metrics", str(db), period_from.isoformat(), period_to.isoformat()], env)
                except RuntimeError as exc:  # a part still being built must not lose the load figures
                    notes.append(f"Metrics timing failed on {name}: {_last_line(exc)}")
                    timings = {}
                for level in timings:
                    started = time.perf_counter()
                    cli = subprocess.run(
                        [sys.executable, "-m", "cli.main", "metrics", "--db", str(db), "--level", level,
                         "--from", period_from.isoformat(), "--to", period_to.isoformat(),
                         "--out", str(Path(scratch) / "metrics.json")],
                        env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                    )
                    cli_seconds = time.perf_counter() - started
                    if cli.returncode != 0:
                        notes.append(f"`daperf metrics --level {level}` failed on {name}: "
                                     f"{(cli.stderr.strip().splitlines() or ['no message'])[-1]}")
                    compute_seconds = timings[level]["seconds"]
                    verdict = "yes" if compute_seconds < METRICS_TARGET_SECONDS else "no"
                    metric_rows.append(
                        f"| {name} | {level} | {period_from} – {period_to} | {timings[level]['rows']:,} | "
                        f"{compute_seconds:.2f} | {cli_seconds:.2f} | {verdict} |"
                    )
            if have_app and have_metrics:
                print(f"Timing a dashboard filter change on {name} ...", flush=True)
                try:
                    dash = _child(["dashboard", str(db), *_months(end)], env)
                except RuntimeError as exc:
                    notes.append(f"Dashboard timing failed on {name}: {_last_line(exc)}")
                else:
                    verdict = "yes" if dash["median_next"] < FILTER_TARGET_SECONDS else "no"
                    dash_rows.append(f"| {name} | {dash['warm']:.2f} | {dash['first']:.2f} | "
                                     f"{dash['median_next']:.2f} | {dash['max_next']:.2f} | {verdict} |")
            db.unlink(missing_ok=True)
    if not have_metrics:
        notes.append("Metrics timing skipped: `metrics.compute` is not there yet.")
    if not have_app:
        notes.append("Dashboard timing skipped: `app.server` is not there yet.")

    print()
    print(f"Machine: {_machine()}.")
    print()
    print("| dataset | rows read | quarantined | load s | rows/s | peak memory MB |")
    print("|---|---:|---:|---:|---:|---:|")
    print("\n".join(load_rows))
    if metric_rows:
        print()
        print(f"| dataset | level | period | result rows | compute s | `daperf metrics` s (with start-up) | "
              f"< {METRICS_TARGET_SECONDS:g} s |")
        print("|---|---|---|---:|---:|---:|---|")
        print("\n".join(metric_rows))
    if dash_rows:
        print()
        print(f"| dataset | start-up warm-up s | first filter change s | median of next 3 s | slowest s | "
              f"< {FILTER_TARGET_SECONDS:g} s |")
        print("|---|---:|---:|---:|---:|---|")
        print("\n".join(dash_rows))
    for note in notes:
        print()
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())

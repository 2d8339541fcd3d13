"""The load against DuckDB's own reading of the same files, side by side in one run (issue 8, target 5).

Each round runs, one after the other and each in a fresh process writing a fresh database:

(a) the baseline: DuckDB's bare ``read_csv`` of every CSV file of the dataset into a table of its own
    (``CREATE TABLE t AS SELECT * FROM read_csv('t.csv')``, types guessed, nothing checked);
(b) ``daperf load`` of the same folder: every row typed, pseudonymised and checked by pandera, quarantine,
    upsert, audit, and the marts built, in one atomic write.

Rounds alternate (a, b, a, b, …) so that a machine whose speed drifts (a shared one) slows both alike; each
round's ratio b/a is reported and the median ratio is the figure to quote. Times are wall-clock seconds of
the whole process (start-up included, for both); peak memory is the process's maximum resident set as the
operating system accounts it (``wait4``). The target: b/a at most 2, b's peak under 4 GB.

    python scripts/bench_load.py DATASET_DIR [--rounds 3]

``measure(dataset_dir, rounds=3)`` returns the figures as a dict; ``table(figures)`` is the markdown the
README shows. ``scripts/bench.py`` calls both for ``make bench``.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 2.0
TARGET_PEAK_MB = 4096

# The baseline's child: every CSV file of the folder into a table of its own, then the row count.
_READ_CSV = """
import sys
from pathlib import Path
import duckdb
con = duckdb.connect(sys.argv[2])
rows = 0
for number, path in enumerate(sorted(Path(sys.argv[1]).glob("*.csv"))):
    con.execute(f"CREATE TABLE t{number} AS SELECT * FROM read_csv($path)", {"path": str(path)})
    rows += con.execute(f"SELECT count(*) FROM t{number}").fetchall()[0][0]
con.close()
print(rows)
"""


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak resident MB, standard output) of one child process, as the OS measured it."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(argv, stdout=out, stderr=err, cwd=REPO_ROOT, env=env, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:4])} … failed ({child.returncode}):\n{err.read()[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()  # Linux reports kilobytes


def machine() -> dict[str, object]:
    import duckdb
    import pandas
    import pandera

    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), model)
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {"cores": os.cpu_count(), "cpu": model, "memory_gb": round(memory_gb), "os": f"{platform.system()} "
            f"{platform.release()}", "python": platform.python_version(), "duckdb": duckdb.__version__,
            "pandas": pandas.__version__, "pandera": pandera.__version__,
            "load_average": [round(x, 1) for x in os.getloadavg()]}


def measure(dataset_dir: str | os.PathLike, rounds: int = 3, keep: str | os.PathLike | None = None) -> dict[str, object]:
    """Alternating rounds of (a) bare ``read_csv`` and (b) ``daperf load`` of ``dataset_dir``'s files.

    ``keep``: where to move the last round's loaded database, for the benchmarks that read it next.
    """
    dataset = Path(dataset_dir).resolve()
    if not any(dataset.glob("*.csv")):
        raise FileNotFoundError(f"No CSV files in {dataset}")
    figures: dict[str, object] = {"dataset": str(dataset), "machine": machine(), "rounds": []}
    with tempfile.TemporaryDirectory(prefix="daperf-bench-load-") as scratch:
        env = dict(os.environ)
        # Synthetic data: a throwaway pseudonymisation key, never the deployment's.
        env["DAPERF_KEY_FILE"] = str(Path(scratch) / "keys" / "pseudonymisation.key")
        for number in range(1, rounds + 1):
            folder = Path(scratch) / f"round-{number}"
            folder.mkdir()
            read_s, read_mb, out = _timed([sys.executable, "-c", _READ_CSV, str(dataset),
                                           str(folder / "read_csv.duckdb")], env)
            figures["rows"] = int(out.split()[-1])
            load_s, load_mb, _ = _timed([sys.executable, "-m", "cli.main", "load", str(dataset), "--db",
                                         str(folder / "daperf.duckdb")], env)
            figures["rounds"].append({"round": number, "read_csv_s": read_s, "read_csv_peak_mb": read_mb,
                                      "load_s": load_s, "load_peak_mb": load_mb, "ratio": load_s / read_s})
            if keep is not None and number == rounds:
                shutil.move(folder / "daperf.duckdb", keep)
            shutil.rmtree(folder)  # two national databases a round: free the disk before the next
    done = figures["rounds"]
    figures["median_ratio"] = statistics.median(r["ratio"] for r in done)
    figures["median_read_csv_s"] = statistics.median(r["read_csv_s"] for r in done)
    figures["median_load_s"] = statistics.median(r["load_s"] for r in done)
    figures["load_peak_mb"] = max(r["load_peak_mb"] for r in done)
    figures["meets_targets"] = figures["median_ratio"] <= TARGET_RATIO and figures["load_peak_mb"] < TARGET_PEAK_MB
    return figures


def machine_line(m: dict[str, object]) -> str:
    return (f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB memory, {m['os']}, Python {m['python']}, "
            f"DuckDB {m['duckdb']}, pandas {m['pandas']}, pandera {m['pandera']}; load average at the start "
            f"{', '.join(str(x) for x in m['load_average'])}.")


def table(figures: dict[str, object], with_machine: bool = True) -> str:
    """The figures as markdown: the machine (unless a caller prints it once), one row per round, the medians
    and the verdict."""
    lines = [machine_line(figures["machine"])] if with_machine else []
    lines += [
        f"{figures['rows']:,} rows in {len(list(Path(figures['dataset']).glob('*.csv')))} files.",
        "",
        "| round | DuckDB read_csv s | daperf load s | ratio load / read_csv | load peak memory MB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in figures["rounds"]:
        lines.append(f"| {r['round']} | {r['read_csv_s']:.1f} | {r['load_s']:.1f} | {r['ratio']:.2f} | "
                     f"{r['load_peak_mb']:,.0f} |")
    lines.append(f"| median | {figures['median_read_csv_s']:.1f} | {figures['median_load_s']:.1f} | "
                 f"{figures['median_ratio']:.2f} | {figures['load_peak_mb']:,.0f} (max) |")
    verdict = "met" if figures["meets_targets"] else "not met"
    lines += ["", f"Targets (ratio at most {TARGET_RATIO:g}, peak under {TARGET_PEAK_MB:,} MB): {verdict}."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset_dir", help="a folder of extract CSV files (e.g. the national demo set)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args = parser.parse_args()
    print(table(measure(args.dataset_dir, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

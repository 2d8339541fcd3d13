"""The dashboard keeps serving while a load runs, and two loads at once are refused.

Batch A is the hand-made good batch (tests/fixtures/extracts/good): crimes recorded in 2025 are
INC001 (CR001), INC003 (CR002) and INC004 (CR003) = 3. Batch B is batch A plus INC101, a copy of INC001
with its own crime reference CR101: 3 + 1 = 4 crimes. The attrition page's aggregate callback (five
outputs from several queries) is asked for 2025 over real HTTP on loopback by 4 threads while batch B
loads, and so are the division page's tiles for SOUTH (INC001's division: several separate queries in one
callback, this period's and the previous one's, month by month); every answer must be exactly the answer
for A or exactly the answer for B.
"""
from __future__ import annotations

import csv
import http.client
import json
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from daperf.db import LoadInProgress, atomic_write
from etl.load import run_load
from tests.dash_requests import callback_body

GOOD_BATCH = Path(__file__).resolve().parents[1] / "fixtures" / "extracts" / "good"
ATTRITION_AGGREGATES = ("..attrition-summary.children...attrition-funnel.children...attrition-outcomes.children"
                        "...attrition-timings.children...attrition-by-unit.children..")
DIVISION_TILES = "division-tiles.children"
FILTERS = {"from": "2025-01", "to": "2025-12"}
# The division page asks the metrics layer several separate questions in one callback: an answer mixing
# files would show up there.
DIVISION_FILTERS = {**FILTERS, "division": "SOUTH"}
WORKERS = 4
MAX_REQUESTS = 400  # a bound, whatever the load's speed


@pytest.fixture
def environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DAPERF_KEY_FILE", str(tmp_path / "secrets" / "pseudonymisation.key"))
    monkeypatch.setenv("DAPERF_STATE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    monkeypatch.setenv("DAPERF_USERS_FILE", str(tmp_path / "users.toml"))
    monkeypatch.delenv("DAPERF_AUTH_CONFIG", raising=False)
    monkeypatch.delenv("DAPERF_AUTH_MODE", raising=False)
    return tmp_path


def _batch_b(tmp_path: Path) -> Path:
    batch = Path(shutil.copytree(GOOD_BATCH, tmp_path / "batch-b"))
    path = batch / "incidents.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, first = rows[0], list(rows[1])
    first[header.index("incident_id")] = "INC101"
    first[header.index("crime_ref")] = "CR101"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([*rows, first])
    return batch


def _ask(port: int, body: bytes) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/_dash-update-component", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _answer(raw: bytes) -> dict:
    return json.loads(raw)["response"]


def test_requests_see_the_old_or_the_new_data_never_a_mix(environment):
    from app.server import create_app

    db = environment / "live" / "daperf.duckdb"
    run_load(GOOD_BATCH, db, progress=False)
    batch_b = _batch_b(environment)

    app = create_app(db, demo=True)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        port = server.server_port
        app.server.test_client().get("/")  # Dash's first-request set-up, so the callback map is built
        bodies = [json.dumps(callback_body(app, ATTRITION_AGGREGATES, FILTERS)).encode(),
                  json.dumps(callback_body(app, DIVISION_TILES, DIVISION_FILTERS)).encode()]
        old = []
        for body in bodies:
            status, raw = _ask(port, body)
            assert status == 200, raw[:300]
            old.append(_answer(raw))
        assert "3" in json.dumps(old[0]["attrition-summary"])  # 3 crimes recorded in 2025 in batch A

        loading = threading.Event()
        loaded = threading.Event()
        answers: list[tuple[int, int, bytes, bool]] = []  # (which body, status, answer, during the load)
        answers_lock = threading.Lock()

        def load_b() -> None:
            loading.set()
            try:
                run_load(batch_b, db, progress=False)
            finally:
                loaded.set()

        def ask_until_loaded(worker: int) -> None:
            loading.wait()
            which = worker % len(bodies)
            while not loaded.is_set():
                with answers_lock:
                    if len(answers) >= MAX_REQUESTS:
                        return
                during = not loaded.is_set()
                status, raw = _ask(port, bodies[which])
                with answers_lock:
                    answers.append((which, status, raw, during))

        with ThreadPoolExecutor(max_workers=WORKERS + 1) as pool:
            load = pool.submit(load_b)
            askers = [pool.submit(ask_until_loaded, worker) for worker in range(WORKERS)]
            load.result()
            for asker in askers:
                asker.result()

        new = []
        for body in bodies:
            status, raw = _ask(port, body)
            assert status == 200
            new.append(_answer(raw))
        assert new[0] != old[0] and new[1] != old[1]
        assert "4" in json.dumps(new[0]["attrition-summary"])  # 3 + INC101 = 4 crimes in batch B

        assert answers, "no request was made while the load ran"
        failed = [raw[:200] for _w, status, raw, _d in answers if status != 200]
        assert failed == []
        kinds = ["old" if _answer(raw) == old[w] else "new" if _answer(raw) == new[w] else "mixed"
                 for w, _s, raw, _d in answers]
        assert "mixed" not in kinds
        assert any(during for _w, _s, _r, during in answers)
    finally:
        server.shutdown()
        serving.join(timeout=10)


def test_a_second_load_is_refused_while_one_runs(environment):
    db = environment / "live" / "daperf.duckdb"
    run_load(GOOD_BATCH, db, progress=False)
    before = db.read_bytes()
    batch_b = _batch_b(environment)
    with atomic_write(db):  # the first load, holding the database's write lock
        with pytest.raises(LoadInProgress):
            run_load(batch_b, db, progress=False)
        # Another process (the CLI, as an operator would start it) is refused the same way.
        cli = subprocess.run([sys.executable, "-m", "cli.main", "load", str(batch_b), "--db", str(db)],
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 1
        assert "Another load" in cli.stdout + cli.stderr
    assert db.read_bytes() == before  # the first "load" wrote nothing; the refused ones wrote nothing either

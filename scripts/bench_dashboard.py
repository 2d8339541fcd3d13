"""Concurrent simulated users against the dashboard served by gunicorn: p50, p95 and max per page.

Each simulated user is a thread with its own signed-in session (standalone sign-in, a user made for the
run). It behaves as Dash's renderer does: it reads the callback graph (``/_dash-dependencies``), opens a
page through the pages router (its content replaces the last page's), fires the server callbacks whose
inputs the page's content brings in (several at once, as the browser does; not one with
prevent_initial_call whose output arrives with its inputs, as the renderer does not), then fires again the
callbacks of each control it changes, and of components those answers bring in. One *interaction* is a page opened or one control
changed; its time runs from the first request to the last answer it caused. The users choose at random
among the pages' filters (periods, divisions, partnerships, measures, meeting times, breakdowns) and pages.

    python scripts/bench_dashboard.py --db FILE [--users 20] [--interactions 15] [--workers 4]

Prints a table per page (interactions, p50, p95, max in milliseconds, errors) and the whole run's.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PAGES = ("/", "/division", "/partnership", "/attrition", "/daily")
PASSWORD = "bench-password-not-a-secret"
ROUTER_OUTPUT = "_pages_content"
ERRORS: list[str] = []  # the first answers that were not 200, to say what went wrong


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One signed-in user's session, firing callbacks as Dash's renderer does."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.username = username
        self.components: dict[str, dict] = {}  # id key -> props
        self.shell: dict[str, dict] = {}  # the app's frame, around whichever page is open
        self.callbacks: list[dict] = []

    def _request(self, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def sign_in(self) -> None:
        status, page = self._request("/sign-in", headers={"Accept": "text/html"})
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if not token:
            raise RuntimeError(f"no sign-in form ({status})")
        form = urllib.parse.urlencode({"username": self.username, "password": PASSWORD, "next": "/",
                                       "csrf_token": token.group(1).decode()}).encode()
        status, _ = self._request("/sign-in", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                     "Accept": "text/html"})
        if status not in (200, 303):
            raise RuntimeError(f"sign-in answered {status}")
        status, body = self._request("/_dash-dependencies", headers={"Accept": "application/json"})
        if status != 200:
            raise RuntimeError(f"/_dash-dependencies answered {status}")
        self.callbacks = [c for c in json.loads(body) if not c.get("clientside_function")]
        status, body = self._request("/_dash-layout", headers={"Accept": "application/json"})
        self._collect(json.loads(body))
        self.shell = dict(self.components)

    # --- the component tree ---------------------------------------------------------------------

    @staticmethod
    def _key(component_id) -> str:
        return component_id if isinstance(component_id, str) else json.dumps(component_id, sort_keys=True,
                                                                             separators=(",", ":"))

    def _collect(self, tree, found: set | None = None) -> None:
        if isinstance(tree, dict):
            props = tree.get("props")
            if isinstance(props, dict) and "id" in props:
                self.components[self._key(props["id"])] = props
                if found is not None:
                    found.add(self._key(props["id"]))
            for value in tree.values():
                self._collect(value, found)
        elif isinstance(tree, list):
            for item in tree:
                self._collect(item, found)

    @staticmethod
    def _parse(spec_id: str):
        return json.loads(spec_id) if spec_id.startswith("{") else spec_id

    def _ready(self, callback: dict) -> bool:
        specs = callback["inputs"]
        return bool(specs) and all(isinstance(self._parse(s["id"]), str) or "[" not in s["id"] for s in specs) \
            and all(self._key(self._parse(s["id"])) in self.components for s in specs)

    def _value(self, spec: dict):
        props = self.components.get(self._key(self._parse(spec["id"])), {})
        return props.get(spec["property"])

    def _fire(self, callback: dict, changed: dict | None) -> tuple[int, dict | None]:
        outputs = []
        for part in callback["output"].strip(".").split("..."):
            component, _, prop = part.rpartition(".")
            outputs.append({"id": self._parse(component), "property": prop})
        body = {
            "output": callback["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [{"id": self._parse(s["id"]), "property": s["property"], "value": self._value(s)}
                       for s in callback["inputs"]],
            "state": [{"id": self._parse(s["id"]), "property": s["property"], "value": self._value(s)}
                      for s in callback.get("state", [])],
            # The renderer names the control that changed; none on a component's first render.
            "changedPropIds": [f"{self._key(changed['id'])}.{changed['property']}"] if changed else [],
        }
        status, raw = self._request("/_dash-update-component", json.dumps(body).encode(),
                                    {"Content-Type": "application/json"})
        if status not in (200, 204):
            ERRORS.append(f"{status} {callback['output'][:80]}: {raw[:160]!r}")
        if status != 200:
            return status, None
        return status, json.loads(raw) if raw else None

    def _output_keys(self, callback: dict) -> set[str]:
        return {self._key(self._parse(part.rpartition(".")[0])) for part in callback["output"].strip(".").split("...")}

    def _fires_on_insert(self, callback: dict, inserted: set[str]) -> bool:
        """As the renderer decides for a callback whose inputs just arrived in the layout: not when it has
        prevent_initial_call and its output arrived with them (a page's content and its filters do)."""
        return not (callback.get("prevent_initial_call") and self._output_keys(callback) & inserted)

    def _cascade(self, first: list[tuple[dict, dict]]) -> tuple[int, float]:
        """Fire these callbacks at once (as the browser's six connections do), then those the answers make
        ready, to a depth of three; (errors, seconds)."""
        started, errors, fired = time.perf_counter(), 0, set()
        wave = first
        for _ in range(3):
            if not wave:
                break
            with ThreadPoolExecutor(max_workers=6) as pool:
                answers = list(pool.map(lambda pair: self._fire(*pair), wave))
            fired.update(c["output"] for c, _ in wave)
            new: set[str] = set()  # the components the answers brought in
            for status, answer in answers:
                if status != 200 and status != 204:
                    errors += 1
                for component, props in ((answer or {}).get("response") or {}).items():
                    self._collect(list(props.values()), new)
                    self.components.setdefault(component, {}).update(props)
            wave = [(c, None) for c in self.callbacks if c["output"] not in fired and self._ready(c)
                    and any(self._key(self._parse(s["id"])) in new for s in c["inputs"])
                    and self._fires_on_insert(c, new)]
        return errors, time.perf_counter() - started

    def open_page(self, path: str) -> tuple[int, float]:
        # The router replaces the page's content: the last page's components go (their callbacks no longer fire).
        self.components = {k: dict(v) for k, v in self.shell.items()}
        self.components["_pages_location"] = {"pathname": path, "search": "", "hash": "", "href": self.base + path}
        router = [c for c in self.callbacks if ROUTER_OUTPUT in c["output"] and self._ready(c)]
        # The cascade's later waves fire what the page's components trigger as they arrive, each callback once.
        return self._cascade([(c, {"id": "_pages_location", "property": "pathname"}) for c in router])

    def _offered(self, key: str, values: list) -> set:
        """What the page offers in a control: a partnership control, as the page's browser-side step narrows
        it, only the partnerships of the division chosen on the same page (the server refuses the others)."""
        if '"name":"csp"' not in key:
            return set(values)
        page = json.loads(key).get("page")
        division = next((props.get("value") for other, props in self.components.items()
                         if '"name":"division"' in other and json.loads(other).get("page") == page), None)
        partnerships = (self.components.get(f"{page}-partnerships") or {}).get("data")
        if not division or not isinstance(partnerships, list):
            return set(values)
        return {p["csp_code"] for p in partnerships if p.get("division_code") == division} | {"", None}

    def change_a_control(self, rng: random.Random) -> tuple[str, int, float]:
        """Choose a select or input on the page with other options and change it."""
        choices = []
        for key, props in self.components.items():
            options = props.get("options")
            if isinstance(options, list) and len(options) > 1:
                values = [o.get("value") if isinstance(o, dict) else o for o in options]
                values = [v for v in values if v != props.get("value") and v in self._offered(key, values)]
                if values:
                    choices.append((key, values))
        if not choices:
            return "none", 0, 0.0
        key, values = rng.choice(choices)
        self.components[key]["value"] = rng.choice(values)
        if '"name":"division"' in key:  # the page's own browser-side step: a new division clears the partnership
            for other, props in self.components.items():
                if '"name":"csp"' in other and other.replace('"name":"csp"', "") == key.replace('"name":"division"', ""):
                    props["value"] = ""
        dependent = [c for c in self.callbacks if self._ready(c)
                     and any(self._key(self._parse(s["id"])) == key and s["property"] == "value" for s in c["inputs"])]
        errors, seconds = self._cascade([(c, {"id": self._parse(key), "property": "value"}) for c in dependent])
        return key, errors, seconds


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _user(base: str, username: str, interactions: int, seed: int) -> list[tuple[str, str, int, float]]:
    rng = random.Random(seed)
    browser = Browser(base, username)
    browser.sign_in()
    done = []
    page = rng.choice(PAGES)
    errors, seconds = browser.open_page(page)
    done.append((page, "open", errors, seconds))
    for _ in range(interactions - 1):
        if rng.random() < 0.3:
            page = rng.choice(PAGES)
            errors, seconds = browser.open_page(page)
            done.append((page, "open", errors, seconds))
        else:
            control, errors, seconds = browser.change_a_control(rng)
            done.append((page, "change", errors, seconds))
    return done


def run(db: Path, users: int, interactions: int, workers: int, seed: int = 7) -> dict:
    """Serve ``db`` with gunicorn and run the simulated users; the figures per page and overall."""
    scratch = Path(tempfile.mkdtemp(prefix="daperf-bench-dash-"))
    port = _free_port()
    env = {**os.environ, "DAPERF_DB": str(db), "DAPERF_DATA_DIR": str(scratch), "DAPERF_USERS_FILE": str(scratch / "users.toml"),
           "DAPERF_STATE_URL": f"sqlite:///{scratch / 'state.sqlite'}", "DAPERF_NEW_PASSWORD": PASSWORD,
           "DAPERF_AUTH_MODE": "standalone"}
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "daperf"), "add-user", "bench", "--role", "chief_officer"], env=env, check=True,
                   capture_output=True, cwd=scratch)
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "120",
         "app.server:wsgi()"], env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(base + "/sign-in", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        # Warm-up: one user through every page, as the first visitors of the morning would.
        _user(base, "bench", len(PAGES) * 3, seed - 1)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=users) as pool:
            results = list(pool.map(lambda i: _user(base, "bench", interactions, seed + i), range(users)))
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    rows = [r for user in results for r in user]
    figures = {}
    for page in (*PAGES, "all"):
        chosen = [r for r in rows if page == "all" or r[0] == page]
        times = [r[3] * 1000 for r in chosen if r[3] > 0]
        if times:
            figures[page] = {"interactions": len(times), "p50_ms": statistics.median(times),
                             "p95_ms": _percentile(times, 0.95), "max_ms": max(times),
                             "errors": sum(r[2] for r in chosen)}
    return {"users": users, "interactions_each": interactions, "workers": workers, "wall_s": wall, "pages": figures}


def table(result: dict) -> str:
    lines = [f"{result['users']} users × {result['interactions_each']} interactions, gunicorn {result['workers']} "
             f"workers, {result['wall_s']:.0f} s", "", "| page | interactions | p50 ms | p95 ms | max ms | errors |",
             "|---|---:|---:|---:|---:|---:|"]
    for page, f in result["pages"].items():
        lines.append(f"| {page} | {f['interactions']} | {f['p50_ms']:.0f} | {f['p95_ms']:.0f} | {f['max_ms']:.0f} | "
                     f"{f['errors']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--interactions", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    print(table(run(args.db, args.users, args.interactions, args.workers)))
    for error in dict.fromkeys(ERRORS[:10]):
        print("error:", error)
    return 0


if __name__ == "__main__":
    sys.exit(main())

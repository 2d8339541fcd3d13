"""Several web hosts behind a load balancer share one state store: two gunicorn servers (separate
processes, as two hosts would be) on one SQLite file, and on a real PostgreSQL server. Signing out on one
ends the session on the other; a failure counted on one counts on the other; the audit log written by
both is one unbroken chain."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.auth import audit, throttle
from app.auth.users import save_user
from tests.auth.conftest import AUTH_VARIABLES, PASSWORD, _free_port, as_if_at_once
from tests.dash_requests import callback_body

START_TIMEOUT = 90  # seconds: two servers importing the dashboard at once on a busy two-core machine
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """Cookies kept by hand, so a cookie can be carried from one host to the other (or copied)."""

    def __init__(self, cookies: dict[str, str] | None = None):
        self.cookies = dict(cookies or {})

    def request(self, port: int, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            sent = dict(headers or {})
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            for line in response.headers.get_all("Set-Cookie") or []:
                pair, _, attributes = line.partition(";")
                name, _, value = pair.strip().partition("=")
                if "max-age=0" in attributes.lower() or "expires=thu, 01 jan 1970" in attributes.lower():
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return response.status, dict(response.headers), data
        finally:
            connection.close()

    def form(self, port: int, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        from urllib.parse import urlencode

        return self.request(port, "POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def token(self, port: int, path: str) -> str:
        status, _headers, page = self.request(port, "GET", path)
        assert status == 200, page[:300]
        return _CSRF_FIELD.search(page.decode())[1]

    def sign_in(self, port: int, username: str, password: str = PASSWORD) -> int:
        fields = {"username": username, "password": password, "csrf_token": self.token(port, "/sign-in")}
        return self.form(port, "/sign-in", fields)[0]

    def callback(self, port: int, body: dict) -> int:
        return self.request(port, "POST", "/_dash-update-component", json.dumps(body).encode(),
                            {"Content-Type": "application/json"})[0]


def _ready(port: int) -> bool:
    try:
        return Browser().request(port, "GET", "/sign-in")[0] == 200
    except OSError:
        return False


@pytest.fixture
def two_hosts(synthetic_force_db: Path, state_url: str, prepared_users, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """Two gunicorn servers on the synthetic force, sharing the test's state store; their ports."""
    for user in prepared_users:
        save_user(user)
    env = {k: v for k, v in os.environ.items() if k not in AUTH_VARIABLES}
    env.update(DAPERF_DB=str(synthetic_force_db), DAPERF_STATE_URL=state_url)
    servers: list[tuple[int, subprocess.Popen, Path]] = []
    try:
        for name in ("a", "b"):
            port, log = _free_port(), tmp_path / f"gunicorn-{name}.log"
            with open(log, "wb") as sink:
                process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4",
                     "--bind", f"127.0.0.1:{port}", "app.server:wsgi()"],
                    env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
                )
            servers.append((port, process, log))
        deadline = time.monotonic() + START_TIMEOUT
        for port, process, log in servers:
            while not _ready(port):
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, f"gunicorn did not start:\n{log.read_text()[-3000:]}"
                time.sleep(0.2)
        yield servers[0][0], servers[1][0]
    finally:
        for _port, process, _log in servers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)  # gunicorn: quick shutdown
        for _port, process, _log in servers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def test_sessions_throttling_and_the_audit_chain_are_shared_between_hosts(two_hosts, standalone):
    host_a, host_b = two_hosts
    case_list = next(key for key in standalone.app.callback_map if key.startswith("attrition-case-list."))
    body = callback_body(standalone.app, case_list, {"division": "NORTH"})

    browser = Browser()
    assert browser.sign_in(host_a, "coord") == 303
    copy = Browser(browser.cookies)  # the cookie, copied before signing out
    assert browser.request(host_b, "GET", "/_dash-layout")[0] == 200  # signed in on A, known on B
    assert browser.callback(host_a, body) == 200
    assert browser.callback(host_b, body) == 200

    token = browser.token(host_a, "/sign-out")
    assert browser.form(host_a, "/sign-out", {"csrf_token": token})[0] == 303
    assert copy.request(host_b, "GET", "/_dash-layout")[0] == 401  # signed out on A: over on B too
    assert copy.callback(host_b, body) == 401

    guesser = Browser()
    assert [guesser.sign_in(port, "analyst", "wrong guess") for port in (host_a, host_b, host_a, host_b)] == [401] * 4
    as_if_at_once()
    assert guesser.sign_in(host_a, "analyst", "wrong guess") == 429  # four failures, on two hosts
    assert throttle.failures(throttle.account_key("analyst")) == 4

    views = [e for e in audit.read_audit(100) if e.action == "view"]
    assert len(views) == 2 and {e.username for e in views} == {"coord"}
    actions = [e.action for e in reversed(audit.read_audit(100))]
    # Oldest first: coord signs in, views the case list on A and on B, signs out; the copied cookie's 401s
    # write nothing; the four wrong guesses each write sign_in_failed (4 failures lock neither the account,
    # at 10, nor the address, at 30); the fifth, refused with 429 before the password is checked, nothing.
    assert actions == ["sign_in", "view", "view", "sign_out",
                       "sign_in_failed", "sign_in_failed", "sign_in_failed", "sign_in_failed"]

    from typer.testing import CliRunner

    from cli.main import app as cli

    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "The audit log is intact: 8 entries" in result.output

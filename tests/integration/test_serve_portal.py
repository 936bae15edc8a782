"""`jikoflow serve` runs the portal and the API beside the scheduler: a declaration through the
API is delivered to every recipient by the same process, and SIGTERM stops both, exit 0."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import CONSOLE_SCRIPT, CliResult, Env, subprocess_environ
from tests.integration.test_serve import LIMIT, read_until


@pytest.fixture
def served(
    sqlite_env: Env, cli: Callable[..., CliResult], parties_file: Path
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`serve` with the portal on a free port, and an API token of delta's manager."""
    assert cli("parties", "load", parties_file).code == 0
    token = cli("users", "token", "watanabe", "--json").json()["token"]
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--port", "0"],
        env=subprocess_environ(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(LIMIT, process.kill)
    watchdog.start()
    try:
        yield process, token
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
        process.wait()


def test_serve_runs_the_portal_and_stops_both_on_sigterm(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    process, token = served
    started = read_until(process, "jikoflow serve: pid")[-1]
    found = re.search(r"portal (http://127\.0\.0\.1:\d+)", started)
    assert found is not None, started
    portal = found.group(1)
    api = httpx.Client(
        base_url=portal + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert httpx.get(portal + "/healthz", timeout=30).json() == {"status": "ok"}

    declared = api.post(
        "/incidents",
        json={"contract": "C-2026-001", "org": "delta", "kind": "leak", "summary": "封筒1通"},
    )

    assert declared.status_code == 201, declared.text
    incident = declared.json()["id"]
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline:  # each request takes its own few milliseconds
        reports = api.get(f"/incidents/{incident}").json()["reports"]
        if all(r["status"] == "delivered" for r in reports):
            break
    assert [(r["to"], r["status"]) for r in reports] == [
        (org, "delivered") for org in ("gamma", "beta", "acme", "nerima")
    ]
    process.send_signal(signal.SIGTERM)
    rest = read_until(process, "jikoflow serve: stopped")
    assert process.wait(timeout=LIMIT) == 0
    assert not any("Traceback" in line for line in rest)
    with pytest.raises(httpx.ConnectError):
        httpx.get(portal + "/healthz", timeout=5)


def test_serve_without_the_portal_listens_nowhere(
    sqlite_env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("JIKOFLOW_BASE_URL", f"http://127.0.0.1:{port}")
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--no-web"],
        env=subprocess_environ(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "portal off" in read_until(process, "jikoflow serve: pid")[-1]
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    finally:
        process.kill()
        process.wait()

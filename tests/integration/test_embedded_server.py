"""The embedded Prefect server ends with the command that started it: on SIGTERM at once, and
after a SIGKILL with the next command that runs a flow in the same home (Linux, real
`jikoflow declare` processes running the Article 24 flow on the embedded default)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jikoflow.embedded import PARENT
from tests.conftest import CONSOLE_SCRIPT, CliResult, Env, subprocess_environ

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")

DECLARE = (
    "declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak", "--suspected",
    "--summary", "住民票の写し1通の所在不明",
)  # fmt: skip


def servers_started_by(pid: int) -> list[int]:
    """Pids of the embedded Prefect servers whose environment names `pid` as their command."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"prefect.server.api.server" not in (entry / "cmdline").read_bytes():
                continue
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"{PARENT}={pid}".encode() in environ:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition: Callable[[], object], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.1)


def declaring(env: Env) -> tuple[subprocess.Popen[bytes], int]:
    """A declare running its flow here, once its embedded server has started."""
    child = subprocess.Popen(
        [str(CONSOLE_SCRIPT), *DECLARE],
        env=subprocess_environ(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: servers_started_by(child.pid) or child.poll() is not None, 180)
    servers = servers_started_by(child.pid)
    assert servers, f"declare ended ({child.returncode}) before its server was seen"
    return child, servers[0]


@pytest.fixture
def loaded(sqlite_env: Env, cli: Callable[..., CliResult], parties_file: Path) -> Env:
    assert cli("parties", "load", parties_file).code == 0
    return sqlite_env


def test_a_terminated_declare_stops_its_server(loaded: Env) -> None:
    child, server = declaring(loaded)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) != 0
    wait_for(lambda: not alive(server), 30)


def test_a_killed_declares_server_is_stopped_by_the_next_flow(loaded: Env) -> None:
    child, server = declaring(loaded)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    time.sleep(1)
    assert alive(server)  # nothing could stop it as its command died
    after = subprocess.run(
        [str(CONSOLE_SCRIPT), *DECLARE],
        env=subprocess_environ(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert after.returncode == 0, after.stderr
    wait_for(lambda: not alive(server), 30)

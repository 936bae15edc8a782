"""Service mode (`PREFECT_API_URL` set): the declaring process delivers the reports and never
runs the flow nor imports Prefect; `serve` starts the flow on the served deployment — and when
the Prefect server was down at the declaration, as soon as it is back."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from jikoflow.models.db import reading
from jikoflow.models.handoff.service import request_of
from jikoflow.models.handoff.tables import FlowName, FlowRequest
from jikoflow.models.settings import load_settings
from jikoflow.models.types import utcnow
from jikoflow.runner import start_requested
from tests.conftest import CONSOLE_SCRIPT, CliResult, Env, subprocess_environ
from tests.pg_server import free_port
from tests.slack_server import SlackServer

pytestmark = pytest.mark.prefect

Cli = Callable[..., CliResult]
DECLARE = ("declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak")
LIMIT = 240  # seconds for the flow to run once the server is back, before the test fails


@pytest.fixture
def prefect_down(monkeypatch: pytest.MonkeyPatch) -> str:
    """`PREFECT_API_URL` pointing where no Prefect server listens."""
    url = f"http://127.0.0.1:{free_port()}/api"
    monkeypatch.setenv("PREFECT_API_URL", url)
    return url


@pytest.fixture
def served_env(sqlite_env: Env, cli: Cli, parties_file: Path, slack_env: SlackServer) -> Env:
    assert cli("parties", "load", parties_file).code == 0
    return sqlite_env


def harness_url() -> str:
    """The session's Prefect server (the test harness)."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url
    return str(url)


def test_declaring_with_prefect_down_reports_at_once_and_imports_no_prefect(
    served_env: Env,
    slack_env: SlackServer,
    prefect_down: str,
    imported_modules: Callable[..., tuple[int, set[str]]],
) -> None:
    code, modules = imported_modules(*DECLARE, "--summary", "封筒の所在不明")
    assert code == 0
    assert "prefect" not in modules
    posts = slack_env.calls("chat.postMessage")
    assert sorted(p.body["channel"] for p in posts) == sorted(
        ["C0DELTA", "C0GAMMA", "C0BETA", "C0ACME", "C0NERIMA"]
    )
    with reading(served_env.url) as session:
        [request] = session.exec(select(FlowRequest)).all()
    assert request.started_at is None  # asked for; `serve` starts it


def test_the_cli_says_only_the_id_in_service_mode(
    served_env: Env, cli: Cli, prefect_down: str
) -> None:
    result = cli(*DECLARE, "--summary", "封筒の所在不明")
    assert result.code == 0, result.err
    assert result.out.strip().startswith("INC-")
    assert len(result.out.splitlines()) == 1
    assert result.err == ""
    data = cli(*DECLARE, "--summary", "x", "--json").json()
    assert (data["flow"], data["flow_completed"], data["flow_error"]) == ("queued", False, None)


def test_a_flow_that_cannot_start_is_tried_again_soon(served_env: Env, cli: Cli) -> None:
    down = f"http://127.0.0.1:{free_port()}/api"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_API_URL", down)
        incident = cli(*DECLARE, "--summary", "x", "--json").json()["id"]
        before = utcnow()
        started = start_requested(load_settings())
    assert started.ran == 0
    assert started.error
    request = request_of(served_env.url, FlowName.INCIDENT, incident)
    assert request is not None
    assert request.started_at is None
    assert request.claimed_at is None
    assert request.last_error
    assert request.next_attempt_at <= before + timedelta(seconds=31)


class Serve:
    """`jikoflow serve --worker` against the harness's Prefect server; stderr kept."""

    def __init__(self, api_url: str) -> None:
        environ = subprocess_environ() | {"PREFECT_API_URL": api_url}
        self.process = subprocess.Popen(
            [str(CONSOLE_SCRIPT), "serve", "--worker", "--no-web"],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        self.lines.extend(line.rstrip("\n") for line in self.process.stderr)

    def __enter__(self) -> Serve:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def completed_run(run_id: str) -> bool:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run_id).state  # type: ignore[arg-type]
    return state is not None and state.is_completed()


def wait_for(condition: Callable[[], bool], serve: Serve) -> None:
    """Until `condition` holds, checking every half second (fails after LIMIT seconds)."""
    done = threading.Event()
    deadline = threading.Timer(LIMIT, done.set)
    deadline.start()
    try:
        while not condition():
            if done.wait(0.5) or serve.process.poll() is not None:
                pytest.fail("the flow did not run:\n" + "\n".join(serve.lines[-30:]))
    finally:
        deadline.cancel()


def test_the_flow_runs_on_the_deployment_when_prefect_is_back(
    served_env: Env, cli: Cli, slack_env: SlackServer
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
        incident = cli(*DECLARE, "--summary", "封筒の所在不明", "--json").json()["id"]
    assert len(slack_env.calls("chat.postMessage")) == 5  # the reports did not wait

    def started() -> bool:
        request = request_of(served_env.url, FlowName.INCIDENT, incident)
        return request is not None and request.started_at is not None

    with Serve(harness_url()) as serve:
        wait_for(started, serve)
        request = request_of(served_env.url, FlowName.INCIDENT, incident)
        assert request is not None
        assert request.run is not None
        wait_for(lambda: completed_run(str(request.run)), serve)
    # The flow found the reports delivered and sent nothing twice.
    assert len(slack_env.calls("chat.postMessage")) == 5

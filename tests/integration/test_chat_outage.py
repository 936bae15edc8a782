"""Slack down, then back: `declare` answers at once with the id and one line, the reports are
held for Slack's return, the first sweep after it delivers them all whatever backoff they had
reached, `notifications retry --all` forces it, and the record never shows a report as unsent
beside a send time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jikoflow.models.outbox.facts import OutboxStatus
from tests.conftest import CliResult, Env
from tests.pg_server import free_port
from tests.slack_server import SlackServer

Cli = Callable[..., CliResult]
DECLARE = ("declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak")
RECIPIENTS = {"nerima", "acme", "beta", "gamma"}


@pytest.fixture
def slack_down(
    sqlite_env: Env, cli: Cli, parties_file: Path, slack_env: SlackServer
) -> SlackServer:
    """The sample parties loaded, Slack configured and not answering."""
    assert cli("parties", "load", parties_file).code == 0
    slack_env.stop()
    return slack_env


@pytest.fixture
def service_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Prefect server configured: the declaring command only queues the flow."""
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")


def report_cells(cli: Cli, incident: str) -> dict[str, tuple[str, str]]:
    """The written record's report table: recipient → (status, send time)."""
    record = cli("record", incident, "--format", "md")
    assert record.code == 0, record.err
    table = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in record.out.splitlines()
        if line.startswith("|") and line.count("|") == 8
    ]
    # Header, separator, then one row per recipient: name, tier, status, sent, …
    rows = {cells[0]: (cells[2], cells[3]) for cells in table[2:]}
    assert len(rows) == len(RECIPIENTS), table
    return rows


def assert_never_unsent_with_a_send_time(cells: dict[str, tuple[str, str]]) -> None:
    for status, sent in cells.values():
        assert not (status == "未送信" and any(ch.isdigit() for ch in sent)), (status, sent)


def test_declare_with_slack_down_says_the_id_and_one_line(
    slack_down: SlackServer, service_mode: None, cli_subprocess: Cli
) -> None:
    result = cli_subprocess(*DECLARE, "--summary", "封筒の所在不明")
    assert result.code == 0, result.err
    [incident] = result.out.splitlines()
    assert incident.startswith("INC-")
    [line] = result.err.splitlines()
    assert "chat unreachable" in line
    assert "Traceback" not in result.err


def test_the_first_sweep_after_slack_returns_delivers_everything(
    slack_down: SlackServer, service_mode: None, cli: Cli
) -> None:
    incident = cli(*DECLARE, "--summary", "封筒の所在不明", "--json").json()["id"]
    # Slack stays down through several sweeps: the tried message backs off further each time.
    for _ in range(4):
        swept = cli("sweep", "--json")
        assert swept.code == 0, swept.err
        assert swept.json()["sent"] == 0
    waiting = cli("notifications", "--json").json()
    assert {m["status"] for m in waiting} == {OutboxStatus.PENDING}
    assert max(m["attempts"] for m in waiting) >= 3
    cells = report_cells(cli, incident)
    assert {status for status, _ in cells.values()} == {"未送信"}
    assert_never_unsent_with_a_send_time(cells)

    slack_down.start()
    swept = cli("sweep", "--json").json()
    assert swept["sent"] == 5
    status = cli("status", incident, "--json").json()
    assert {r["to"]: r["status"] for r in status["reports"]} == dict.fromkeys(
        RECIPIENTS, "delivered"
    )
    assert all(r["sent_at"] for r in status["reports"])
    assert_never_unsent_with_a_send_time(report_cells(cli, incident))


def test_retry_all_forces_every_waiting_message(
    slack_down: SlackServer, service_mode: None, cli: Cli
) -> None:
    incident = cli(*DECLARE, "--summary", "封筒の所在不明", "--json").json()["id"]
    slack_down.start()
    retried = cli("notifications", "retry", "--all", "--json")
    assert retried.code == 0, retried.err
    assert retried.json()["sent"] == 5
    assert len(retried.json()["retried"]) == 5
    assert len(slack_down.calls("chat.postMessage")) == 5
    reports = cli("status", incident, "--json").json()["reports"]
    assert {r["status"] for r in reports} == {"delivered"}


@pytest.mark.prefect
def test_embedded_declare_with_slack_down_runs_its_flow_without_waiting_for_slack(
    slack_down: SlackServer, cli: Cli
) -> None:
    result = cli(*DECLARE, "--summary", "封筒の所在不明")
    assert result.code == 0, result.err
    [incident] = result.out.splitlines()
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    line = lines[0]
    assert "chat unreachable" in line
    assert "running the Article 24 flow in this process" in line
    assert slack_down.requests == []
    status = cli("status", incident, "--json").json()
    assert {r["status"] for r in status["reports"]} == {"pending"}
    assert not any(r["sent_at"] for r in status["reports"])

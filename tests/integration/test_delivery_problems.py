"""A message Slack refuses for good (a wrong token, a channel the bot cannot post in): the
commands that deliver name the error and say what to do, and how to send it again once fixed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, Env
from tests.pg_server import free_port
from tests.slack_fixtures import SLACK_TOKEN
from tests.slack_server import SlackServer

Cli = Callable[..., CliResult]
DECLARE = ("declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak")
TOKEN_ADVICE = "5 × invalid_auth: Slack refused the bot token: check SLACK_BOT_TOKEN"
RETRY = "run `jikoflow notifications retry --all`"


def posted(slack: SlackServer) -> int:
    """Messages Slack accepted."""
    return sum(call.ok for call in slack.calls("chat.postMessage"))


@pytest.fixture
def parties(sqlite_env: Env, cli: Cli, parties_file: Path, slack_env: SlackServer) -> SlackServer:
    """The sample parties loaded, Slack configured; the flow left to a Prefect server."""
    assert cli("parties", "load", parties_file).code == 0
    return slack_env


@pytest.fixture
def wrong_token(parties: SlackServer, monkeypatch: pytest.MonkeyPatch) -> SlackServer:
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-this-workspace")
    return parties


def test_declare_names_a_refused_token_and_how_to_send_again(
    wrong_token: SlackServer, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = cli(*DECLARE, "--summary", "封筒の所在不明")
    assert declared.code == 0, declared.err
    assert declared.out.strip().startswith("INC-")
    lines = declared.err.splitlines()
    assert lines[0] == TOKEN_ADVICE
    assert RETRY in lines[1]
    assert "`sweep` deliver them" not in declared.err  # a refused message waits for nothing
    assert posted(wrong_token) == 0  # refused: nothing reached a channel

    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
    retried = cli("notifications", "retry", "--all")
    assert retried.code == 0, retried.err
    assert "sent 5" in retried.out
    assert posted(wrong_token) == 5


def test_sweep_counts_and_explains_what_failed(wrong_token: SlackServer, cli: Cli) -> None:
    assert cli(*DECLARE, "--summary", "封筒の所在不明", "--no-flow").code == 0
    swept = cli("sweep")
    assert swept.code == 0, swept.err
    [summary] = swept.out.splitlines()  # one line, however narrow the terminal
    assert "sent 0, retrying 0, failed 5, unreachable 0" in summary
    assert swept.err.splitlines()[0] == TOKEN_ADVICE
    assert RETRY in swept.err
    # Nothing failed this time: nothing to explain.
    again = cli("sweep", "--json")
    assert (again.json()["failed"], again.json()["errors"], again.err) == (0, {}, "")


def test_a_channel_the_bot_cannot_post_in_is_named_as_such(parties: SlackServer, cli: Cli) -> None:
    parties.known_channels = {"C0NERIMA", "C0ACME", "C0GAMMA", "C0DELTA"}
    assert cli(*DECLARE, "--summary", "封筒の所在不明", "--no-flow").code == 0
    swept = cli("sweep")
    assert "sent 4, retrying 0, failed 1" in swept.out
    assert swept.err.startswith("1 × channel_not_found: Slack has no such channel for the bot")

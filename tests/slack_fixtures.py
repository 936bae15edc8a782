"""Pytest fixtures for the fake Slack server (`tests/slack_server.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.slack_server import SlackServer

SLACK_TOKEN = "xoxb-jikoflow-test"


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    """A running fake Slack on 127.0.0.1 (random port), stopped after the test."""
    server = SlackServer(token=SLACK_TOKEN)
    with server:
        yield server


@pytest.fixture
def slack_env(slack_server: SlackServer, monkeypatch: pytest.MonkeyPatch) -> SlackServer:
    """`SLACK_BOT_TOKEN` and `SLACK_API_URL` pointing at the fake Slack."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack_server.url)
    return slack_server

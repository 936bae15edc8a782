"""Declaring runs the Article 24 flow under Prefect: every report is delivered at once, to the
console or to Slack, and running the flow again sends nothing twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jikoflow.models.audit.service import events_of, verify_chain
from jikoflow.models.db import reading
from jikoflow.models.settings import load_settings
from jikoflow.runner import run_flow
from tests.conftest import CliResult, Env
from tests.slack_fixtures import SLACK_TOKEN
from tests.slack_server import SlackServer

pytestmark = pytest.mark.prefect

Cli = Callable[..., CliResult]
Declare = Callable[..., dict[str, Any]]
DECLARE = ["declare", "--contract", "C-2026-001", "--kind", "leak", "--summary", "封筒の所在不明"]
CHANNELS = {"nerima": "C0NERIMA", "acme": "C0ACME", "beta": "C0BETA", "gamma": "C0GAMMA"}


def _reports(cli: Cli, incident: str) -> dict[str, dict[str, Any]]:
    status = cli("status", incident, "--json").json()
    return {r["to"]: r for r in status["reports"]}


def test_the_flow_delivers_every_report_from_the_third_tier(loaded_env: Env, cli: Cli) -> None:
    result = cli(*DECLARE, "--org", "delta", "--suspected", "--json")
    assert result.code == 0, result.err
    declared = result.json()
    assert declared["flow_completed"] is True
    reports = _reports(cli, declared["id"])
    assert list(reports) == ["gamma", "beta", "acme", "nerima"]
    assert {r["status"] for r in reports.values()} == {"delivered"}
    assert all(r["sent_at"] and r["acknowledged_at"] is None for r in reports.values())
    # With no Slack token the console channel printed one message per recipient and one
    # for delta's own managers.
    printed = [line for line in result.err.splitlines() if line.startswith("── chat → ")]
    assert sorted(printed) == sorted(f"── chat → {c}" for c in ["C0DELTA", *CHANNELS.values()])
    with reading(loaded_env.url) as session:
        events = events_of(session, declared["id"])
    assert [e.action for e in events].count("report_sent") == 4
    assert verify_chain(events)


def test_reports_go_to_slack_one_channel_per_recipient(
    loaded_env: Env, slack_env: SlackServer, cli: Cli
) -> None:
    result = cli(*DECLARE, "--org", "delta", "--json")
    assert result.code == 0, result.err
    incident = result.json()["id"]
    posts = slack_env.calls("chat.postMessage")
    assert Counter(p.body["channel"] for p in posts) == Counter(["C0DELTA", *CHANNELS.values()])
    for post in posts:
        assert post.http_method == "POST"
        assert post.headers["authorization"] == f"Bearer {SLACK_TOKEN}"
        assert incident in post.body["text"]
    to_nerima = next(p for p in posts if p.body["channel"] == "C0NERIMA")
    assert f"http://127.0.0.1:8080/incidents/{incident}" in to_nerima.body["text"]
    buttons = to_nerima.body["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["jikoflow_ack", "jikoflow_open"]
    assert {r["status"] for r in _reports(cli, incident).values()} == {"delivered"}


def test_running_the_flow_again_sends_nothing_twice(
    loaded_env: Env, slack_env: SlackServer, cli: Cli
) -> None:
    incident = cli(*DECLARE, "--org", "gamma", "--json").json()["id"]
    sent = len(slack_env.calls("chat.postMessage"))
    assert sent == 4  # beta, acme, nerima and gamma's own managers
    assert run_flow(load_settings(), "incident", incident_id=incident)
    assert run_flow(load_settings(), "incident", incident_id=incident)
    swept = cli("sweep", "--json")
    assert swept.code == 0, swept.err
    assert len(slack_env.calls("chat.postMessage")) == sent
    assert {r["status"] for r in _reports(cli, incident).values()} == {"delivered"}


def test_an_acknowledged_report_stays_acknowledged_when_the_flow_runs_again(
    loaded_env: Env, cli: Cli
) -> None:
    incident = cli(*DECLARE, "--org", "beta", "--json").json()["id"]
    assert cli("ack", incident, "--org", "nerima", "--by", "tanaka").code == 0
    assert run_flow(load_settings(), "incident", incident_id=incident)
    reports = _reports(cli, incident)
    assert reports["nerima"]["status"] == "acknowledged"
    assert reports["acme"]["status"] == "delivered"


def test_an_unapproved_tier_is_reported_as_a_violation_too(
    env: Env, slack_env: SlackServer, cli: Cli, parties_variant: Callable[..., Path]
) -> None:
    def unapprove(data: dict[str, Any]) -> None:
        data["contracts"][0]["delegations"][1]["approved_at"] = None

    assert cli("parties", "load", parties_variant(unapprove)).code == 0
    result = cli(*DECLARE, "--org", "delta", "--json")
    assert result.code == 0, result.err
    declared = result.json()
    [violation] = declared["violations"]
    status = cli("status", violation, "--json").json()
    # beta delegated to gamma without approval: the violation is beta's, reported above it.
    assert (status["org"], status["kind"], status["linked_incident"]) == (
        "beta",
        "violation",
        declared["id"],
    )
    assert {r["to"]: r["status"] for r in status["reports"]} == {
        "acme": "delivered",
        "nerima": "delivered",
    }
    violation_posts = [
        p for p in slack_env.calls("chat.postMessage") if violation in p.body["text"]
    ]
    assert sorted(p.body["channel"] for p in violation_posts) == ["C0ACME", "C0BETA", "C0NERIMA"]

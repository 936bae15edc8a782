"""A contact check runs on the first report's clock: at its warn time (30 minutes) each
organisation that has not confirmed gets one 【訓練】 reminder through the outbox, as the
recipients of a real report do — once, however often the tick runs, and never after the window."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from jikoflow.models.db import reading
from jikoflow.models.outbox.tables import Notification
from tests.conftest import Env
from tests.integration.drill_helpers import T0, Cli, add_epsilon, at, run_drill
from tests.slack_server import SlackServer

MANAGERS = {"nerima": "U0TANAKA", "gamma": "U0ITO", "delta": "U0WATANABE"}


def reminders_posted(slack: SlackServer) -> list[tuple[str, str]]:
    """(organisation, message) of every reminder posted, from the outbox key it carries."""
    found = []
    for post in slack.calls("chat.postMessage"):
        key = post.body.get("metadata", {}).get("event_payload", {}).get("key", "")
        _, event, org = [*key.split(":"), "", ""][:3]
        if event == "reminder":
            found.append((org, json.dumps(post.body, ensure_ascii=False)))
    return found


def queued_reminders(url: str, drill_id: str) -> list[str]:
    with reading(url) as session:
        rows = session.exec(
            select(Notification).where(
                Notification.drill_id == drill_id, Notification.event == "reminder"
            )
        ).all()
    return sorted(row.org_id for row in rows)


def tick(cli: Cli, minutes: float) -> dict[str, Any]:
    result = cli("drill", "tick", "--now", at(minutes), "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = result.json()
    return data


def test_the_silent_are_reminded_once_at_the_warn_time(
    sqlite_env: Env, slack_env: SlackServer, cli: Cli, parties_variant: Callable[..., Any]
) -> None:
    assert cli("parties", "load", parties_variant(add_epsilon)).code == 0
    drill_id = run_drill(cli, "contact", "--no-flow", "--now", at(0))["id"]
    assert cli("sweep").code == 0  # the checks go out, as `serve` would send them
    assert cli("drill", "ack", drill_id, "--org", "acme", "--now", at(10)).code == 0
    assert cli("drill", "ack", drill_id, "--org", "beta", "--now", at(29)).code == 0
    assert tick(cli, 29.9)["reminded"] == []
    assert queued_reminders(sqlite_env.url, drill_id) == []
    assert tick(cli, 30)["reminded"] == [drill_id]
    # epsilon has no channel: its reminder waits in the outbox, unreachable, like its check.
    assert queued_reminders(sqlite_env.url, drill_id) == ["delta", "epsilon", "gamma", "nerima"]
    posted = reminders_posted(slack_env)
    assert sorted(org for org, _ in posted) == ["delta", "gamma", "nerima"]
    for org, text in posted:
        assert "【訓練】期限が近づいています" in text
        assert "2026年11月2日 11:00" in text  # the first report's due time
        assert f"<@{MANAGERS[org]}>" in text
        assert f"http://127.0.0.1:8080/drills/{drill_id}" in text
    for minutes in (31, 45, 59):
        assert tick(cli, minutes)["reminded"] == []
    assert len(reminders_posted(slack_env)) == 3
    shown = cli("drill", "show", drill_id, "--json").json()
    assert datetime.fromisoformat(shown["reminded_at"]) == T0 + timedelta(minutes=30)
    assert tick(cli, 60)["closed"] == [drill_id]
    report = cli("drill", "report", drill_id).out
    assert "| 未確認の組織へ督促 reminded=4 |" in report.replace("**", "")


def test_a_check_reminds_nobody_once_its_window_has_ended(loaded_env: Env, cli: Cli) -> None:
    short = run_drill(cli, "contact", "--no-flow", "--window", "20", "--now", at(0))["id"]
    ticked = tick(cli, 30)
    assert (ticked["reminded"], ticked["closed"]) == ([], [short])
    missed = run_drill(cli, "contact", "--no-flow", "--now", at(100))["id"]
    # No tick ran between its warn time (130) and its end (160): it closes, unreminded.
    ticked = tick(cli, 160)
    assert (ticked["reminded"], ticked["closed"]) == ([], [missed])
    assert queued_reminders(loaded_env.url, short) == []
    assert queued_reminders(loaded_env.url, missed) == []

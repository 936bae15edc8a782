"""What managers see in Slack, through the CLI: escaped names, mentions, unreachable
organisations, English by setting, and the `notifications` commands."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from jikoflow.models.times import TOKYO
from tests.conftest import CliResult, Env
from tests.slack_server import SlackServer

Cli = Callable[..., CliResult]
HOSTILE = "A&B <!channel> <@U0TANAKA> *太字*"


@pytest.fixture
def slack(sqlite_env: Env, slack_env: SlackServer) -> SlackServer:
    """SQLite environment with the Slack settings pointing at the fake server."""
    return slack_env


def load(cli: Cli, path: Path) -> None:
    result = cli("parties", "load", path)
    assert result.code == 0, result.err


def declare(cli: Cli, org: str = "delta") -> dict[str, Any]:
    result = cli(
        "declare", "--contract", "C-2026-001", "--org", org, "--kind", "leak",
        "--suspected", "--summary", "封筒1通の所在不明", "--no-flow", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    data: dict[str, Any] = result.json()
    return data


def sweep(cli: Cli, at: datetime | None = None) -> dict[str, Any]:
    """`sweep` now, or at `at` with the clock moved there (a time ahead is only a preview)."""
    argv = ["sweep", "--json"] + (["--now", at.isoformat()] if at else [])
    with time_machine.travel(at, tick=False) if at else contextlib.nullcontext():
        result = cli(*argv)
    assert result.code == 0, result.err
    data: dict[str, Any] = result.json()
    return data


def org_named(name: str, org_id: str = "delta") -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        next(o for o in data["organizations"] if o["id"] == org_id)["name"] = name

    return edit


def test_names_from_the_parties_file_cannot_ping_anyone(
    slack: SlackServer, cli: Cli, parties_variant: Callable[..., Path]
) -> None:
    load(cli, parties_variant(org_named(HOSTILE)))
    declare(cli)
    assert sweep(cli)["sent"] == 5
    posts = slack.calls("chat.postMessage")
    assert len(posts) == 5
    for post in posts:
        payload = json.dumps(post.body, ensure_ascii=False)
        assert "<!channel>" not in payload
        assert "<@U0TANAKA>" not in payload
        assert "A&amp;B &lt;!channel&gt; &lt;@U0TANAKA&gt;" in post.body["text"]
        assert "A&amp;B &lt;!channel&gt;" in json.dumps(post.body["blocks"], ensure_ascii=False)


def test_reminders_and_escalations_mention_the_managers_concerned(
    slack: SlackServer, cli: Cli, parties_file: Path
) -> None:
    load(cli, parties_file)
    declared = declare(cli)
    start = datetime.fromisoformat(declared["declared_at"])
    sweep(cli)
    cards = len(slack.calls("chat.postMessage"))
    sweep(cli, start + timedelta(minutes=31))
    reminders = slack.calls("chat.postMessage")[cards:]
    assert reminders
    to_delta = [r for r in reminders if r.body["channel"] == "C0DELTA"]
    assert to_delta
    assert all("<@U0WATANABE>" in r.body["text"] for r in to_delta)
    assert all("thread_ts" in r.body for r in reminders)
    before = len(slack.calls("chat.postMessage"))
    sweep(cli, start + timedelta(minutes=61))
    escalations = slack.calls("chat.postMessage")[before:]
    mentioned = {r.body["channel"]: r.body["text"] for r in escalations}
    assert "<@U0TANAKA>" in mentioned["C0NERIMA"]
    assert "<@U0WATANABE>" not in mentioned["C0NERIMA"]


def test_an_organisation_without_a_channel_is_listed_as_unreachable_then_retried(
    slack: SlackServer, cli: Cli, parties_file: Path, parties_variant: Callable[..., Path]
) -> None:
    def no_channel(data: dict[str, Any]) -> None:
        next(o for o in data["organizations"] if o["id"] == "beta").pop("slack_channel")

    load(cli, parties_variant(no_channel))
    incident = declare(cli)["id"]
    result = sweep(cli)
    assert (result["sent"], result["unreachable"]) == (4, 1)
    status = cli("status", incident, "--json").json()
    assert status["unreachable_by_chat"] == ["beta"]
    assert [f["org"] for f in status["notifications"]["failed"]] == ["beta"]
    listed = cli("notifications", "--failed", "--json").json()
    assert [(n["org"], n["status"], n["channel"]) for n in listed] == [
        ("beta", "unreachable", None)
    ]
    load(cli, parties_file)  # beta now has its channel
    retried = cli("notifications", "retry", str(listed[0]["id"]), "--json")
    assert retried.code == 0, retried.err
    assert retried.json()["notifications"][0]["status"] == "sent"
    assert [m["text"][:4] for m in slack.messages("C0BETA")] == ["事故等 "]
    assert cli("notifications", "--failed", "--json").json() == []


def test_permanent_failures_are_shown_and_retried_on_request(
    slack: SlackServer, cli: Cli, parties_file: Path
) -> None:
    load(cli, parties_file)
    slack.fail_next("chat.postMessage", error="not_in_channel", times=5)
    incident = declare(cli)["id"]
    assert sweep(cli)["failed"] == 5
    failed = cli("notifications", "--failed", "--json").json()
    assert {n["last_error"] for n in failed} == {"not_in_channel"}
    statuses = {r["to"]: r["status"] for r in cli("status", incident, "--json").json()["reports"]}
    assert set(statuses.values()) == {"failed"}
    table = cli("notifications", "--failed")
    assert table.code == 0
    assert "not_in_channel" in table.out
    retried = cli("notifications", "retry", "--all", "--json").json()
    assert len(retried["retried"]) == 5
    assert retried["sent"] == 5
    statuses = {r["to"]: r["status"] for r in cli("status", incident, "--json").json()["reports"]}
    assert set(statuses.values()) == {"delivered"}


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["retry"], "ID"),
        (["retry", "1", "--all"], "ID"),
        (["retry", "999"], "no notification 999"),
    ],
)
def test_retry_refuses_bad_input_with_one_line(
    slack: SlackServer, cli: Cli, parties_file: Path, argv: list[str], fragment: str
) -> None:
    load(cli, parties_file)
    result = cli("notifications", *argv)
    assert result.code == 2
    assert fragment in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_retry_of_a_sent_message_is_refused(
    slack: SlackServer, cli: Cli, parties_file: Path
) -> None:
    load(cli, parties_file)
    declare(cli)
    sweep(cli)
    sent = cli("notifications", "--json").json()[0]
    result = cli("notifications", "retry", str(sent["id"]))
    assert result.code == 2
    assert "is sent, not failed" in result.err
    assert len(slack.calls("chat.postMessage")) == 5


def test_english_by_setting(
    slack: SlackServer, cli: Cli, parties_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIKOFLOW_LANG", "en")
    load(cli, parties_file)
    declare(cli)
    sweep(cli)
    texts = [p.body["text"] for p in slack.calls("chat.postMessage")]
    assert all(t.startswith("Incident ") for t in texts)
    assert all("leak (suspected)" in t for t in texts)


def test_bare_notifications_lists_the_outbox(
    slack: SlackServer, cli: Cli, parties_file: Path
) -> None:
    load(cli, parties_file)
    declare(cli)
    listed = cli("notifications", "--json").json()
    assert {n["status"] for n in listed} == {"pending"}
    assert len(listed) == 5
    table = cli("notifications")
    assert table.code == 0
    assert "C0NERIMA" in table.out


def _keys(posts: list[Any]) -> list[str]:
    return [str(p.body["metadata"]["event_payload"]["key"]) for p in posts]


def _last_cards(slack: SlackServer) -> dict[str, str]:
    """Each channel's card (its one top-level message) as Slack shows it now."""
    channels = {call.body["channel"] for call in slack.calls("chat.postMessage")}
    shown: dict[str, str] = {}
    for channel in sorted(channels):
        [card] = slack.messages(channel)
        shown[channel] = json.dumps(card["blocks"], ensure_ascii=False)
    return shown


@pytest.mark.parametrize("hours_ago", [0, 3])
def test_reports_a_sweep_delivers_are_not_escalated_and_every_card_shows_them_done(
    slack: SlackServer, cli: Cli, parties_file: Path, hours_ago: int
) -> None:
    load(cli, parties_file)
    # Recorded without the flow; found just now, or three hours ago (every report is late).
    found = (datetime.now(TOKYO) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")
    result = cli(
        "declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak",
        "--summary", "封筒1通の所在不明", "--discovered-at", found, "--no-flow", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    incident = result.json()["id"]

    sweep(cli)

    keys = _keys(slack.calls("chat.postMessage"))
    assert sum(f"{incident}:report:" in k for k in keys) == 4
    # The sweep sent the reports first: nobody is told reporting is overdue once it is done.
    assert not [k for k in keys if ":escalation:report:" in k or ":reminder:report:" in k]
    status = cli("status", incident, "--json").json()
    [step] = [s for s in status["steps"] if s["name"] == "report"]
    assert step["status"] == "done"
    cards = _last_cards(slack)
    assert len(cards) == 5
    for channel, blocks in cards.items():
        assert "甲・乙等への報告: 完了" in blocks, channel
        assert "未送信" not in blocks, channel


def test_an_acknowledgement_shows_on_every_card_of_the_incident(
    slack: SlackServer, cli: Cli, parties_file: Path
) -> None:
    load(cli, parties_file)
    incident = declare(cli)["id"]
    sweep(cli)

    acked = cli("ack", incident, "--org", "nerima", "--by", "tanaka")

    assert acked.code == 0, acked.err
    cards = _last_cards(slack)
    assert len(cards) == 5
    for channel, blocks in cards.items():
        assert "受領" in blocks, channel  # nerima's report, in every channel alike

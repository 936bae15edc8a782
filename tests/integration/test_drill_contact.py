"""A contact-tree check end to end through the CLI: the drill flow posts 【訓練】 messages with the
real WebClient to a fake Slack, organisations confirm (one never does), the window closes, and
the outcome names who answered late, who never did, and who has no channel or no manager."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Env
from tests.integration.drill_helpers import T0, Cli, add_epsilon, at, run_drill
from tests.slack_server import SlackServer

pytestmark = pytest.mark.prefect

CHANNELS = {
    "nerima": "C0NERIMA",
    "acme": "C0ACME",
    "beta": "C0BETA",
    "gamma": "C0GAMMA",
    "delta": "C0DELTA",
}
MANAGERS = {
    "nerima": "U0TANAKA",
    "acme": "U0SUZUKI",
    "beta": "U0TAKAHASHI",
    "gamma": "U0ITO",
    "delta": "U0WATANABE",
}


@pytest.fixture
def drill(
    sqlite_env: Env, slack_env: SlackServer, cli: Cli, parties_variant: Callable[..., Any]
) -> dict[str, Any]:
    assert cli("parties", "load", parties_variant(add_epsilon)).code == 0
    return run_drill(cli, "contact", "--by", "suzuki", "--now", at(0))


def test_every_organisation_gets_a_drill_message_in_its_own_channel(
    drill: dict[str, Any], slack_env: SlackServer
) -> None:
    assert drill["flow_completed"] is True
    assert drill["origin"] == "delta"  # the deepest tier: its report travels the longest path
    delivery = {p["org"]: p["delivery"] for p in drill["participants"]}
    assert delivery == {**dict.fromkeys(CHANNELS, "sent"), "epsilon": "unreachable"}
    posts = slack_env.calls("chat.postMessage")
    assert sorted(p.body["channel"] for p in posts) == sorted(CHANNELS.values())
    for org, channel in CHANNELS.items():
        (post,) = [p for p in posts if p.body["channel"] == channel]
        text = json.dumps(post.body, ensure_ascii=False)
        assert "【訓練】" in post.body["text"]
        assert f"/drills/{drill['id']}" in text  # confirmed on the drill's page in the portal
        assert f"<@{MANAGERS[org]}>" in text  # the organisation's own manager is called
        assert "デルタ入力サービス有限会社" in text  # the simulated origin, as a report names it
        assert ("と想定した連絡確認です" in text) == (org == "delta")  # the origin is told so


def test_confirmations_are_timed_and_the_window_closes(drill: dict[str, Any], cli: Cli) -> None:
    drill_id = drill["id"]
    for org, by, minutes in [
        ("delta", "watanabe", 5),
        ("acme", "suzuki", 12),
        ("nerima", "tanaka", 45),
        ("beta", "takahashi", 59),
    ]:
        result = cli(
            "drill", "ack", drill_id, "--org", org, "--by", by, "--now", at(minutes), "--json"
        )
        assert result.code == 0, result.err
        assert result.json()["minutes"] == minutes
    again = cli("drill", "ack", drill_id, "--org", "acme", "--now", at(50), "--json")
    assert again.json()["minutes"] == 12  # the first confirmation stands
    late = cli("drill", "ack", drill_id, "--org", "gamma", "--now", at(61))
    assert late.code == 2
    assert "ended at 2026-11-02 11:00 JST" in late.err  # a time shown to a person is Tokyo's
    ticked = cli("drill", "tick", "--now", at(61), "--json").json()
    assert ticked["closed"] == [drill_id]
    shown = cli("drill", "show", drill_id, "--json").json()
    assert shown["state"] == "closed"
    assert datetime.fromisoformat(shown["closed_at"]) == T0 + timedelta(hours=1)
    outcome = {p["org"]: p["outcome"] for p in shown["participants"]}
    assert outcome == {
        "nerima": "before_due",
        "acme": "in_time",
        "beta": "before_due",
        "gamma": "none",
        "delta": "in_time",
        "epsilon": "none",
    }
    assert shown["never_answered"] == ["gamma", "epsilon"]
    assert shown["no_channel"] == ["epsilon"]
    assert shown["no_manager"] == ["epsilon"]
    after = cli("drill", "ack", drill_id, "--org", "gamma", "--now", at(30))
    assert after.code == 2
    assert "closed" in after.err


def test_the_report_names_who_never_answered(drill: dict[str, Any], cli: Cli) -> None:
    drill_id = drill["id"]
    assert (
        cli("drill", "ack", drill_id, "--org", "acme", "--by", "suzuki", "--now", at(12)).code == 0
    )
    assert cli("drill", "close", drill_id, "--now", at(20)).code == 0
    report = cli("drill", "report", drill_id)
    assert report.code == 0, report.err
    never = report.out.split("### 応答のなかった組織")[1].split("###")[0]
    assert "ガンマデータセンター株式会社（gamma）" in never
    assert "イプシロン印刷株式会社（epsilon）" in never
    assert "アクメ" not in never
    assert "### チャットのチャンネルがない組織\n\n- イプシロン印刷株式会社（epsilon）" in report.out
    assert (
        "### 管理責任者が登録されていない組織\n\n- イプシロン印刷株式会社（epsilon）" in report.out
    )
    assert "| 鈴木 花子（suzuki） | 12.0 | 30分以内 |" in report.out


def test_refusals_name_the_field(
    drill: dict[str, Any], cli: Cli, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    for argv, words in [
        (["drill", "ack", "DRL-NOPE", "--org", "acme"], "unknown drill"),
        (["drill", "ack", drill["id"], "--org", "omega"], "--org"),
        (["drill", "ack", drill["id"], "--org", "acme", "--by", "tanaka"], "--by"),
        (["drill", "ack", drill["id"], "--org", "acme", "--now", at(-5)], "before the start"),
        (["drill", "run", "--contract", "C-NOPE", "--type", "contact"], "--contract"),
        (
            ["drill", "run", "--contract", "C-2026-001", "--type", "contact", "--org", "nerima"],
            "client",
        ),
        (
            ["drill", "run", "--contract", "C-2026-001", "--type", "contact", "--window", "0"],
            "--window",
        ),
        (["drill", "next", drill["id"]], "no scenario"),
    ]:
        result = cli(*argv)
        assert result.code == 2, (argv, result)
        assert words in result.err, (argv, result.err)
        assert result.err.count("\n") == 1, (argv, result.err)
    assert snapshot() == before

"""A tabletop exercise drives the real Article 24 flow on a drill incident: the incident never
shows in `list`, every message is marked 【訓練】, injects reach chat only as numbers, and the
participants' answers — drill responses and the normal commands — end up in the report."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Env
from tests.integration.drill_helpers import Cli, run_drill
from tests.slack_server import SlackServer

pytestmark = pytest.mark.prefect

RESPONSE = "入力室を施錠し、搬送を停止。090-1234-5678 の山田太郎に連絡"
MEASURE = "保管庫と作業室の全棚を二人一組で捜索"


def posted(slack: SlackServer) -> str:
    return json.dumps([r.body for r in slack.calls("chat.postMessage")], ensure_ascii=False)


@pytest.fixture
def tabletop(
    sqlite_env: Env, slack_env: SlackServer, cli: Cli, parties_file: Path
) -> dict[str, Any]:
    assert cli("parties", "load", parties_file).code == 0
    return run_drill(cli, "tabletop", "--scenario", "lost-forms-tier3", "--by", "suzuki")


def test_the_drill_incident_runs_the_real_flow_and_never_shows_in_list(
    tabletop: dict[str, Any], slack_env: SlackServer, cli: Cli
) -> None:
    assert tabletop["flow_completed"] is True
    assert tabletop["origin"] == "delta"  # the scenario's third tier
    incident = tabletop["incident"]
    status = cli("status", incident, "--json").json()
    assert status["drill"] is True
    assert status["kind"] == "leak"
    assert status["suspected"] is True
    assert {r["to"]: r["status"] for r in status["reports"]} == dict.fromkeys(
        ["gamma", "beta", "acme", "nerima"], "delivered"
    )
    assert cli("list", "--json").json() == []
    assert cli("list", "--open", "--contract", "C-2026-001", "--json").json() == []
    posts = slack_env.calls("chat.postMessage")
    assert len(posts) == 5  # four reports and delta's own managers, as for a real incident
    assert all(p.body["text"].startswith("【訓練】") for p in posts)
    assert "入力用紙" not in posted(slack_env)  # the situation is drill content, not chat
    assert [p["org"] for p in tabletop["participants"]] == [
        "nerima",
        "acme",
        "beta",
        "gamma",
        "delta",
    ]


def test_injects_reach_chat_as_numbers_and_the_cli_in_full(
    tabletop: dict[str, Any], slack_env: SlackServer, cli: Cli
) -> None:
    drill_id = tabletop["id"]
    before = len(slack_env.calls("chat.postMessage"))
    released = cli("drill", "next", drill_id, "--by", "suzuki", "--json")
    assert released.code == 0, released.err
    inject = released.json()
    assert (inject["number"], inject["total"]) == (1, 6)
    assert "監視カメラ" in inject["text"]
    assert inject["questions"][0]["role"] == "origin_manager"
    notices = slack_env.calls("chat.postMessage")[before:]
    assert len(notices) == 5
    assert all(f"/drills/{drill_id}" in json.dumps(n.body) for n in notices)
    assert "監視カメラ" not in posted(slack_env)
    # The next inject is due 15 minutes in; the tick releases it then, not before.
    started = datetime.fromisoformat(tabletop["started_at"])
    early = cli("drill", "tick", "--now", (started + timedelta(minutes=14)).isoformat(), "--json")
    assert early.json()["released"] == []
    due = cli("drill", "tick", "--now", (started + timedelta(minutes=15)).isoformat(), "--json")
    assert due.json()["released"] == [{"drill": drill_id, "inject": 2}]
    shown = cli("drill", "show", drill_id, "--json").json()
    assert shown["released"] == 2
    assert "受領票" in shown["injects"][1]["text"]


def test_answers_from_drill_and_normal_commands_fill_the_report(
    tabletop: dict[str, Any], slack_env: SlackServer, cli: Cli
) -> None:
    drill_id, incident = tabletop["id"], tabletop["incident"]
    assert cli("drill", "next", drill_id).code == 0
    assert cli("drill", "next", drill_id).code == 0
    assert (
        cli(
            "drill",
            "respond",
            drill_id,
            "--inject",
            "1",
            "--role",
            "origin_manager",
            "--text",
            RESPONSE,
            "--by",
            "watanabe",
        ).code
        == 0
    )
    assert cli("ack", incident, "--org", "gamma", "--by", "ito").code == 0
    assert cli("contain", incident, "--action", MEASURE, "--by", "watanabe").code == 0
    assert cli("drill", "join", drill_id, "--by", "tanaka").code == 0
    hint = cli("drill", "ack", drill_id, "--org", "acme")
    assert hint.code == 2
    assert f"acknowledge the report of its drill incident {incident}" in hint.err
    for argv, words in [
        (["--inject", "3", "--role", "origin_manager"], "--inject"),
        (["--inject", "1", "--role", "mayor"], "--role"),
    ]:
        refused = cli("drill", "respond", drill_id, *argv, "--text", "x")
        assert refused.code == 2
        assert words in refused.err
    assert cli("drill", "close", drill_id, "--by", "suzuki").code == 0
    # The exercise is over, so is its incident: no reminder or escalation will follow it.
    assert cli("status", incident, "--json").json()["state"] == "closed"
    posts = len(slack_env.calls("chat.postMessage"))
    assert cli("sweep", "--now", "2099-01-01T00:00:00+09:00", "--json").code == 0
    assert len(slack_env.calls("chat.postMessage")) == posts
    report = cli("drill", "report", drill_id)
    assert report.code == 0, report.err
    text = report.out
    assert "第三次再委託先における住民異動届（入力用紙）の所在不明" in text
    assert "1時間以内に、甲・乙・中間の各委託元へ同時に報告できること" in text  # objectives
    assert "作業室と保管庫を一通り確認したが見つからない" in text  # the inject, in the report
    assert RESPONSE in text
    assert MEASURE in text
    assert "渡辺 直子（watanabe）" in text
    assert "田中 一郎（tanaka）" in text
    assert "| 被害拡大防止措置 |" in text  # each step against its clock
    unanswered = text.split("### 回答のなかった問い")[1].split("##")[0]
    assert "状況付与 1" not in unanswered  # origin_manager answered inject 1
    assert "状況付与 2 / 乙の管理責任者: 乙として、甲への報告内容" in unanswered
    # Nothing anyone typed reached chat.
    assert RESPONSE not in posted(slack_env)
    assert MEASURE not in posted(slack_env)
    assert "090-1234-5678" not in posted(slack_env)

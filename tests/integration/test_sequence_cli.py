"""The whole Article 24 sequence through the CLI, with the real WebClient and a fake Slack."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from tests.conftest import CliResult, Env
from tests.integration.conftest import Snapshot
from tests.slack_server import SlackServer

Cli = Callable[..., CliResult]
TYPED = "<script>alert(1)</script>"


def refused(result: CliResult, *words: str) -> None:
    assert result.code == 2, result
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err
    for word in words:
        assert word in result.err


@pytest.fixture
def declared(env: Env, slack_env: SlackServer, cli: Cli, parties_file: Path) -> str:
    assert cli("parties", "load", parties_file).code == 0
    result = cli(
        "declare",
        "--contract",
        "C-2026-001",
        "--org",
        "delta",
        "--kind",
        "leak",
        "--suspected",
        "--summary",
        f"入力用紙の紛失 {TYPED}",
        "--no-flow",
        "--json",
    )
    assert result.code == 0, result.err
    incident_id: str = result.json()["id"]
    swept = cli("sweep", "--json").json()
    assert swept["sent"] == 5  # four reports and the organisation's own managers
    return incident_id


def posted_text(slack: SlackServer) -> str:
    return json.dumps([r.body for r in slack.requests], ensure_ascii=False)


def test_from_declaration_to_acceptance(declared: str, slack_env: SlackServer, cli: Cli) -> None:
    incident = declared
    for org in ("nerima", "acme", "beta", "gamma"):
        assert cli("ack", incident, "--org", org).code == 0
    assert (
        cli("contain", incident, "--action", f"回収 {TYPED}", "--done", "--by", "watanabe").code
        == 0
    )
    assert cli("cause", incident, "--text", f"封入時の確認漏れ {TYPED}").code == 0
    assert (
        cli(
            "prevent",
            incident,
            "--measure",
            f"二重確認 {TYPED}",
            "--owner",
            "suzuki",
            "--due",
            "2099-01-31",
        ).code
        == 0
    )
    assert cli("prevent", incident, "--implemented", "1").code == 0
    status = cli("status", incident, "--json").json()
    assert {s["name"]: s["status"] for s in status["steps"]} == {
        "containment": "done",
        "report": "done",
        "root_cause": "done",
        "prevention": "done",
        "record": "pending",
    }
    submitted = cli("submit", incident, "--by", "suzuki", "--json").json()
    frozen = cli("record", incident, "--version", "1")
    assert hashlib.sha256(frozen.out.encode()).hexdigest() == submitted["sha256"]
    assert "事故等報告書" in frozen.out
    assert "下書き" not in frozen.out
    assert "現況" not in frozen.out
    # What was submitted is its Markdown: never written under another format's name.
    refused(cli("record", incident, "--version", "1", "--format", "html"), "--format", "Markdown")
    accepted = cli("accept", incident, "--by", "tanaka", "--json")
    assert accepted.json()["state"] == "closed"
    assert cli("status", incident, "--json").json()["state"] == "closed"
    # Shown now, the accepted version says it is not the text as submitted, which is kept.
    now = cli("record", incident).out
    assert "第1版 · 現況" in now
    assert "提出された報告書そのものは、保存された第1版です。" in now
    assert now != frozen.out
    assert cli("record", incident, "--version", "1").out == frozen.out
    assert incident not in [row["id"] for row in cli("list", "--open", "--json").json()]
    # Managers followed every change in chat, and nothing anyone typed was posted.
    assert len(slack_env.calls("chat.postMessage")) > 5
    assert "script" not in posted_text(slack_env)
    assert "回収" not in posted_text(slack_env)


def test_refusals_are_one_line_with_exit_2(declared: str, cli: Cli) -> None:
    incident = declared
    refused(cli("contain", "INC-NOPE", "--action", "x"), "unknown incident")
    refused(cli("prevent", incident, "--measure", "x"), "no root cause")
    refused(cli("submit", incident), "containment", "root cause", "prevention")
    refused(cli("contain", incident, "--action", "   "), "--action")
    refused(cli("cause", incident, "--text", ""), "--text")
    refused(cli("cause", incident, "--text", "x", "--by", "ghost"), "--by", "ghost")
    cli("cause", incident, "--text", "原因")
    refused(cli("prevent", incident, "--measure", "x", "--due", "2001-01-01"), "--due")
    refused(cli("prevent", incident, "--measure", "x", "--due", "next week"), "--due")
    refused(cli("prevent", incident, "--measure", "x", "--owner", "ghost"), "--owner")
    refused(cli("prevent", incident, "--implemented", "9"), "no measure 9")
    refused(cli("accept", incident, "--by", "tanaka"), "no submitted record")
    refused(cli("record", incident, "--format", "docx"), "--format")
    refused(cli("record", incident, "--lang", "fr"), "--lang")
    before = cli("status", incident, "--json").json()
    refused(cli("accept", incident, "--by", "suzuki"), "--by", "only managers of 甲 may")
    assert cli("status", incident, "--json").json() == before


def _close(cli: Cli, incident: str) -> None:
    cli("contain", incident, "--action", "回収", "--done")
    cli("cause", incident, "--text", "原因")
    cli("prevent", incident, "--measure", "対策")
    assert cli("submit", incident).code == 0
    refused(cli("accept", incident, "--by", "watanabe"), "--by", "only managers of 甲 may")
    assert cli("accept", incident, "--by", "tanaka").code == 0


def test_a_closed_incident_refuses_changes(declared: str, cli: Cli) -> None:
    _close(cli, declared)
    for argv in (
        ["contain", declared, "--action", "x"],
        ["cause", declared, "--text", "x"],
        ["prevent", declared, "--measure", "x"],
        ["submit", declared],
        ["ack", declared, "--org", "nerima"],
    ):
        refused(cli(*argv), "closed")


def test_the_record_escapes_everything_typed_in_html(declared: str, cli: Cli) -> None:
    cli("contain", declared, "--action", f"回収 {TYPED}")
    cli("cause", declared, "--text", f"原因 {TYPED}")
    cli("prevent", declared, "--measure", f"対策 {TYPED}")
    html = cli("record", declared, "--format", "html").out
    assert TYPED not in html
    assert html.count("&lt;script&gt;") >= 4  # summary, containment, cause, measure
    english = cli("record", declared, "--lang", "en").out
    assert "Incident Report (Article 24)" in english


def test_late_steps_show_as_overdue_a_preview_sends_nothing_and_a_sweep_escalates_once(
    declared: str, slack_env: SlackServer, cli: Cli, snapshot: Callable[[], Snapshot]
) -> None:
    moment = datetime.now(UTC) + timedelta(hours=2)
    later = moment.isoformat()
    status = cli("status", declared, "--now", later, "--json").json()
    late = {s["name"] for s in status["steps"] if s["status"] == "overdue"}
    # Every report was delivered, so reporting is done; acknowledgements are late per report.
    assert late == {"containment"}
    assert [r["id"] for r in cli("list", "--overdue", "--now", later, "--json").json()] == [
        declared
    ]
    assert cli("list", "--overdue", "--json").json() == []
    # Two hours ahead of the clock, `sweep --now` only shows what that time would send.
    before, posts = snapshot(), len(slack_env.calls("chat.postMessage"))
    preview = cli("sweep", "--now", later, "--json").json()
    assert preview["preview"] is True
    assert (preview["reminders"], preview["escalations"]) == (4, 5)
    assert snapshot() == before
    assert len(slack_env.calls("chat.postMessage")) == posts
    text = cli("sweep", "--now", later)
    assert text.out.startswith("preview (nothing sent or written)")
    # At that time the sweep sends exactly that: the containment step's escalation, and each
    # recipient's acknowledgement reminder and escalation.
    with time_machine.travel(moment, tick=False):
        first = cli("sweep", "--json").json()
        again = cli("sweep", "--json").json()
    assert (first["preview"], first["reminders"], first["escalations"]) == (False, 4, 5)
    sent = [
        r.body["metadata"]["event_payload"]["key"]
        for r in slack_env.calls("chat.postMessage")[posts:]
    ]
    assert sorted(sent) == sorted(m["key"] for m in preview["would_send"])
    assert (again["escalations"], again["reminders"], again["sent"]) == (0, 0, 0)
    nerima = [
        r.body for r in slack_env.calls("chat.postMessage") if r.body["channel"] == "C0NERIMA"
    ]
    assert any("<@U0TANAKA>" in json.dumps(body, ensure_ascii=False) for body in nerima)

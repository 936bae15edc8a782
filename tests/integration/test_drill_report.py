"""The evidence an auditor asks for: the after-action report's sections and content, improvement
items tracked to closure, and which organisations are due (or overdue) for a drill."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from jikoflow.records.render import markdown_text
from tests.conftest import Env
from tests.integration.drill_helpers import T0, Cli, at, run_drill

NOW = (T0 + timedelta(days=1)).isoformat()
SECTIONS_JA = [
    "1. 概要",
    "2. 目的",
    "3. 参加組織と出席",
    "4. 経過",
    "5. 期限に対する実績",
    "6. 所見",
    "7. 改善事項",
    "8. 記録の完全性",
]
TYPED = "<script>alert(1)</script> 連絡網の更新"


@pytest.fixture
def closed(loaded_env: Env, cli: Cli) -> str:
    """A contact check (no chat): acme confirmed after 12 minutes, the others never did."""
    drill_id: str = run_drill(cli, "contact", "--no-flow", "--by", "suzuki", "--now", at(0))["id"]
    assert (
        cli("drill", "ack", drill_id, "--org", "acme", "--by", "suzuki", "--now", at(12)).code == 0
    )
    assert cli("drill", "tick", "--now", at(60)).code == 0
    return drill_id


def test_the_report_has_every_section_in_order(closed: str, cli: Cli) -> None:
    md = cli("drill", "report", closed, "--now", NOW).out
    headings = re.findall(r"^## (.+)$", md, flags=re.MULTILINE)
    assert headings == SECTIONS_JA
    assert md.startswith("# 訓練実施報告書: 連絡確認訓練")  # the title says 訓練 once
    assert f"- **訓練ID**: {closed}" in md
    assert "- **状態**: 終了" in md
    assert "| 30分以内 | 1 |" in md
    assert "| 応答なし | 4 |" in md
    assert "**受領確認** org=acme" in md
    assert "**訓練終了**" in md
    assert "監査証跡のハッシュ連鎖を検証しました" in md
    en = cli("drill", "report", closed, "--lang", "en", "--now", NOW).out
    assert re.findall(r"^## (\d\. .+)$", en, flags=re.MULTILINE)[0] == "1. Overview"
    assert "| within 30 min | 1 |" in en
    assert "Organisations that never answered" in en


def test_improvement_items_are_tracked_to_closure(closed: str, cli: Cli) -> None:
    added = cli(
        "drill",
        "finding",
        "add",
        closed,
        "--text",
        TYPED,
        "--owner",
        "ito",
        "--due",
        "2026-12-31",
        "--by",
        "suzuki",
        "--json",
    )
    assert added.code == 0, added.err
    item = added.json()
    assert (item["number"], item["state"], item["owner"]) == (1, "open", "ito")
    old = cli(
        "drill",
        "finding",
        "add",
        closed,
        "--text",
        "管理責任者の登録",
        "--due",
        "2026-01-31",
        "--json",
    ).json()
    listed = cli("drill", "finding", "list", "--open", "--json").json()
    assert [(f["id"], f["overdue"]) for f in listed] == [(item["id"], False), (old["id"], True)]
    moved = cli("drill", "finding", "update", str(item["id"]), "--state", "in_progress", "--json")
    assert moved.json()["state"] == "in_progress"
    done = cli(
        "drill",
        "finding",
        "close",
        str(item["id"]),
        "--note",
        "連絡網を更新",
        "--by",
        "suzuki",
        "--json",
    ).json()
    assert done["state"] == "done"
    assert done["closed_by"] == "suzuki"
    assert done["note"] == "連絡網を更新"
    reopened = cli("drill", "finding", "update", str(item["id"]), "--state", "open")
    assert reopened.code == 2
    assert "stays closed" in reopened.err
    assert [f["id"] for f in cli("drill", "finding", "list", "--open", "--json").json()] == [
        old["id"]
    ]
    md = cli("drill", "report", closed, "--now", NOW).out
    # Markdown carries the text as typed, its markup escaped: a reader shows it, runs nothing.
    assert "| 1 | &lt;script&gt;" not in md
    assert f"| 1 | {markdown_text(TYPED)} | 伊藤 健（ito） | 2026-12-31 | 完了 |" in md
    assert "<script>" not in md
    assert "| 2 | 管理責任者の登録 | — | 2026-01-31 | 未着手 ⚠ |" in md
    html = cli("drill", "report", closed, "--format", "html", "--now", NOW).out
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for argv, words in [
        (["finding", "add", closed, "--text", " "], "--text"),
        (["finding", "add", closed, "--text", "x", "--owner", "ghost"], "--owner"),
        (["finding", "add", closed, "--text", "x", "--due", "soon"], "--due"),
        (["finding", "update", "999", "--state", "done"], "unknown finding"),
        (["finding", "update", str(old["id"]), "--state", "maybe"], "--state"),
    ]:
        result = cli("drill", *argv)
        assert result.code == 2, (argv, result)
        assert words in result.err, (argv, result)


def test_the_report_prints_to_pdf(closed: str, cli: Cli, tmp_path: Path) -> None:
    refused = cli("drill", "report", closed, "--format", "pdf")
    assert refused.code == 2
    assert "--out" in refused.err
    target = tmp_path / "drill.pdf"
    assert cli("drill", "report", closed, "--format", "pdf", "--out", target).code == 0
    pdf = PdfReader(io.BytesIO(target.read_bytes()))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert closed in text
    assert "訓練実施報告書" in text


def add_many(data: dict[str, Any]) -> None:
    """45 more subcontractors under beta: a chain whose report lists are long."""
    for i in range(45):
        data["organizations"].append(
            {"id": f"sub{i:02d}", "name": f"再委託先{i:02d}", "kind": "subcontractor"}
        )
        data["contracts"][0]["delegations"].append(
            {"from": "beta", "to": f"sub{i:02d}", "approved_at": "2026-04-15"}
        )


def test_a_long_chain_prints_its_lists_as_plain_lines(
    sqlite_env: Env, cli: Cli, parties_variant: Callable[..., Path], tmp_path: Path
) -> None:
    assert cli("parties", "load", parties_variant(add_many)).code == 0
    drill_id = run_drill(cli, "contact", "--no-flow", "--now", at(0))["id"]
    assert cli("drill", "ack", drill_id, "--org", "sub07", "--now", at(12)).code == 0
    assert cli("drill", "tick", "--now", at(60)).code == 0
    target = tmp_path / "long.pdf"
    assert cli("drill", "report", drill_id, "--format", "pdf", "--out", target).code == 0
    pdf = PdfReader(io.BytesIO(target.read_bytes()))
    lines = "".join(page.extract_text() for page in pdf.pages).splitlines()
    assert (
        "組織 / 立場 / チャンネル / 管理責任者 / 送信 / 受領確認 / 確認者 / 所要時間（分） / 判定"
        in lines
    )
    assert (
        "再委託先07（sub07） / 連絡網 / なし / 0 / 取下げ / 2026-11-02 10:12 / "
        "運用担当（サーバー） / 12.0 / 30分以内" in lines
    )
    assert "再委託先44（sub44） / 連絡網 / なし / 0 / 取下げ / — / — / — / 応答なし" in lines
    assert any(
        line.startswith("2026-11-02 10:12") and "受領確認 org=sub07" in line for line in lines
    )
    html = cli("drill", "report", drill_id, "--format", "html").out
    assert "<td>再委託先44（sub44）</td>" in html  # on screen the lists stay tables


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def due_by_org(cli: Cli, *extra: str) -> dict[str, Any]:
    result = cli("drill", "due", "--contract", "C-2026-001", "--json", *extra)
    assert result.code == 0, result.err
    return {row["org"]: row for row in result.json()}


def test_due_shows_last_drills_next_plans_and_overdue(loaded_env: Env, cli: Cli) -> None:
    before = due_by_org(cli, "--now", at(0))
    assert list(before) == ["acme", "beta", "gamma", "delta"]  # 乙 and below; 甲 is not bound
    assert all(row["overdue"] and row["contact"]["last"] is None for row in before.values())
    run = run_drill(cli, "contact", "--no-flow", "--now", at(0))
    assert cli("drill", "ack", run["id"], "--org", "acme", "--now", at(10)).code == 0
    run_drill(cli, "tabletop", "--scenario", "ransomware-dc-tier2", "--no-flow", "--now", at(5))
    assert (
        cli(
            "drill",
            "plan",
            "--contract",
            "C-2026-001",
            "--type",
            "contact",
            "--cron",
            "0 10 1 5,11 *",
        ).code
        == 0
    )
    after = due_by_org(cli, "--now", at(120))
    acme = after["acme"]
    assert when(acme["contact"]["last"]) == T0
    assert not acme["contact"]["overdue"]
    assert when(acme["contact"]["due"]) == T0.replace(year=2027, month=5)
    assert after["gamma"]["contact"]["overdue"]  # reached but never confirmed: does not count
    assert not after["gamma"]["tabletop"]["overdue"]  # the ransomware scenario is at gamma
    assert after["delta"]["tabletop"]["overdue"]  # below gamma: not on the drill's path
    # 1 May 2027 is a Saturday and 3–5 May are holidays: by the default policy the plan's run
    # moves to the next business day, Thursday 6 May.
    assert when(acme["contact"]["next_planned"]) == T0.replace(year=2027, month=5, day=6)
    assert cli("drill", "policy", "--contract", "C-2026-001", "--contact-months", "3").code == 0
    assert when(due_by_org(cli, "--now", at(120))["acme"]["contact"]["due"]) == T0.replace(
        year=2027, month=2
    )
    bad = cli("drill", "policy", "--contract", "C-2026-001", "--tabletop-months", "0")
    assert bad.code == 2
    assert "--tabletop-months" in bad.err


def test_scenario_files_are_listed_and_checked(loaded_env: Env, cli: Cli, tmp_path: Path) -> None:
    listed = cli("drill", "scenarios", "--json").json()
    assert {s["id"]: s["tier"] for s in listed} == {
        "lost-forms-tier3": 3,
        "misdirected-email-mynumber": 1,
        "ransomware-dc-tier2": 2,
    }
    mine = tmp_path / "mine.yaml"
    data: dict[str, Any] = {
        "id": "mine",
        "title": "t",
        "objectives": ["o"],
        "roles": [{"id": "boss", "name": "管理責任者", "org": "contractor"}],
        "situation": {"tier": 0, "kind": "leak", "text": "s"},
        "injects": [{"at": "5m", "text": "i", "questions": [{"role": "chief", "ask": "q"}]}],
    }
    mine.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    checked = cli("drill", "validate", mine)
    assert checked.code == 2
    assert checked.err == (
        "error: mine.yaml: injects[0].questions[0].role: unknown role 'chief' (roles: boss)\n"
    )
    data["injects"][0]["questions"][0]["role"] = "boss"
    mine.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert cli("drill", "validate", mine).code == 0
    assert run_drill(cli, "tabletop", "--scenario", mine, "--no-flow")["origin"] == "acme"
    deep = run_drill(cli, "tabletop", "--scenario", mine, "--org", "beta", "--no-flow")
    assert deep["origin"] == "beta"


def test_drill_commands_that_run_no_flow_never_import_prefect(
    closed: str, imported_modules: Callable[..., tuple[int, set[str]]]
) -> None:
    for argv in [
        ("drill", "show", closed, "--json"),
        ("drill", "report", closed),
        ("drill", "due", "--json"),
        ("drill", "plans", "--json"),
        ("drill", "tick", "--json"),
        ("drill", "ack", closed, "--org", "beta"),  # refused: the drill is closed
    ]:
        code, modules = imported_modules(*argv)
        assert code in (0, 2), argv
        assert not any(m == "prefect" or m.startswith("prefect.") for m in modules), argv


def test_a_closed_drill_asks_nobody_for_anything_more(loaded_env: Env, cli: Cli) -> None:
    from sqlmodel import select

    from jikoflow.models.db import reading
    from jikoflow.models.outbox.tables import Notification

    def statuses(drill_id: str) -> set[str]:
        with reading(loaded_env.url) as session:
            rows = session.exec(select(Notification).where(Notification.drill_id == drill_id))
            return {str(row.status) for row in rows}

    contact = run_drill(cli, "contact", "--no-flow", "--by", "suzuki", "--now", at(0))["id"]
    tabletop = ["tabletop", "--scenario", "lost-forms-tier3", "--no-flow", "--by", "suzuki"]
    exercise = run_drill(cli, *tabletop, "--now", at(1))
    assert cli("drill", "next", exercise["id"], "--no-flow", "--now", at(2)).code == 0
    assert statuses(contact) == statuses(exercise["id"]) == {"pending"}  # nothing sent yet
    for drill_id in (contact, exercise["id"]):
        assert cli("drill", "close", drill_id, "--now", at(3)).code == 0
        # The check asking for confirmation and the inject are withdrawn: a sweep sends neither.
        assert statuses(drill_id) == {"withdrawn"}
    swept = cli("sweep", "--json")
    assert swept.code == 0, swept.err
    assert statuses(contact) == statuses(exercise["id"]) == {"withdrawn"}

"""The record's acts through the command line: the not-an-incident path end to end, 甲's
decisions, and every bad input answered with exit 2, one line naming the option, nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, Env
from tests.integration.conftest import Snapshot

Cli = Callable[..., CliResult]


@pytest.fixture
def incident(sqlite_env: Env, cli: Cli, parties_file: Path) -> str:
    """A suspected leak at delta, declared through the CLI (SQLite)."""
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
        "入力用紙の紛失",
        "--no-flow",
        "--json",
    )
    assert result.code == 0, result.err
    incident_id: str = result.json()["id"]
    return incident_id


def _ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.err
    return result


def test_not_an_incident_from_facts_to_acceptance(incident: str, cli: Cli) -> None:
    facts = _ok(
        cli(
            "facts",
            incident,
            "--people",
            "0",
            "--items",
            "氏名,住所",
            "--not-sensitive",
            "--subject-notice",
            "not-needed",
            "--by",
            "watanabe",
            "--json",
        )
    ).json()
    assert facts["revision"] == 1
    assert facts["facts"]["subject_notice"] == "not_needed"
    _ok(cli("reclassify", incident, "--kind", "erasure", "--reason", "紛失ではなく誤廃棄の疑い"))
    submitted = _ok(
        cli(
            "submit",
            incident,
            "--not-an-incident",
            "--reason",
            "用紙は庁舎内で見つかった",
            "--by",
            "watanabe",
            "--json",
        )
    ).json()
    assert submitted["outcome"] == "not_an_incident"
    frozen = _ok(cli("record", incident, "--version", "1")).out
    assert "該当なし" in frozen
    assert "用紙は庁舎内で見つかった" in frozen
    accepted = _ok(cli("accept", incident, "--by", "tanaka", "--json")).json()
    assert accepted["outcome"] == "not_an_incident"
    assert accepted["state"] == "closed"
    status = _ok(cli("status", incident, "--json")).json()
    assert status["outcome"] == "not_an_incident"
    assert status["outcome_reason"] == "用紙は庁舎内で見つかった"
    assert status["facts"]["items"] == ["氏名", "住所"]
    assert status["kind"] == "erasure"
    assert status["appi"]["reportable"] is False
    assert "該当なし" in _ok(cli("status", incident)).out
    # 甲's APPI clocks are 甲's duty: shown to 甲's people and the operator only.
    assert _ok(cli("status", incident, "--json", "--by", "watanabe")).json()["appi"] is None
    era = _ok(cli("record", incident, "--dates", "era")).out
    assert "令和" in era


def test_the_clients_decisions(incident: str, cli: Cli, tmp_path: Path) -> None:
    given = _ok(
        cli("instruct", incident, "--text", "経緯を報告", "--due", "2099-01-31", "--by", "tanaka")
    )
    assert "instruction 1 open" in given.out
    done = _ok(cli("instruct", incident, "--done", "1", "--note", "報告済み", "--by", "watanabe"))
    assert "instruction 1 done" in done.out
    decided = _ok(
        cli("publish", incident, "--decision", "withhold", "--reason", "影響なし", "--by", "tanaka")
    )
    assert "withhold" in decided.out
    draft = _ok(cli("ppc", incident, "--by", "tanaka")).out
    assert "要記入" in draft
    pdf = tmp_path / "ppc.pdf"
    _ok(cli("ppc", incident, "--stage", "final", "--format", "pdf", "--out", pdf, "--by", "tanaka"))
    assert pdf.read_bytes().startswith(b"%PDF")


def test_return_and_measures_after_acceptance(incident: str, cli: Cli) -> None:
    _ok(cli("contain", incident, "--action", "回収", "--done"))
    _ok(cli("cause", incident, "--text", "確認漏れ"))
    _ok(cli("prevent", incident, "--measure", "二重確認"))
    _ok(cli("submit", incident))
    returned = _ok(cli("return", incident, "--reason", "原因が不十分", "--by", "tanaka", "--json"))
    assert returned.json()["state"] == "open"
    _ok(cli("cause", incident, "--text", "確認手順が未整備"))
    _ok(cli("submit", incident))
    _ok(cli("accept", incident, "--by", "tanaka"))
    done = _ok(
        cli("prevent", incident, "--implemented", "1", "--evidence", "点検記録", "--json")
    ).json()
    assert done["evidence"] == "点検記録"


def test_marking_done_again_with_other_words_is_refused_not_lost(
    incident: str, cli: Cli, snapshot: Callable[[], Snapshot]
) -> None:
    _ok(cli("cause", incident, "--text", "確認漏れ"))
    _ok(cli("prevent", incident, "--measure", "二重確認"))
    _ok(cli("prevent", incident, "--implemented", "1", "--evidence", "点検記録"))
    _ok(cli("instruct", incident, "--text", "経緯を報告", "--by", "tanaka"))
    _ok(cli("instruct", incident, "--done", "1", "--note", "報告済み", "--by", "watanabe"))
    before = snapshot()
    # The same words again, or none: a retry, answered as the first time.
    assert "measure 1 implemented" in _ok(cli("prevent", incident, "--implemented", "1")).out
    _ok(cli("prevent", incident, "--implemented", "1", "--evidence", "点検記録"))
    _ok(cli("instruct", incident, "--done", "1", "--note", "報告済み", "--by", "watanabe"))
    # Other words: refused in one line, so nobody believes they were kept.
    for argv, option in [
        (["prevent", incident, "--implemented", "1", "--evidence", "別の記録"], "--evidence"),
        (["instruct", incident, "--done", "1", "--note", "別の報告", "--by", "watanabe"], "--note"),
    ]:
        refused = cli(*argv)
        assert refused.code == 2, refused
        assert refused.err.startswith(f"error: {option}: ")
        assert "already" in refused.err
    assert snapshot() == before
    record = cli("record", incident).out
    assert "点検記録" in record
    assert "別の" not in record


def test_accepting_a_version_read_before_another_was_submitted_is_refused(
    incident: str, cli: Cli, snapshot: Callable[[], Snapshot]
) -> None:
    _ok(cli("contain", incident, "--action", "回収", "--done"))
    _ok(cli("cause", incident, "--text", "確認漏れ"))
    _ok(cli("prevent", incident, "--measure", "二重確認"))
    _ok(cli("submit", incident))
    # 甲 reads version 1; meanwhile the contractor changes the cause and submits again.
    _ok(cli("cause", incident, "--text", "手順が未整備"))
    _ok(cli("submit", incident))
    before = snapshot()
    for version, words in [("1", "version 2 of"), ("9", "no submitted version 9")]:
        refused = cli("accept", incident, "--by", "tanaka", "--version", version)
        assert refused.code == 2, refused
        assert refused.err.startswith("error: --version: ")
        assert words in refused.err
    assert snapshot() == before
    accepted = _ok(cli("accept", incident, "--by", "tanaka", "--version", "2", "--json")).json()
    assert (accepted["version"], accepted["state"]) == (2, "closed")


def test_refusals_word_choices_and_acts_as_the_command_line_spells_them(
    incident: str, cli: Cli
) -> None:
    notice = cli("facts", incident, "--subject-notice", "maybe")
    assert (
        notice.err == "error: --subject-notice: 'maybe' is not one of done, planned, not-needed\n"
    )
    _ok(cli("facts", incident, "--subject-notice", "not-needed"))
    assert cli("status", incident, "--json").json()["facts"]["subject_notice"] == "not_needed"
    discovered = cli("status", incident, "--json").json()["discovered_at"]
    refused = cli(
        "correct-discovery",
        incident,
        "--discovered-at",
        discovered,
        "--reason",
        "x",
        "--by",
        "sato",
    )
    assert refused.code == 2
    assert "sato may not correct its kind or its discovery time" in refused.err


BAD: list[tuple[list[str], str]] = [
    (["facts", "{id}"], "facts"),
    (["facts", "{id}", "--people", "-1"], "--people"),
    (["facts", "{id}", "--subject-notice", "maybe"], "--subject-notice"),
    (["facts", "{id}", "--occurred-at", "2099-01-01T00:00"], "--occurred-at"),
    (["facts", "{id}", "--occurred-at", "yesterday"], "--occurred-at"),
    (["facts", "{id}", "--records", "many"], "--records"),
    (["facts", "{id}", "--people", "5", "--by", "sato"], "--by"),
    (["facts", "INC-NONE", "--people", "5"], "ID"),
    (["reclassify", "{id}", "--reason", " "], "--reason"),
    (["reclassify", "{id}", "--kind", "bogus", "--reason", "r"], "--kind"),
    (["reclassify", "{id}", "--suspected", "--reason", "r"], "--kind"),
    (["return", "{id}", "--reason", "r", "--by", "tanaka"], "ID"),
    (["return", "{id}", "--reason", "", "--by", "tanaka"], "--reason"),
    (["return", "{id}", "--reason", "r", "--by", "suzuki"], "--by"),
    (["instruct", "{id}", "--by", "tanaka"], "--text"),
    (["instruct", "{id}", "--text", "x", "--due", "2000-01-01", "--by", "tanaka"], "--due"),
    (["instruct", "{id}", "--text", "x", "--due", "soon", "--by", "tanaka"], "--due"),
    (["instruct", "{id}", "--text", "x", "--by", "suzuki"], "--by"),
    (["instruct", "{id}", "--text", "x"], "--by"),
    (["instruct", "{id}", "--done", "5", "--by", "watanabe"], "--done"),
    (["instruct", "{id}", "--text", "x", "--done", "1", "--by", "tanaka"], "--text"),
    (["publish", "{id}", "--decision", "maybe", "--by", "tanaka"], "--decision"),
    (["publish", "{id}", "--decision", "withhold", "--by", "tanaka"], "--reason"),
    (["publish", "{id}", "--decision", "publish", "--on", "x", "--by", "tanaka"], "--on"),
    (["publish", "{id}", "--decision", "publish", "--by", "watanabe"], "--by"),
    (["ppc", "{id}", "--stage", "interim", "--by", "tanaka"], "--stage"),
    (["ppc", "{id}", "--format", "pdf", "--by", "tanaka"], "--out"),
    (["ppc", "{id}", "--format", "doc", "--by", "tanaka"], "--format"),
    (["ppc", "{id}", "--by", "suzuki"], "ID"),
    (["submit", "{id}", "--not-an-incident"], "--reason"),
    (["submit", "{id}", "--reason", "x"], "--reason"),
    (["submit", "{id}"], "ID"),
    (["record", "{id}", "--dates", "heisei"], "--dates"),
    (["record", "{id}", "--dates", "era", "--lang", "en"], "--dates"),
    (["prevent", "{id}", "--measure", "m", "--evidence", "e"], "--evidence"),
]


@pytest.mark.parametrize(("argv", "option"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_naming_the_option_and_changes_nothing(
    incident: str, cli: Cli, snapshot: Callable[[], Snapshot], argv: list[str], option: str
) -> None:
    before = snapshot()
    result = cli(*(a.format(id=incident) for a in argv))
    assert result.code == 2, result
    assert result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    assert option in result.err, result.err
    after: Any = snapshot()
    assert after == before


def test_steps_as_the_clause_reads(
    sqlite_env: Env, slack_env: object, cli: Cli, parties_file: Path
) -> None:
    """Reports delivered: the report step is done, acknowledgements tracked per recipient.
    A first measure meets the containment clock; the step shows in progress until --done."""
    assert cli("parties", "load", parties_file).code == 0
    declared = _ok(
        cli(
            "declare",
            "--contract",
            "C-2026-001",
            "--org",
            "delta",
            "--kind",
            "leak",
            "--summary",
            "x",
            "--discovered-at",
            "2026-11-27T09:00:00+09:00",
            "--no-flow",
            "--json",
        )
    ).json()
    incident = declared["id"]
    _ok(cli("sweep"))
    _ok(cli("contain", incident, "--action", "回収"))
    later = "2099-01-01T00:00:00+09:00"
    status = _ok(cli("status", incident, "--json", "--now", later)).json()
    steps = {s["name"]: s for s in status["steps"]}
    assert steps["report"]["status"] == "done"
    assert all(r["status"] == "delivered" for r in status["reports"])
    assert all(r["acknowledged_by"] is None for r in status["reports"])
    assert steps["containment"]["status"] == "in_progress"
    assert steps["containment"]["clock_met_at"] is not None
    assert steps["containment"]["done_at"] is None
    _ok(cli("ack", incident, "--org", "nerima", "--by", "tanaka"))
    _ok(cli("contain", incident, "--action", "完了", "--done"))
    status = _ok(cli("status", incident, "--json")).json()
    steps = {s["name"]: s for s in status["steps"]}
    assert steps["containment"]["status"] == "done"
    nerima = next(r for r in status["reports"] if r["to"] == "nerima")
    assert nerima["acknowledged_by"] == "tanaka"


def test_a_deeper_tier_without_notice_upward_is_flagged_and_told_to_the_contractor(
    sqlite_env: Env, cli: Cli, parties_variant: Callable[..., Path]
) -> None:
    from sqlmodel import select

    from jikoflow.models.db import reading
    from jikoflow.models.outbox.tables import Notification

    def unnotified(data: dict[str, Any]) -> None:
        for edge in data["contracts"][0]["delegations"]:
            if edge["to"] == "delta":
                edge.pop("upstream_notified_at", None)

    assert cli("parties", "load", parties_variant(unnotified)).code == 0
    (tree,) = _ok(cli("parties", "show", "--json")).json()
    flagged = {o["id"] for o in tree["organizations"] if o["upstream_notice_missing"]}
    assert flagged == {"delta"}
    assert "Art. 15 (3)" in _ok(cli("parties", "show")).out
    at_gamma = _ok(
        cli(
            "declare",
            "--contract",
            "C-2026-001",
            "--org",
            "gamma",
            "--kind",
            "leak",
            "--summary",
            "秘密",
            "--no-flow",
            "--json",
        )
    ).json()["id"]
    at_delta = _ok(
        cli(
            "declare",
            "--contract",
            "C-2026-001",
            "--org",
            "delta",
            "--kind",
            "leak",
            "--summary",
            "秘密",
            "--no-flow",
            "--json",
        )
    ).json()["id"]
    with reading(sqlite_env.url) as session:
        told = session.exec(
            select(Notification).where(Notification.event == "upstream_unnotified")
        ).all()
    # Declaring below the unnotified tier tells 乙 (acme), naming the tier only; above it, nothing.
    assert {(n.incident_id, n.org_id) for n in told} == {(at_delta, "acme")}
    assert all(n.facts["party_id"] == "delta" for n in told)
    assert all("秘密" not in str(n.facts) for n in told)
    assert at_gamma


def test_only_a_suspicion_closes_as_not_an_incident(incident: str, cli: Cli) -> None:
    _ok(cli("reclassify", incident, "--confirmed", "--reason", "紛失を確認"))
    why = ["--reason", "見つかった", "--by", "watanabe"]
    propose = ["submit", incident, "--not-an-incident", *why]
    refused = cli(*propose)
    assert refused.code == 2
    assert refused.err.count("\n") == 1
    assert "--not-an-incident" in refused.err
    assert "reclassify" in refused.err
    assert _ok(cli("status", incident, "--json")).json()["state"] == "open"
    # Reclassified as おそれ again, with its reason kept, it may end as 該当なし.
    _ok(cli("reclassify", incident, "--suspected", "--reason", "庁舎内で発見の報告"))
    submitted = _ok(cli(*propose, "--json")).json()
    assert submitted["outcome"] == "not_an_incident"

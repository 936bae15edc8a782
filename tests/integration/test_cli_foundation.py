"""The foundation commands through the CLI, on SQLite and on PostgreSQL: parties, declare,
status, list and ack — and every refusal: exit 2, one line on stderr, nothing changed."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jikoflow.models.audit.service import events_of, verify_chain
from jikoflow.models.db import reading
from tests.conftest import CONSOLE_SCRIPT, CliResult, Env, subprocess_environ
from tests.integration.conftest import SAMPLE_CONTRACT, Snapshot

Cli = Callable[..., CliResult]
Declare = Callable[..., dict[str, Any]]
TOKYO = ZoneInfo("Asia/Tokyo")
STEP_NAMES = ["containment", "report", "root_cause", "prevention", "record"]


def refused(result: CliResult, field: str) -> None:
    """Exit 2 with exactly one line on stderr that names `field`, and no traceback."""
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ")
    assert field in lines[0]
    assert "Traceback" not in result.err


def _with_second_contract(data: dict[str, Any]) -> None:
    """zeta is 乙 of a second contract of the same ward, and in no chain of the first."""
    data["organizations"].append(
        {"id": "zeta", "name": "ゼータ株式会社", "kind": "contractor", "slack_channel": "C0ZETA"}
    )
    data["contracts"].append(
        {
            "id": "C-2026-002",
            "title": "税務システム保守業務",
            "client": "nerima",
            "contractor": "zeta",
            "delegations": [{"from": "zeta", "to": "delta", "approved_at": "2026-04-01"}],
        }
    )


@pytest.fixture
def loaded(env: Env, cli: Cli, parties_variant: Callable[..., Path]) -> Env:
    """The sample parties plus a second contract."""
    result = cli("parties", "load", parties_variant(_with_second_contract))
    assert result.code == 0, result.err
    return env


# --- parties ---------------------------------------------------------------------------------


def test_loading_the_parties_twice_changes_nothing(
    env: Env, cli: Cli, parties_file: Path, snapshot: Callable[[], Snapshot]
) -> None:
    first = cli("parties", "load", parties_file, "--json")
    assert first.code == 0, first.err
    assert first.json()["changed"] == {
        "organizations": 5,
        "people": 7,
        "contracts": 1,
        "delegations": 3,
    }
    before = snapshot()
    assert len(before["organization"]) == 5
    assert len(before["auditevent"]) == 1
    second = cli("parties", "load", parties_file)
    assert second.code == 0, second.err
    assert "already up to date" in second.out
    assert snapshot() == before


def test_parties_show_draws_the_chain(loaded: Env, cli: Cli) -> None:
    shown = cli("parties", "show", "--contract", SAMPLE_CONTRACT)
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    positions = [
        next(i for i, line in enumerate(lines) if f"({org})" in line)
        for org in ("nerima", "acme", "beta", "gamma", "delta")
    ]
    assert positions == sorted(positions)
    assert "ゼータ" not in shown.out
    # Each party is named by its tier, as the written record names it.
    tiers = {
        "nerima": "甲",
        "acme": "乙",
        "beta": "再委託先（第1次）",
        "gamma": "再々委託先（第2次）",
    }
    tiers["delta"] = "再々委託先（第3次）"
    for org, tier in tiers.items():
        line = next(line for line in lines if f"({org})" in line)
        assert f"({org}) — {tier}" in line


def test_parties_show_json_lists_each_tree_in_order(loaded: Env, cli: Cli) -> None:
    views = cli("parties", "show", "--json").json()
    assert [v["id"] for v in views] == [SAMPLE_CONTRACT, "C-2026-002"]
    # Flat, parent before children, each with its parent and depth: any depth serialises.
    orgs = views[0]["organizations"]
    assert [(o["id"], o["parent"], o["depth"]) for o in orgs] == [
        ("nerima", None, 0),
        ("acme", "nerima", 1),
        ("beta", "acme", 2),
        ("gamma", "beta", 3),
        ("delta", "gamma", 4),
    ]
    assert orgs[1]["managers"] == ["suzuki"]
    assert orgs[2]["approved_at"] == "2026-04-01"
    second = {o["id"]: o for o in views[1]["organizations"]}
    assert (second["delta"]["parent"], second["delta"]["depth"]) == ("zeta", 2)


# --- declare, status, list -------------------------------------------------------------------


def test_declare_at_the_third_tier_reports_to_every_tier_above_and_the_client(
    loaded: Env, cli: Cli, declare: Declare
) -> None:
    declared = declare("--suspected", org="delta")
    assert declared["state"] == "open"
    assert declared["violations"] == []
    status = cli("status", declared["id"], "--json").json()
    assert [r["to"] for r in status["reports"]] == ["gamma", "beta", "acme", "nerima"]
    assert all(r["status"] == "pending" for r in status["reports"])
    assert status["suspected"] is True


def test_the_same_organisation_reports_up_the_chain_of_the_contract_named(
    loaded: Env, cli: Cli, declare: Declare
) -> None:
    declared = declare(org="delta", contract="C-2026-002")
    status = cli("status", declared["id"], "--json").json()
    assert [r["to"] for r in status["reports"]] == ["zeta", "nerima"]


def test_status_json_has_the_documented_fields(loaded: Env, cli: Cli, declare: Declare) -> None:
    declared = declare("--discovered-at", "2026-05-01T10:00", org="beta", kind="tampering")
    result = cli("status", declared["id"], "--json")
    assert result.code == 0, result.err
    status = result.json()
    assert status["id"] == declared["id"]
    assert (status["contract"], status["org"], status["kind"]) == (
        SAMPLE_CONTRACT,
        "beta",
        "tampering",
    )
    assert (status["suspected"], status["state"]) == (False, "open")
    assert datetime.fromisoformat(status["declared_at"]).tzinfo is not None
    assert [s["name"] for s in status["steps"]] == STEP_NAMES
    for step in status["steps"]:
        assert set(step) >= {"name", "status", "due_at", "done_at"}
        # Discovered in May 2026: by now every step is past its due time.
        assert step["status"] == "overdue"
        assert step["done_at"] is None
    for report in status["reports"]:
        assert set(report) >= {"to", "status", "sent_at", "acknowledged_at"}
    text = cli("status", declared["id"])
    assert text.code == 0, text.err
    assert declared["id"] in text.out


def test_list_open_json_lists_incidents_newest_first(
    loaded: Env, cli: Cli, declare: Declare
) -> None:
    first = declare(org="delta")["id"]
    second = declare(org="acme", kind="erasure")["id"]
    result = cli("list", "--open", "--json")
    assert result.code == 0, result.err
    rows = result.json()
    assert [r["id"] for r in rows] == [second, first]
    for row in rows:
        assert set(row) >= {"id", "contract", "org", "kind", "suspected", "state"}
    assert rows[0]["org"] == "acme"
    assert rows[0]["kind"] == "erasure"
    only_second = cli("list", "--contract", "C-2026-002", "--json").json()
    assert only_second == []


@pytest.mark.parametrize("columns", ["80", "60"])
def test_list_shows_every_id_whole_on_a_narrow_terminal(
    loaded: Env, cli: Cli, declare: Declare, monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    ids = [declare(org="delta")["id"], declare(org="acme")["id"]]
    from jikoflow.cli import common

    monkeypatch.setattr(common.out, "_width", int(columns))
    shown = cli("list")
    assert shown.code == 0, shown.err
    for incident in ids:
        assert incident in shown.out
    # The time, too, is never broken over two lines, and every heading is Japanese.
    for row in cli("list", "--json").json():
        declared = datetime.fromisoformat(row["declared_at"]).astimezone(TOKYO)
        assert f"{declared:%Y-%m-%d %H:%M}" in shown.out
    heading = "".join(shown.out.split("─")[0].splitlines()[1:])  # below the contract
    assert "事故等番号" in heading
    assert not any(word in heading for word in ("id", "state", "declared", "late"))


def test_list_at_80_columns_shows_every_value_whole(
    loaded: Env, cli: Cli, declare: Declare, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = {
        declare(org="delta", kind="tampering")["id"]: ("delta", "改ざん"),
        declare("--suspected", org="acme")["id"]: ("acme", "漏えい（おそれ）"),
    }
    from jikoflow.cli import common

    monkeypatch.setattr(common.out, "_width", 80)
    shown = cli("list")

    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    # One contract: said once above the table, not on every row.
    assert lines[0].strip() == f"契約: {SAMPLE_CONTRACT}"
    assert all(SAMPLE_CONTRACT not in line for line in lines[1:])
    for incident, (org, kind) in rows.items():
        [line] = [line for line in lines if incident in line]
        assert org in line
        assert kind in line
        assert "対応中" in line
        assert "（発生）" not in line  # only a suspicion is marked
    assert "…" not in shown.out
    assert "期限超過" not in shown.out  # nothing is late yet: no empty column

    later = datetime.now(TOKYO) + timedelta(days=60)
    late = cli("list", "--now", later.isoformat()).out
    assert "期限超過" in late
    assert "…" not in late
    # The first late step and how many more; `status` names them all.
    assert "他4" in late.replace("\n", "").replace(" ", "")


def test_list_of_several_contracts_has_a_contract_column(
    loaded: Env, cli: Cli, declare: Declare, monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(org="delta")
    declare(org="delta", contract="C-2026-002")
    from jikoflow.cli import common

    monkeypatch.setattr(common.out, "_width", 120)
    lines = cli("list").out.splitlines()

    assert "契約" in lines[0]
    assert "事故等番号" in lines[0]
    assert sum(SAMPLE_CONTRACT in line for line in lines) == 1
    assert sum("C-2026-002" in line for line in lines) == 1


def test_list_headings_follow_the_language(
    loaded: Env, cli: Cli, declare: Declare, monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(org="delta")
    from jikoflow.cli import common

    monkeypatch.setattr(common.out, "_width", 160)
    monkeypatch.setenv("JIKOFLOW_LANG", "en")
    later = (datetime.now(TOKYO) + timedelta(days=60)).isoformat()  # every step late
    title, heading = cli("list", "--now", later).out.splitlines()[:2]
    assert title.strip() == f"Contract: {SAMPLE_CONTRACT}"
    for word in ("Incident", "Organisation", "Kind", "State", "Reported", "Late"):
        assert word in heading
    monkeypatch.setenv("JIKOFLOW_LANG", "ja")
    title, heading = cli("list", "--now", later).out.splitlines()[:2]
    assert title.strip() == f"契約: {SAMPLE_CONTRACT}"
    for word in ("事故等番号", "発生組織", "種別", "状態", "報告日時", "期限超過"):
        assert word in heading


def test_list_overdue_uses_the_time_given(loaded: Env, cli: Cli, declare: Declare) -> None:
    incident = declare(org="delta")["id"]
    soon = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    assert cli("list", "--overdue", "--now", soon, "--json").json() == []
    [row] = cli("list", "--overdue", "--now", later, "--json").json()
    assert row["id"] == incident
    assert row["overdue_steps"] == ["containment", "report"]


# --- ack ---------------------------------------------------------------------------------------


def test_ack_records_who_and_when_with_an_audit_event(
    loaded: Env, cli: Cli, declare: Declare
) -> None:
    incident = declare(org="delta")["id"]
    before = datetime.now(UTC)
    result = cli("ack", incident, "--org", "nerima", "--by", "tanaka", "--json")
    assert result.code == 0, result.err
    after = datetime.now(UTC)
    assert result.json()["status"] == "acknowledged"
    status = cli("status", incident, "--json").json()
    [nerima] = [r for r in status["reports"] if r["to"] == "nerima"]
    assert nerima["acknowledged_by"] == "tanaka"
    assert before <= datetime.fromisoformat(nerima["acknowledged_at"]) <= after
    others = [r for r in status["reports"] if r["to"] != "nerima"]
    assert [r["acknowledged_at"] for r in others] == [None] * 3
    with reading(loaded.url) as session:
        events = events_of(session, incident)
    # The report step is done by delivery, not by acknowledgements (its event may come first).
    acts = [e for e in events if e.action in ("declared", "acknowledged")]
    assert [e.action for e in acts] == ["declared", "acknowledged"]
    assert (acts[1].actor, acts[1].detail) == ("tanaka", {"org": "nerima", "via": "cli"})
    assert verify_chain(events)


def test_acknowledgements_are_kept_per_recipient_beside_a_report_step_done_by_delivery(
    loaded: Env, cli: Cli, declare: Declare
) -> None:
    incident = declare(org="beta")["id"]
    for org in ("acme", "nerima", "nerima"):
        assert cli("ack", incident, "--org", org).code == 0
    status = cli("status", incident, "--json").json()
    [report_step] = [s for s in status["steps"] if s["name"] == "report"]
    assert report_step["status"] == "done"
    assert report_step["done_at"] is not None
    acknowledged = {r["to"] for r in status["reports"] if r["acknowledged_at"]}
    assert acknowledged == {"acme", "nerima"}
    with reading(loaded.url) as session:
        events = events_of(session, incident)
    # Acknowledging twice is recorded once; the step is done once.
    acts = [e.action for e in events if not e.action.startswith("report_")]
    assert (acts.count("acknowledged"), acts.count("step_done")) == (2, 1)
    assert verify_chain(events)


def test_an_unapproved_tier_opens_a_violation_at_its_delegator(
    env: Env, cli: Cli, declare: Declare, parties_variant: Callable[..., Path]
) -> None:
    def unapprove(data: dict[str, Any]) -> None:
        del data["contracts"][0]["delegations"][2]["approved_at"]

    assert cli("parties", "load", parties_variant(unapprove)).code == 0
    declared = declare(org="delta")
    [violation_id] = declared["violations"]
    violation = cli("status", violation_id, "--json").json()
    assert (violation["org"], violation["kind"]) == ("gamma", "violation")
    assert violation["linked_incident"] == declared["id"]
    assert [r["to"] for r in violation["reports"]] == ["beta", "acme", "nerima"]
    # Named as a reader knows them, and raised by the system, not by delta's person.
    assert (
        "ガンマデータセンター株式会社 から デルタ入力サービス有限会社 への再委託"
        in violation["summary"]
    )
    assert "- 報告（第一報）者: システム\n" in cli("record", violation_id).out
    # The incident that revealed it links to it too.
    cause = cli("status", declared["id"], "--json").json()
    assert (cause["linked_incident"], cause["linked_incidents"]) == (violation_id, [violation_id])
    assert declared["linked_incident"] == violation_id
    rows = cli("list", "--json").json()
    assert {r["id"] for r in rows} == {declared["id"], violation_id}


# --- refusals --------------------------------------------------------------------------------


def _future_tokyo(hours: int) -> str:
    """A Tokyo wall-clock time `hours` from now, written without an offset."""
    return (datetime.now(TOKYO) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


DECLARE = ["declare", "--contract", SAMPLE_CONTRACT, "--summary", "封筒の所在不明", "--no-flow"]
REFUSALS: list[tuple[str, list[str], str]] = [
    (
        "unknown-contract",
        [
            "declare",
            "--contract",
            "C-9",
            "--org",
            "delta",
            "--kind",
            "leak",
            "--summary",
            "x",
            "--no-flow",
        ],
        "--contract",
    ),
    ("org-outside-chain", [*DECLARE, "--org", "zeta", "--kind", "leak"], "--org"),
    ("unknown-org", [*DECLARE, "--org", "nobody", "--kind", "leak"], "--org"),
    ("client-declares", [*DECLARE, "--org", "nerima", "--kind", "leak"], "--org"),
    ("unknown-kind", [*DECLARE, "--org", "delta", "--kind", "theft"], "--kind"),
    (
        "not-iso",
        [*DECLARE, "--org", "delta", "--kind", "leak", "--discovered-at", "昨日"],
        "--discovered-at",
    ),
    (
        "future-tokyo",
        [*DECLARE, "--org", "delta", "--kind", "leak", "--discovered-at", _future_tokyo(1)],
        "--discovered-at",
    ),
    (
        "empty-summary",
        [
            "declare",
            "--contract",
            SAMPLE_CONTRACT,
            "--org",
            "delta",
            "--kind",
            "leak",
            "--summary",
            "  ",
            "--no-flow",
        ],
        "--summary",
    ),
    ("unknown-person", [*DECLARE, "--org", "delta", "--kind", "leak", "--by", "nobody"], "--by"),
    ("status-unknown-id", ["status", "INC-20260501-NOPE00"], "ID"),
    ("ack-unknown-id", ["ack", "INC-20260501-NOPE00", "--org", "nerima"], "ID"),
    ("list-unknown-contract", ["list", "--contract", "C-9"], "--contract"),
    ("show-unknown-contract", ["parties", "show", "--contract", "C-9"], "--contract"),
    ("missing-option", ["declare", "--org", "delta"], "--contract"),
]


@pytest.mark.parametrize(("argv", "field"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_bad_input_is_refused_and_changes_nothing(
    loaded: Env, cli: Cli, snapshot: Callable[[], Snapshot], argv: list[str], field: str
) -> None:
    before = snapshot()
    refused(cli(*argv), field)
    assert snapshot() == before


def test_a_tokyo_time_without_offset_is_not_read_as_utc(loaded: Env, declare: Declare) -> None:
    # Five hours ahead in UTC wall-clock terms is four hours ago in Tokyo: accepted.
    text = (datetime.now(UTC) + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    declared = declare("--discovered-at", text)
    assert datetime.fromisoformat(declared["discovered_at"]) < datetime.now(UTC)


@pytest.mark.parametrize(
    ("org", "by", "field"),
    [("delta", None, "--org"), ("zeta", None, "--org"), ("acme", "tanaka", "--by")],
    ids=["declaring-org", "outside-chain", "person-of-another-org"],
)
def test_ack_by_a_non_recipient_is_refused(
    loaded: Env,
    cli: Cli,
    declare: Declare,
    snapshot: Callable[[], Snapshot],
    org: str,
    by: str | None,
    field: str,
) -> None:
    incident = declare(org="delta")["id"]
    before = snapshot()
    refused(cli("ack", incident, "--org", org, *(["--by", by] if by else [])), field)
    assert snapshot() == before


PARTIES_REFUSALS: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("unknown-org", lambda d: d["contracts"][0].update(client="setagaya"), "client"),
    ("duplicate-id", lambda d: d["organizations"].append(dict(d["organizations"][2])), "id"),
    ("unknown-kind", lambda d: d["organizations"][2].update(kind="vendor"), "kind"),
    ("unknown-role", lambda d: d["organizations"][1]["people"][0].update(role="boss"), "role"),
    (
        "cycle",
        lambda d: d["contracts"][0]["delegations"].__setitem__(0, {"from": "delta", "to": "beta"}),
        "delegations",
    ),
    (
        "two-parents",
        lambda d: d["contracts"][0]["delegations"].append({"from": "acme", "to": "delta"}),
        "delegations",
    ),
    (
        "invalid-date",
        lambda d: d["contracts"][0]["delegations"][0].update(approved_at="4月1日"),
        "approved_at",
    ),
]


@pytest.mark.parametrize(
    ("edit", "field"), [r[1:] for r in PARTIES_REFUSALS], ids=[r[0] for r in PARTIES_REFUSALS]
)
def test_a_wrong_parties_file_writes_nothing(
    loaded: Env,
    cli: Cli,
    snapshot: Callable[[], Snapshot],
    parties_variant: Callable[..., Path],
    edit: Callable[[dict[str, Any]], object],
    field: str,
) -> None:
    def rename_then_break(data: dict[str, Any]) -> None:
        # A valid change before the error must not be written either.
        data["organizations"][0]["name"] = "変更された名前"
        edit(data)

    before = snapshot()
    refused(cli("parties", "load", parties_variant(rename_then_break)), field)
    assert snapshot() == before


@pytest.mark.parametrize(
    "text",
    ["organizations: [\n  - {id: x", "organizations:\n  - id: a\n   name: b\n", "- a list\n"],
    ids=["unclosed", "bad-indent", "not-a-mapping"],
)
def test_unreadable_yaml_writes_nothing(
    loaded: Env, cli: Cli, snapshot: Callable[[], Snapshot], tmp_path: Path, text: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    before = snapshot()
    refused(cli("parties", "load", path), "broken.yaml")
    assert snapshot() == before


# --- fresh processes -------------------------------------------------------------------------


def test_bad_input_in_a_fresh_process_has_no_traceback(
    sqlite_env: Env, cli_subprocess: Cli, parties_file: Path
) -> None:
    assert cli_subprocess("parties", "load", parties_file).code == 0
    refused(cli_subprocess("status", "INC-NONE"), "ID")
    refused(
        cli_subprocess(*DECLARE, "--org", "delta", "--kind", "leak", "--discovered-at", "x"),
        "--discovered-at",
    )
    refused(cli_subprocess("declare"), "--contract")


def test_a_fresh_process_writes_its_whole_answer_and_keeps_its_exit_code(
    sqlite_env: Env, cli_subprocess: Cli, declare: Declare, parties_file: Path
) -> None:
    # A read command leaves without the interpreter's teardown: what it printed must still
    # reach a pipe whole, and its exit code must be the command's.
    assert cli_subprocess("parties", "load", parties_file).code == 0
    incident = declare(org="delta")["id"]
    shown = cli_subprocess("status", incident, "--json")
    assert shown.code == 0
    assert shown.json()["id"] == incident
    trees = cli_subprocess("parties", "show", "--json")
    assert trees.code == 0
    assert [c["id"] for c in trees.json()] == [SAMPLE_CONTRACT]
    assert cli_subprocess("status", "INC-NONE").code == 2
    # A reader that stops early (`| head -1`) ends the command quietly.
    reader = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "parties", "show"],
        env=subprocess_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None
    assert reader.stderr is not None
    first = reader.stdout.readline()
    reader.stdout.close()
    assert reader.wait(timeout=120) == 0
    assert SAMPLE_CONTRACT in first.decode()
    assert reader.stderr.read() == b""


@pytest.mark.parametrize(
    "argv",
    [["status", "{id}"], ["status", "{id}", "--json"], ["list", "--open"], ["parties", "show"]],
    ids=["status", "status-json", "list", "parties-show"],
)
def test_read_commands_do_not_import_prefect_or_slack(
    sqlite_env: Env,
    cli: Cli,
    declare: Declare,
    parties_file: Path,
    imported_modules: Callable[..., tuple[int, set[str]]],
    argv: list[str],
) -> None:
    assert cli("parties", "load", parties_file).code == 0
    incident = declare(org="delta")["id"]
    code, modules = imported_modules(*(a.format(id=incident) for a in argv))
    assert code == 0
    assert "jikoflow.cli" in modules
    assert "prefect" not in modules
    assert "slack_sdk" not in modules

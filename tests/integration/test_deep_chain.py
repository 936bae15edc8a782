"""A chain deeper than a message lists: each report's message carries the nearest tiers, 乙,
甲 and its recipient's own report, and counts the rest, so the outbox grows with the depth,
not its square; `status` still shows every report (SQLite)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
import yaml

from jikoflow.models.db import get_engine
from jikoflow.models.outbox.facts import MAX_REPORTS
from tests.conftest import CliResult, Env

DEPTH = MAX_REPORTS + 10


def deep_parties(path: Path, depth: int) -> Path:
    """甲, 乙 and `depth` subcontractors, each delegating to the next, all approved."""
    orgs = [
        {"id": "nerima", "name": "練馬区", "kind": "client", "slack_channel": "C0NERIMA"},
        {"id": "acme", "name": "アクメ", "kind": "contractor", "slack_channel": "C0ACME"},
    ]
    delegations = []
    parent = "acme"
    for n in range(1, depth + 1):
        orgs.append({"id": f"s{n}", "name": f"下請{n}", "kind": "subcontractor"})
        delegations.append(
            {"from": parent, "to": f"s{n}", "approved_at": "2026-04-01",
             "upstream_notified_at": "2026-03-30"}
        )  # fmt: skip
        parent = f"s{n}"
    contract = {"id": "C-DEEP", "title": "深い再委託", "client": "nerima", "contractor": "acme"}
    data = {"organizations": orgs, "contracts": [contract | {"delegations": delegations}]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_each_message_of_a_deep_chain_lists_a_bounded_set_of_reports(
    sqlite_env: Env, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    assert cli("parties", "load", deep_parties(tmp_path / "deep.yaml", DEPTH)).code == 0
    declared = cli(
        "declare", "--contract", "C-DEEP", "--org", f"s{DEPTH}", "--kind", "leak",
        "--summary", "所在不明", "--no-flow", "--json",
    )  # fmt: skip
    assert declared.code == 0, declared.err
    status = declared.json()
    recipients = [r["to"] for r in status["reports"]]
    assert len(recipients) == DEPTH + 1  # every tier above, 乙 and 甲
    with get_engine(sqlite_env.url).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT org_id, facts FROM notification WHERE event = 'report'")
        ).all()
    assert sorted(org for org, _ in rows) == sorted(recipients)
    for org, stored in rows:
        facts = json.loads(stored) if isinstance(stored, str) else stored
        listed = [r["org_id"] for r in facts["reports"]]
        assert MAX_REPORTS - 1 <= len(listed) <= MAX_REPORTS  # 50 when its own was cut
        assert facts["reports_total"] == DEPTH + 1
        assert org in listed
        assert listed[-2:] == ["acme", "nerima"]

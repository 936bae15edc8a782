"""Delivering a deep chain's reports: one pass settles its rows, reports and trail in batches.

A chain `DEPTH` tiers deep reports to every tier above, 乙 and 甲, each in its own Slack
channel. A pass settles every report, appends one event per report (and the report step's
`step_done` right after the report that completed it) and keeps the trail verifiable; a
dispatcher killed in the middle of a pass loses nothing and doubles nothing — neither a Slack
message nor an event in the trail (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from jikoflow.models.enums import ReportStatus, StepName, StepStatus
from tests.integration.test_outbox_crash import (
    _run_and_kill,
    assert_each_key_posted_once_in_its_thread,
)
from tests.slack_fixtures import OutboxWorld, load_parties_file
from tests.slack_server import SlackServer

DEPTH = 200


def deep_parties(path: Path, depth: int) -> Path:
    """甲, 乙 and `depth` subcontractors, each delegating to the next and with its own channel."""
    orgs = [
        {"id": "nerima", "name": "練馬区", "kind": "client", "slack_channel": "C0NERIMA"},
        {"id": "acme", "name": "アクメ", "kind": "contractor", "slack_channel": "C0ACME"},
    ]
    delegations = []
    parent = "acme"
    for n in range(1, depth + 1):
        orgs.append(
            {"id": f"s{n}", "name": f"下請{n}", "kind": "subcontractor", "slack_channel": f"C0S{n}"}
        )
        delegations.append(
            {"from": parent, "to": f"s{n}", "approved_at": "2026-04-01",
             "upstream_notified_at": "2026-03-30"}
        )  # fmt: skip
        parent = f"s{n}"
    contract = {"id": "C-DEEP", "title": "深い再委託", "client": "nerima", "contractor": "acme"}
    data = {"organizations": orgs, "contracts": [contract | {"delegations": delegations}]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def deep_world(db_url: str, slack_server: SlackServer, tmp_path: Path) -> OutboxWorld:
    """A chain `DEPTH` tiers deep loaded into `db_url`, with the fake Slack running."""
    from jikoflow.models.types import utcnow

    load_parties_file(db_url, deep_parties(tmp_path / "deep.yaml", DEPTH))
    return OutboxWorld(db_url, slack_server, utcnow() + timedelta(minutes=1))


def declare_at_the_bottom(world: OutboxWorld) -> str:
    """A suspected leak at the deepest tier; returns the incident's id."""
    from jikoflow.models.access import OPERATOR
    from jikoflow.models.db import transaction
    from jikoflow.models.enums import IncidentKind
    from jikoflow.models.incidents.service import open_incident
    from jikoflow.models.parties.queries import chain_for, get_contract, get_organization

    with transaction(world.url) as session:
        opened = open_incident(
            session,
            chain=chain_for(session, get_contract(session, "C-DEEP")),
            org=get_organization(session, f"s{DEPTH}"),
            kind=IncidentKind.LEAK,
            suspected=True,
            summary="所在不明",
            actor=OPERATOR.actor,
            now=world.t0,
        )
        return opened[0].id


def assert_settled_once_with_a_sound_trail(world: OutboxWorld, incident_id: str) -> None:
    """Every report delivered, the report step done, one event per report, the trail intact."""
    from sqlmodel import select

    from jikoflow.models.audit.service import events_of
    from jikoflow.models.audit.tables import AuditHead
    from jikoflow.models.audit.verify import check_incident
    from jikoflow.models.db import reading
    from jikoflow.models.incidents.tables import Report, Step

    with reading(world.url) as session:
        reports = list(session.exec(select(Report).where(Report.incident_id == incident_id)))
        step = session.exec(
            select(Step).where(Step.incident_id == incident_id, Step.name == StepName.REPORT)
        ).one()
        events = events_of(session, incident_id)
        head = session.get(AuditHead, incident_id)
        check = check_incident(session, incident_id)
    assert len(reports) == DEPTH + 1
    assert {r.status for r in reports} == {ReportStatus.DELIVERED}
    assert all(r.sent_at is not None and r.delivered_at is not None for r in reports)
    assert all(r.appi_next_at == r.delivered_at for r in reports)  # the sweep looks at APPI
    assert step.status is StepStatus.DONE
    assert step.done_at is not None
    sent = Counter(e.detail["to"] for e in events if e.action == "report_sent")
    assert sent == Counter({r.recipient_id: 1 for r in reports})
    actions = [e.action for e in events]
    assert actions.count("step_done") == 1
    # The step is done right after the report that completed it, and by then every one was.
    done = actions.index("step_done")
    assert actions[done - 1] == "report_sent"
    assert "report_sent" not in actions[done + 1 :]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert head is not None
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    assert check.broken is None, check.broken


def test_a_deep_pass_settles_every_report_and_keeps_the_trail(deep_world: OutboxWorld) -> None:
    world = deep_world
    incident = declare_at_the_bottom(world)
    stats = world.deliver()
    assert (stats.sent, stats.failed, stats.retrying) == (DEPTH + 2, 0, 0)
    assert_settled_once_with_a_sound_trail(world, incident)
    assert_each_key_posted_once_in_its_thread(world)
    # A second pass finds nothing to do and appends nothing.
    assert world.deliver(world.at(minutes=1)).sent == 0
    assert_settled_once_with_a_sound_trail(world, incident)


def test_a_pass_killed_mid_batch_loses_nothing_and_doubles_nothing(
    deep_world: OutboxWorld,
) -> None:
    world = deep_world
    incident = declare_at_the_bottom(world)
    _run_and_kill(world, DEPTH // 2)
    assert len(world.rows(status="sent")) < DEPTH + 2  # killed before the pass was through
    stats = world.deliver(world.at(minutes=6))  # after the claims went stale
    assert stats.failed == 0
    assert world.deliver(world.at(minutes=7)).sent == 0
    assert_each_key_posted_once_in_its_thread(world)
    assert_settled_once_with_a_sound_trail(world, incident)

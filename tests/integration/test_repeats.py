"""Reminders and escalations that repeat (DESIGN.md §6), over simulated time: a sweep every
minute (or hour), exact counts per interval; an acknowledgement stops its reminders at once,
closing stops everything; day-scale repeats land on business mornings; the policy's intervals
and caps apply; a sweep run twice sends nothing twice. SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from jikoflow.models.access import OPERATOR
from jikoflow.models.audit.service import events_of
from jikoflow.models.db import reading, transaction
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.policy.file import parse_policy
from jikoflow.models.policy.service import load_policy
from jikoflow.models.times import TOKYO
from jikoflow.sweep import queue_due
from tests import acts
from tests.slack_fixtures import OutboxWorld

T = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 10:00 in Tokyo


def minutes(n: float) -> datetime:
    return T + timedelta(minutes=n)


def rows(world: OutboxWorld) -> list[Notification]:
    with reading(world.url) as session:
        return list(session.exec(select(Notification).order_by(col(Notification.id))))


def sweep_every(world: OutboxWorld, start: float, end: float, step: float = 1) -> None:
    """A sweep each `step` minutes from `start` to `end` (inclusive), as `serve` runs it."""
    at = start
    while at <= end:
        queue_due(world.url, now=minutes(at))
        at += step


def alerts(world: OutboxWorld, after: int = 0) -> Counter[tuple[str, str | None, str]]:
    """Reminders and escalations queued (after row `after`): (event, step or party, to)."""
    kinds = {"reminder", "escalation", "ack_reminder", "ack_overdue"}
    found: Counter[tuple[str, str | None, str]] = Counter()
    for row in rows(world):
        if row.event in kinds and (row.id or 0) > after:
            about = row.facts.get("party_id") or row.facts.get("step")
            found[(row.event, about, str(row.org_id))] += 1
    return found


@pytest.fixture
def reported(outbox_world: OutboxWorld) -> tuple[OutboxWorld, str]:
    """An incident at delta declared at T, its four reports delivered at T."""
    with transaction(outbox_world.url) as session:
        incident = acts.declare(session, suspected=True, now=T).incident.id
    outbox_world.deliver(T)
    return outbox_world, incident


RECIPIENTS = ("nerima", "acme", "beta", "gamma")
PATH = ("delta", "gamma", "beta", "acme", "nerima")


def test_three_hours_without_an_acknowledgement(reported: tuple[OutboxWorld, str]) -> None:
    world, _ = reported
    sweep_every(world, 0, 179)
    expected: Counter[tuple[str, str | None, str]] = Counter()
    for org in RECIPIENTS:
        expected[("ack_reminder", "report", org)] = 5  # at 30, 60, 90, 120 and 150 minutes
        for told in ("delta", "acme"):  # the reporter and 乙, at 60 and 120 minutes
            expected[("ack_overdue", org, told)] = 2
    expected[("reminder", "containment", "delta")] = 1  # at its warn time, once
    for org in PATH:
        expected[("escalation", "containment", org)] = 2  # at 60 and 120 minutes
    # The report step says nothing: every report is out, each recipient's clock speaks.
    assert alerts(world) == expected
    reminders = [r for r in rows(world) if r.event == "ack_reminder" and r.org_id == "nerima"]
    assert [r.facts["mentions"] for r in reminders] == [["U0TANAKA"]] * 5
    assert {datetime.fromisoformat(r.facts["due_at"]) for r in reminders} == {minutes(60)}


def test_a_sweep_run_twice_sends_nothing_twice(reported: tuple[OutboxWorld, str]) -> None:
    world, _ = reported
    queue_due(world.url, now=minutes(61))
    count = len(rows(world))
    second = queue_due(world.url, now=minutes(61))
    assert (second["reminders"], second["escalations"]) == (0, 0)
    assert len(rows(world)) == count
    # Late by two hours: only the newest occurrence is sent, not every one it missed.
    queue_due(world.url, now=minutes(181))
    late = alerts(world, after=count)
    assert late[("ack_reminder", "report", "nerima")] == 1
    assert late[("escalation", "containment", "nerima")] == 1


def test_an_acknowledgement_stops_its_reminders_at_once(reported: tuple[OutboxWorld, str]) -> None:
    world, incident = reported
    sweep_every(world, 0, 60)  # reminders at 30 and 60, an escalation at 60: none sent yet
    with transaction(world.url) as session:
        acts.ack(session, incident, "nerima", by="tanaka", now=minutes(61))
    about_nerima = [
        r for r in rows(world) if r.event.startswith("ack_") and ":nerima:" in f":{r.key}:"
    ]
    assert len(about_nerima) == 2 + 2  # two reminders; an escalation to delta and to acme
    # What waited and is no longer true is withdrawn, never sent.
    assert {r.status for r in about_nerima} == {OutboxStatus.WITHDRAWN}
    count = max(r.id or 0 for r in rows(world))
    sweep_every(world, 62, 240, step=2)
    later = alerts(world, after=count)
    assert not [k for k in later if k[0].startswith("ack_") and "nerima" in k]
    assert later[("ack_reminder", "report", "acme")] == 6  # 90 … 240: the others go on
    told = [r for r in rows(world) if r.event == "acknowledged"]
    assert [(r.org_id, r.facts["party_id"], r.facts["person_name"]) for r in told] == [
        ("delta", "nerima", "田中 一郎")
    ]


def test_closing_stops_everything(reported: tuple[OutboxWorld, str]) -> None:
    world, incident = reported
    with transaction(world.url) as session:
        acts.contain(session, incident, "隔離", done=True, by="watanabe", now=minutes(10))
        acts.cause(session, incident, "原因", by="watanabe", now=minutes(11))
        acts.measure(session, incident, "対策", by="watanabe", now=minutes(12))
    with transaction(world.url) as session:
        acts.submit(session, incident, by="watanabe", now=minutes(13))
    sweep_every(world, 14, 44)  # ack reminders to all four at 30
    with transaction(world.url) as session:
        acts.accept(session, incident, by="tanaka", now=minutes(45))
    count = max(r.id or 0 for r in rows(world))
    sweep_every(world, 46, 24 * 60, step=15)
    assert alerts(world, after=count) == Counter()


def test_overdue_day_scale_steps_repeat_each_business_morning(outbox_world: OutboxWorld) -> None:
    world = outbox_world
    declared = T + timedelta(days=7)  # Tuesday 2026-12-08 10:00 in Tokyo
    with transaction(world.url) as session:
        incident = acts.declare(session, now=declared).incident.id
    with transaction(world.url) as session:
        acts.contain(session, incident, "隔離", done=True, by="watanabe", now=declared)
        for org in RECIPIENTS:
            acts.ack(session, incident, org, now=declared)
    hour = declared + timedelta(days=14) - timedelta(hours=2)
    while hour <= declared + timedelta(days=28):
        queue_due(world.url, now=hour)
        hour += timedelta(hours=1)
    with reading(world.url) as session:
        trail = events_of(session, incident)
    when: dict[str, list[str]] = {}
    for event in trail:
        if event.action == "escalation":
            local = event.at.astimezone(TOKYO)
            when.setdefault(str(event.detail["step"]), []).append(f"{local:%m-%d %H:%M}")
    # Root cause, due Tuesday 12-22 10:00, is escalated again every business morning at 09:00:
    # never on a weekend, and not over the year-end closure (12/29–1/3).
    assert when["root_cause"] == [
        "12-22 10:00",
        "12-23 09:00",
        "12-24 09:00",
        "12-25 09:00",
        "12-28 09:00",
        "01-04 09:00",
        "01-05 09:00",
    ]
    assert when["record"] == ["12-28 10:00", "01-04 09:00", "01-05 09:00"]


def test_the_policy_sets_intervals_and_caps(reported: tuple[OutboxWorld, str]) -> None:
    world, _ = reported
    text = (
        "contracts:\n"
        "  - id: C-2026-001\n"
        "    escalation:\n"
        "      hour_scale: {every: 30m, cap: 2}\n"
        "      acknowledgement: {every: 10m, cap: 3}\n"
    )
    with transaction(world.url) as session:
        policy = parse_policy(text, "policy.yaml")
        load_policy(session, actor=OPERATOR, policy=policy, name="policy.yaml", text=text)
    sweep_every(world, 0, 300)
    found = alerts(world)
    assert found[("ack_reminder", "report", "nerima")] == 4  # at 30, 40, 50, 60: 3 repeats
    assert found[("ack_overdue", "nerima", "delta")] == 3  # at 60, 90, 120: 2 repeats
    assert found[("escalation", "containment", "nerima")] == 3

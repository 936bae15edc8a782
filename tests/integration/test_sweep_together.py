"""Sweeps on several workers at once (PostgreSQL): two sweeps at the same minute queue and
record each reminder and escalation once, and neither fails; a sweep passes by an incident that
a responder's act holds at that moment, without waiting for it and without breaking its trail,
and chases it at the next sweep."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from jikoflow.models.audit.service import events_of
from jikoflow.models.audit.verify import check_incident
from jikoflow.models.db import get_engine, reading, transaction
from jikoflow.models.incidents.sweep import sweep_clocks
from jikoflow.models.outbox.tables import Notification
from jikoflow.sweep import queue_due
from tests import acts
from tests.slack_fixtures import SAMPLE_PARTIES, load_parties_file

pytestmark = pytest.mark.postgres

T = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 10:00 in Tokyo
LATE = T + timedelta(minutes=61)  # containment and reporting are overdue
# Each overdue step is escalated to the incident's organisation, every tier above it and 甲.
PATH = ("delta", "gamma", "beta", "acme", "nerima")
STEPS = ("containment", "report")
WAIT = 10.0  # seconds a sweep may take before the test calls it stuck


def declared(url: str) -> str:
    """The sample parties, and an incident at delta declared at T whose reports are not out."""
    load_parties_file(url, SAMPLE_PARTIES)
    with transaction(url) as session:
        return acts.declare(session, now=T).incident.id


def escalations(url: str, incident: str) -> tuple[Counter[tuple[Any, ...]], list[Any]]:
    """The escalation messages queued (step, to) and the escalation events of the trail."""
    with reading(url) as session:
        rows = session.exec(
            select(Notification).where(
                Notification.incident_id == incident, Notification.event == "escalation"
            )
        ).all()
        events = [e.detail for e in events_of(session, incident) if e.action == "escalation"]
    return Counter((r.facts["step"], r.org_id) for r in rows), events


def in_thread(run: Any) -> dict[str, Any]:
    """Run `run()` in a thread; its result, or its error; fails if it does not end in WAIT."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = run()
        except Exception as exc:  # reported to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), "the sweep waited for another transaction"
    return outcome


def test_two_sweeps_at_once_queue_and_record_each_escalation_once(postgres_url: str) -> None:
    incident = declared(postgres_url)
    engine = get_engine(postgres_url)
    with Session(engine) as first, Session(engine) as second:
        assert sweep_clocks(first, LATE).escalations == len(STEPS)
        first.flush()  # the first sweep holds the incident until it commits
        # Waiting for the first would hang this test: fail fast instead.
        second.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
        passed = sweep_clocks(second, LATE)
        assert (passed.reminders, passed.escalations, passed.messages) == (0, 0, 0)
        first.commit()
        second.commit()
    queued, events = escalations(postgres_url, incident)
    assert queued == Counter({(step, org): 1 for step in STEPS for org in PATH})
    assert sorted(e["step"] for e in events) == sorted(STEPS)
    with reading(postgres_url) as session:
        assert check_incident(session, incident).broken is None


def test_a_sweep_passes_by_an_incident_an_act_holds_and_chases_it_next_time(
    postgres_url: str,
) -> None:
    incident = declared(postgres_url)
    with transaction(postgres_url) as acting:
        # A responder records a measure: the act holds the incident and has appended to its
        # trail, not committed yet.
        acts.contain(acting, incident, "端末をネットワークから切り離した", now=LATE)
        acting.flush()
        swept = in_thread(lambda: queue_due(postgres_url, now=LATE))
        assert "error" not in swept, swept.get("error")
        assert (swept["result"]["escalations"], swept["result"]["incidents"]) == (0, 0)
    # The act committed as it would have alone; the next sweep escalates what is still late.
    queued, _ = escalations(postgres_url, incident)
    assert not queued
    again = queue_due(postgres_url, now=LATE + timedelta(minutes=1))
    assert again["escalations"] == 1  # reporting: the containment measure is recorded
    queued, events = escalations(postgres_url, incident)
    assert queued == Counter({("report", org): 1 for org in PATH})
    assert [e["step"] for e in events] == ["report"]
    with reading(postgres_url) as session:
        assert check_incident(session, incident).broken is None
        kinds = [e.action for e in events_of(session, incident)]
    assert kinds.count("escalation") == 1


def test_a_sweep_at_the_same_time_as_another_on_every_clock_fails_nowhere(
    postgres_url: str,
) -> None:
    incident = declared(postgres_url)
    engine = get_engine(postgres_url)
    with Session(engine) as first:
        sweep_clocks(first, LATE)
        first.flush()
        other = in_thread(lambda: queue_due(postgres_url, now=LATE))
        first.commit()
    assert "error" not in other, other.get("error")
    assert other["result"]["escalations"] == 0
    with reading(postgres_url) as session:
        rows = session.exec(
            select(Notification.key).where(col(Notification.incident_id) == incident)
        ).all()
    assert len(rows) == len(set(rows))

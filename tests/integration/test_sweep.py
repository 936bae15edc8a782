"""Clocks that remind and escalate, once per step and level, however often sweep runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from jikoflow.models.db import transaction
from jikoflow.models.enums import StepName
from jikoflow.models.incidents.sweep import sweep_clocks
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from tests import acts
from tests.conftest import SAMPLE_PARTIES

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def incident(db_url: str) -> str:
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        return acts.declare(session, summary="紛失", now=T0).incident.id


def sweep_at(db_url: str, when: datetime) -> tuple[int, int]:
    with transaction(db_url) as session:
        result = sweep_clocks(session, when)
    return result.reminders, result.escalations


def queued(db_url: str, event: NoticeEvent) -> list[Notification]:
    with transaction(db_url) as session:
        return list(
            session.exec(
                select(Notification)
                .where(Notification.event == event)
                .order_by(col(Notification.id))
            )
        )


def test_nothing_is_due_before_the_warn_time(db_url: str, incident: str) -> None:
    assert sweep_at(db_url, T0 + timedelta(minutes=29)) == (0, 0)


def test_warn_time_reminds_the_org_of_its_steps(db_url: str, incident: str) -> None:
    assert sweep_at(db_url, T0 + timedelta(minutes=31)) == (2, 0)  # containment and report
    rows = queued(db_url, NoticeEvent.REMINDER)
    # The recipients are reminded by their own acknowledgement clocks, once a report is out.
    assert {(r.facts["step"], r.org_id) for r in rows} == {
        ("containment", "delta"),
        ("report", "delta"),
    }
    delta = next(r for r in rows if r.org_id == "delta" and r.facts["step"] == "containment")
    assert delta.facts["mentions"] == ["U0WATANABE"]


def test_each_reminder_and_escalation_is_sent_once_per_occurrence(
    db_url: str, incident: str
) -> None:
    for minutes in (31, 32, 45, 59):
        sweep_at(db_url, T0 + timedelta(minutes=minutes))
    for minutes in (61, 70, 600):
        sweep_at(db_url, T0 + timedelta(minutes=minutes))
    reminders = queued(db_url, NoticeEvent.REMINDER)
    escalations = queued(db_url, NoticeEvent.ESCALATION)
    assert len(reminders) == len({r.key for r in reminders}) == 2
    steps = {r.facts["step"] for r in escalations}
    assert steps == {"containment", "report"}
    # Overdue goes to every ancestor up to 乙 and to 甲 (and the organisation itself): at its
    # due time, and again at 600 minutes (the newest hourly repeat, not every one missed).
    containment = {r.org_id for r in escalations if r.facts["step"] == "containment"}
    assert containment == {"delta", "gamma", "beta", "acme", "nerima"}
    assert len(escalations) == len({r.key for r in escalations}) == 20
    assert {r.key.rsplit(":", 1)[-1] for r in escalations if r.key.count(":") == 4} == {"9"}


def test_a_step_first_seen_overdue_escalates_without_a_stale_reminder(
    db_url: str, incident: str
) -> None:
    assert sweep_at(db_url, T0 + timedelta(days=15)) == (0, 3)  # containment, report, cause
    assert queued(db_url, NoticeEvent.REMINDER) == []
    nerima = [r for r in queued(db_url, NoticeEvent.ESCALATION) if r.org_id == "nerima"]
    assert {r.facts["step"] for r in nerima} == {"containment", "report", "root_cause"}
    assert all(r.facts["step_status"] == "overdue" for r in nerima)
    assert nerima[0].facts["mentions"] == ["U0TANAKA"]


def test_a_done_step_is_never_reminded(db_url: str, incident: str) -> None:
    with transaction(db_url) as session:
        acts.contain(session, incident, "隔離", now=T0 + timedelta(minutes=5))
    sweep_at(db_url, T0 + timedelta(hours=2))
    late = {r.facts["step"] for r in queued(db_url, NoticeEvent.ESCALATION)}
    assert StepName.CONTAINMENT.value not in late
    assert StepName.REPORT.value in late


def test_one_pass_delivers_the_escalations_it_queues(
    db_url: str, incident: str, tmp_path: Path
) -> None:
    from jikoflow.models.enums import Lang
    from jikoflow.models.outbox.facts import OutboxStatus
    from jikoflow.models.settings import Settings
    from jikoflow.sweep import sweep

    settings = Settings(tmp_path, db_url, None, "http://127.0.0.1:9/", Lang.JA)
    sweep(settings, now=T0)  # the reports go out
    done = sweep(settings, now=T0 + timedelta(hours=2))
    assert done["escalations"] > 0
    escalations = queued(db_url, NoticeEvent.ESCALATION)
    assert escalations
    assert {row.status for row in escalations} == {OutboxStatus.SENT}
    assert done["sent"] == len(queued(db_url, NoticeEvent.REMINDER)) + len(escalations)

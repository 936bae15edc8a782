"""Warn times on the Japanese calendar (SQLite, then PostgreSQL): where the policy counts
business days, a day-scale step is warned business days before it is due — across the
year-end closure and a three-day weekend — whether its clock starts at the declaration, at a
corrected discovery or at 甲's return; `status --json` and the API show the same warn time, and
the sweep reminds then, not at the calendar time. Time is fixed by the tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from jikoflow.models.access import OPERATOR, person
from jikoflow.models.calendar import end_of_day
from jikoflow.models.db import transaction
from jikoflow.models.enums import ReportStatus, StepName
from jikoflow.models.facts import service as facts
from jikoflow.models.facts.schemas import ReturnInput
from jikoflow.models.incidents.discovery import CorrectDiscoveryInput, correct_discovery
from jikoflow.models.incidents.sweep import sweep_clocks
from jikoflow.models.incidents.tables import Report
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.times import TOKYO
from tests import acts
from tests.conftest import CliResult, Env
from tests.integration.test_api_incidents import Api
from tests.web_fixtures import Portal

Cli = Callable[..., CliResult]
# Thursday 10 December 2026, 10:00 in Tokyo.
START = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)


def _tokyo(*args: int) -> datetime:
    """A time written in Tokyo, as UTC."""
    return datetime(*args, tzinfo=TOKYO).astimezone(UTC)


def _warn_times(portal: Portal, cli: Cli, incident: str) -> dict[str, datetime]:
    """Each step's warn time as `status --json` shows it, checked against the API's."""
    shown = cli("status", incident, "--json")
    assert shown.code == 0, shown.err
    by_cli = {s["name"]: datetime.fromisoformat(s["warn_at"]) for s in shown.json()["steps"]}
    answer = Api(portal, "tanaka").get(f"/incidents/{incident}")
    assert answer.status_code == 200, answer.text
    by_api = {s["name"]: datetime.fromisoformat(s["warn_at"]) for s in answer.json()["steps"]}
    assert by_cli == by_api
    return by_cli


def _reminders(portal: Portal, incident: str, step: StepName, at: datetime) -> int:
    with transaction(portal.db_url) as session:
        return sweep_clocks(session, at, incident_id=incident, step=step).reminders


def _business_days(portal: Portal) -> str:
    portal.load_policy("defaults: {business_days: true}\n")
    with transaction(portal.db_url) as session:
        return acts.declare(session, discovered_at=START, now=START).incident.id


def test_warnings_count_business_days_back_and_the_sweep_keeps_to_them(
    portal: Portal, env: Env, cli: Cli
) -> None:
    incident = _business_days(portal)

    warn = _warn_times(portal, cli, incident)

    # Due Tuesday 5 January 10:00: warned Friday 25 December, not Saturday 2 January.
    assert warn["root_cause"] == _tokyo(2026, 12, 25, 10, 0)
    # Due Thursday 14 January: warned Friday 8 January, not on 成人の日 (11 January).
    assert warn["prevention"] == warn["record"] == _tokyo(2027, 1, 8, 10, 0)
    assert warn["report"] == START.replace(minute=30)
    early = _tokyo(2026, 12, 25, 9, 59)
    assert _reminders(portal, incident, StepName.ROOT_CAUSE, early) == 0
    assert _reminders(portal, incident, StepName.ROOT_CAUSE, warn["root_cause"]) == 1
    assert _reminders(portal, incident, StepName.PREVENTION, _tokyo(2027, 1, 8, 9, 59)) == 0
    assert _reminders(portal, incident, StepName.PREVENTION, warn["prevention"]) == 1


def test_a_corrected_discovery_keeps_the_policys_business_days(
    portal: Portal, env: Env, cli: Cli
) -> None:
    incident = _business_days(portal)
    with transaction(portal.db_url) as session:
        correct_discovery(
            session,
            actor=OPERATOR,
            incident_id=incident,
            data=CorrectDiscoveryInput(
                discovered_at=_tokyo(2026, 12, 9, 10, 0), reason="前日に発見していた"
            ),
            now=START.replace(hour=2),
        )

    warn = _warn_times(portal, cli, incident)

    # 14 business days from Wednesday 9 December: Monday 4 January; warned 24 December.
    assert warn["root_cause"] == _tokyo(2026, 12, 24, 10, 0)
    status = Api(portal, "tanaka").get(f"/incidents/{incident}").json()
    due: dict[str, Any] = {s["name"]: s["due_at"] for s in status["steps"]}
    assert datetime.fromisoformat(due["root_cause"]) == _tokyo(2027, 1, 4, 10, 0)


def test_a_returned_record_is_warned_business_days_before_its_new_due_day(
    portal: Portal, env: Env, cli: Cli
) -> None:
    incident = _business_days(portal)
    with transaction(portal.db_url) as session:
        acts.contain(session, incident, "回収済み", done=True, now=START)
        acts.cause(session, incident, "確認漏れ", now=START)
        acts.measure(session, incident, "二重確認", now=START)
        acts.submit(session, incident, now=START)
    with transaction(portal.db_url) as session:
        returned = facts.return_record(
            session,
            actor=person("tanaka"),
            incident_id=incident,
            data=ReturnInput(reason="根拠を添付のこと"),
            now=_tokyo(2026, 12, 21, 15, 0),  # a Monday
        )

    warn = _warn_times(portal, cli, incident)

    # 7 business days on: the end of Tuesday 5 January; 3 back: the end of 25 December.
    assert returned.record_due_at == end_of_day(date(2027, 1, 5))
    assert warn["record"] == end_of_day(date(2026, 12, 25))  # not Saturday 2 January


def test_an_acknowledgement_clock_in_days_counts_business_days_from_delivery(
    portal: Portal, env: Env
) -> None:
    portal.load_policy(
        "defaults:\n  business_days: true\n  clocks: {acknowledgement: {due: 2d, warn: 1d}}\n"
    )
    delivered = _tokyo(2026, 12, 11, 10, 0)  # a Friday
    with transaction(portal.db_url) as session:
        incident = acts.declare(session, discovered_at=delivered, now=delivered).incident.id
        for report in session.exec(select(Report).where(Report.incident_id == incident)):
            report.status, report.sent_at, report.delivered_at = (
                ReportStatus.DELIVERED,
                delivered,
                delivered,
            )
            session.add(report)

    def queued(at: datetime, event: NoticeEvent) -> int:
        with transaction(portal.db_url) as session:
            planned = sweep_clocks(session, at, incident_id=incident)
        return sum(1 for _, facts, *_ in planned.items if facts.event is event)

    # Due Tuesday 15 December 10:00 (two business days), reminded a business day before: on
    # Monday, not on Saturday as calendar days would have it, and overdue only on Tuesday.
    assert queued(_tokyo(2026, 12, 12, 10, 0), NoticeEvent.ACK_REMINDER) == 0
    assert queued(_tokyo(2026, 12, 14, 9, 59), NoticeEvent.ACK_REMINDER) == 0
    assert (
        queued(_tokyo(2026, 12, 14, 10, 0), NoticeEvent.ACK_REMINDER) == 4
    )  # every tier above and 甲
    assert queued(_tokyo(2026, 12, 15, 9, 59), NoticeEvent.ACK_OVERDUE) == 0
    assert queued(_tokyo(2026, 12, 15, 10, 0), NoticeEvent.ACK_OVERDUE) > 0

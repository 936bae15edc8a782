"""The sweep asks the database only for what is due (SQLite and PostgreSQL): each kind of clock
is found exactly at its time and not a second before, incidents with nothing due are never
loaded, and whatever moves 甲's APPI clocks has the next sweep look at them again."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from jikoflow.models.access import OPERATOR, person
from jikoflow.models.db import get_engine, transaction
from jikoflow.models.enums import IncidentKind, ReportStatus, Sector, StepName
from jikoflow.models.facts import service as facts
from jikoflow.models.facts.rules import parse_facts
from jikoflow.models.facts.schemas import InstructInput, ReclassifyInput
from jikoflow.models.facts.tables import Instruction
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.policy.file import parse_policy
from jikoflow.models.policy.service import load_policy
from jikoflow.models.response.service import implement_measure
from jikoflow.models.response.tables import PreventionMeasure
from jikoflow.models.times import TOKYO
from jikoflow.sweep import queue_due
from tests import acts
from tests.conftest import SAMPLE_PARTIES

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday 10:00 in Tokyo
SECOND = timedelta(seconds=1)
ROWS = {
    Step: "step",
    Report: "report",
    Instruction: "instruction",
    PreventionMeasure: "preventionmeasure",
    Incident: "incident",
}


class Loads(Counter[str]):
    """Rows loaded per table, and the incidents they belong to."""

    def __init__(self) -> None:
        super().__init__()
        self.incidents: set[str] = set()


@contextlib.contextmanager
def loaded() -> Iterator[Loads]:
    """Rows of steps, reports, instructions, measures and incidents loaded while the block
    runs."""
    seen = Loads()

    def listener(name: str) -> Any:
        def load(target: Any, context: Any) -> None:
            seen.update([name])
            seen.incidents.add(target.id if name == "incident" else target.incident_id)

        return load

    listeners = [(table, listener(name)) for table, name in ROWS.items()]
    for table, listen in listeners:
        sa.event.listen(table, "load", listen)
    try:
        yield seen
    finally:
        for table, listen in listeners:
            sa.event.remove(table, "load", listen)


def _declare(session: Session, org: str = "gamma") -> str:
    return acts.declare(session, org=org, now=T0).incident.id


@pytest.fixture
def incident(db_url: str) -> str:
    """A leak at gamma, declared at T0 (reported to beta, acme and nerima)."""
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        return _declare(session)


def _step(db_url: str, incident: str, name: StepName) -> Step:
    with transaction(db_url) as session:
        return session.exec(
            select(Step).where(Step.incident_id == incident, Step.name == name)
        ).one()


def _report(db_url: str, incident: str, org: str) -> Report:
    with transaction(db_url) as session:
        return session.exec(
            select(Report).where(Report.incident_id == incident, Report.recipient_id == org)
        ).one()


def _deliver(db_url: str, incident: str, at: datetime) -> None:
    """Every report of the incident delivered at `at` (as the outbox marks it)."""
    with transaction(db_url) as session:
        for report in session.exec(select(Report).where(Report.incident_id == incident)):
            report.status, report.sent_at, report.delivered_at = ReportStatus.DELIVERED, at, at
            session.add(report)


def _sweep(db_url: str, at: datetime) -> dict[str, Any]:
    return queue_due(db_url, now=at)


def _tokyo_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TOKYO).astimezone(UTC)


# --- each clock, at its time and not a second before ---------------------------------------


def test_a_step_is_found_at_its_warn_time_and_not_a_second_before(
    db_url: str, incident: str
) -> None:
    warn = _step(db_url, incident, StepName.CONTAINMENT).warn_at
    with loaded() as rows:
        assert _sweep(db_url, warn - SECOND)["reminders"] == 0
    assert rows["step"] == 0
    assert _sweep(db_url, warn)["reminders"] == 2  # containment and report (same warn time)


def test_an_armed_step_escalates_at_its_due_time_and_each_repeat_not_before(
    db_url: str, incident: str
) -> None:
    step = _step(db_url, incident, StepName.CONTAINMENT)
    _sweep(db_url, step.warn_at)
    armed = _step(db_url, incident, StepName.CONTAINMENT)
    assert armed.next_alert_at == step.due_at
    assert _sweep(db_url, step.due_at - SECOND)["escalations"] == 0
    assert _sweep(db_url, step.due_at)["escalations"] == 2  # containment and report
    repeat = _step(db_url, incident, StepName.CONTAINMENT).next_alert_at
    assert repeat is not None
    assert repeat > step.due_at
    with loaded() as rows:
        assert _sweep(db_url, repeat - SECOND)["escalations"] == 0
    assert rows["step"] == 0
    assert _sweep(db_url, repeat)["escalations"] == 2


def test_an_acknowledgement_clock_is_armed_at_once_then_found_at_its_time(
    db_url: str, incident: str
) -> None:
    _deliver(db_url, incident, T0 + timedelta(minutes=5))
    # Delivered and not armed yet: the next sweep arms it, whatever the time.
    _sweep(db_url, T0 + timedelta(minutes=6))
    first = _report(db_url, incident, "nerima").next_alert_at
    assert first is not None
    # The steps' own warn time comes first; once it is past, only the reports are due.
    warn = _step(db_url, incident, StepName.CONTAINMENT).warn_at
    assert T0 + timedelta(minutes=6) < warn < first - SECOND
    _sweep(db_url, warn)
    with loaded() as rows:
        assert _sweep(db_url, first - SECOND)["reminders"] == 0
    assert rows["report"] == 0
    assert _sweep(db_url, first)["reminders"] == 3  # beta, acme and nerima
    assert _report(db_url, incident, "nerima").reminders == 1


def test_an_instruction_is_found_from_the_day_before_and_overdue_after_its_day(
    db_url: str, incident: str
) -> None:
    due = date(2026, 11, 30)
    with transaction(db_url) as session:
        facts.instruct(
            session,
            actor=person("tanaka"),
            incident_id=incident,
            data=InstructInput(text="報告せよ", due=due),
            now=T0,
        )
    remind = _tokyo_midnight(due - timedelta(days=1))
    with loaded() as rows:
        assert _sweep(db_url, remind - SECOND)["decisions"] == 0
    assert rows["instruction"] == 0
    assert _sweep(db_url, remind)["decisions"] == 2  # gamma and 乙 (acme)
    overdue = _tokyo_midnight(due + timedelta(days=1))
    with loaded() as rows:
        assert _sweep(db_url, overdue - SECOND)["decisions"] == 0
    assert rows["instruction"] == 0  # reminded already: not read again until overdue
    assert _sweep(db_url, overdue)["decisions"] == 2
    assert _sweep(db_url, overdue + timedelta(days=1))["decisions"] == 0


def test_a_measure_is_found_from_its_warn_time_and_overdue_after_its_day(
    db_url: str, incident: str
) -> None:
    due = date(2026, 12, 4)
    with transaction(db_url) as session:
        acts.cause(session, incident, "確認漏れ", by="ito", now=T0)
        acts.measure(session, incident, "点検", due=due, by="ito", now=T0)
    remind = _tokyo_midnight(due - timedelta(days=3))
    with loaded() as rows:
        assert _sweep(db_url, remind - SECOND)["measures"] == 0
    assert rows["preventionmeasure"] == 0
    assert _sweep(db_url, remind)["measures"] == 1  # gamma
    overdue = _tokyo_midnight(due + timedelta(days=1))
    with loaded() as rows:
        assert _sweep(db_url, overdue - SECOND)["measures"] == 0
    assert rows["preventionmeasure"] == 0  # reminded already: not read again until overdue
    assert _sweep(db_url, overdue)["measures"] == 4  # gamma, beta, acme and nerima
    repeat = datetime(2026, 12, 7, 9, 0, tzinfo=TOKYO)  # Monday 09:00: the weekend skipped
    with loaded() as rows:
        assert _sweep(db_url, overdue + timedelta(days=1))["measures"] == 0
        assert _sweep(db_url, repeat - SECOND)["measures"] == 0
    assert rows["preventionmeasure"] == 0  # escalated: not read again until the repeat
    assert _sweep(db_url, repeat)["measures"] == 4
    with transaction(db_url) as session:
        implement_measure(
            session, actor=person("ito"), incident_id=incident, number=1, now=repeat + SECOND
        )
    with loaded() as rows:
        assert _sweep(db_url, repeat + timedelta(days=1))["measures"] == 0
    assert rows["preventionmeasure"] == 0  # implemented: never read again


def test_a_measure_escalated_up_to_its_cap_is_never_read_again(db_url: str) -> None:
    text = 'defaults:\n  escalation:\n    day_scale: {every: 1d, at: "09:00", cap: 1}\n'
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        policy = parse_policy(text, "p.yaml")
        load_policy(session, actor=OPERATOR, policy=policy, name="p.yaml", text=text)
        incident = _declare(session)
        acts.cause(session, incident, "確認漏れ", by="ito", now=T0)
        acts.measure(session, incident, "点検", due=date(2026, 12, 4), by="ito", now=T0)
    assert _sweep(db_url, datetime(2026, 12, 5, 0, 0, tzinfo=TOKYO))["measures"] == 4
    assert _sweep(db_url, datetime(2026, 12, 7, 9, 0, tzinfo=TOKYO))["measures"] == 4
    with loaded() as rows:
        assert _sweep(db_url, datetime(2026, 12, 8, 9, 0, tzinfo=TOKYO))["measures"] == 0
        assert _sweep(db_url, datetime(2027, 3, 1, 9, 0, tzinfo=TOKYO))["measures"] == 0
    assert rows["preventionmeasure"] == 0


def test_the_appi_reminders_are_found_as_each_window_opens_and_not_before(
    db_url: str, incident: str
) -> None:
    with transaction(db_url) as session:
        facts.record_facts(
            session,
            actor=OPERATOR,
            incident_id=incident,
            data=parse_facts({"sensitive": True}),
            now=T0,
        )
    _deliver(db_url, incident, T0 + timedelta(minutes=5))
    assert _report(db_url, incident, "nerima").appi_next_at == T0 + timedelta(minutes=5)
    _sweep(db_url, T0 + timedelta(minutes=6))
    # Delivered Wednesday 25th: 速報 due on Saturday, closed, so Monday 30th; reminded a day
    # before its end. 確報 30 days later, on Friday 25 December; reminded three days before.
    preliminary = datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=TOKYO) - timedelta(days=1)
    final = datetime(2026, 12, 25, 23, 59, 59, 999999, tzinfo=TOKYO) - timedelta(days=3)
    assert _report(db_url, incident, "nerima").appi_next_at == preliminary
    assert _sweep(db_url, preliminary - SECOND)["decisions"] == 0
    assert _sweep(db_url, preliminary)["decisions"] == 1
    assert _report(db_url, incident, "nerima").appi_next_at == final
    assert _sweep(db_url, preliminary + timedelta(hours=1))["decisions"] == 0
    assert _sweep(db_url, final - SECOND)["decisions"] == 0
    assert _sweep(db_url, final)["decisions"] == 1
    assert _report(db_url, incident, "nerima").appi_next_at is None
    with transaction(db_url) as session:
        stages = session.exec(
            select(Notification.event).where(Notification.incident_id == incident)
        ).all()
    assert sorted(s for s in stages if s.startswith("appi")) == ["appi_final", "appi_preliminary"]


# --- whatever moves the APPI clocks has the sweep look again --------------------------------


def test_facts_that_make_it_reportable_inside_the_window_are_reminded_at_the_next_sweep(
    db_url: str, incident: str
) -> None:
    _deliver(db_url, incident, T0 + timedelta(minutes=5))
    _sweep(db_url, T0 + timedelta(minutes=6))
    # Nothing known yet: nothing is reportable and nothing is to come.
    assert _report(db_url, incident, "nerima").appi_next_at is None
    inside = datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)
    assert _sweep(db_url, inside)["decisions"] == 0
    with transaction(db_url) as session:
        facts.record_facts(
            session,
            actor=OPERATOR,
            incident_id=incident,
            data=parse_facts({"people": 150}),
            now=inside,
        )
    assert _report(db_url, incident, "nerima").appi_next_at == T0 + timedelta(minutes=5)
    assert _sweep(db_url, inside + timedelta(minutes=1))["decisions"] == 1


def test_a_reclassification_into_a_leak_has_the_sweep_look_again(db_url: str) -> None:
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        incident = acts.declare(
            session, org="gamma", kind=IncidentKind.VIOLATION, now=T0
        ).incident.id
        facts.record_facts(
            session,
            actor=OPERATOR,
            incident_id=incident,
            data=parse_facts({"sensitive": True}),
            now=T0,
        )
    _deliver(db_url, incident, T0 + timedelta(minutes=5))
    _sweep(db_url, T0 + timedelta(minutes=6))
    assert _report(db_url, incident, "nerima").appi_next_at is None  # a violation: no APPI
    inside = datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)
    with transaction(db_url) as session:
        facts.reclassify(
            session,
            actor=OPERATOR,
            incident_id=incident,
            data=ReclassifyInput(kind=IncidentKind.LEAK, reason="名簿の流出と判明"),
            now=inside,
        )
    assert _sweep(db_url, inside + timedelta(minutes=1))["decisions"] == 1


def test_a_sector_change_has_the_sweep_look_again(db_url: str, incident: str) -> None:
    private = read_parties(SAMPLE_PARTIES)
    nerima = next(o for o in private.organizations if o.id == "nerima")
    private.organizations[private.organizations.index(nerima)] = nerima.model_copy(
        update={"sector": Sector.PRIVATE}
    )
    with transaction(db_url) as session:
        load_parties(session, private)  # a private business: reportable above 1,000 people
        facts.record_facts(
            session,
            actor=OPERATOR,
            incident_id=incident,
            data=parse_facts({"people": 500, "sensitive": False, "financial": False}),
            now=T0,
        )
    _deliver(db_url, incident, T0 + timedelta(minutes=5))
    _sweep(db_url, T0 + timedelta(minutes=6))
    assert _report(db_url, incident, "nerima").appi_next_at is None
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))  # back to a public body
    assert _report(db_url, incident, "nerima").appi_next_at == T0 + timedelta(minutes=5)
    inside = datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)
    assert _sweep(db_url, inside)["decisions"] == 1


# --- what is not due is not read ------------------------------------------------------------


def test_incidents_with_nothing_due_are_never_loaded(db_url: str, incident: str) -> None:
    with transaction(db_url) as session:
        idle = [_declare(session, org) for org in ("acme", "beta", "delta")]
        for name in idle:
            facts.record_facts(
                session,
                actor=OPERATOR,
                incident_id=name,
                data=parse_facts({"sensitive": True}),
                now=T0,
            )
            facts.instruct(
                session,
                actor=person("tanaka"),
                incident_id=name,
                data=InstructInput(text="報告せよ", due=date(2026, 12, 10)),
                now=T0,
            )
            acts.cause(session, name, "確認漏れ", now=T0)
            acts.measure(session, name, "点検", due=date(2026, 12, 20), now=T0)
            acts.measure(session, name, "手順書の改訂", now=T0)  # no due date: no clock
    for name in [incident, *idle]:
        _deliver(db_url, name, T0 + timedelta(minutes=1))
    _sweep(db_url, T0 + timedelta(minutes=2))  # arms every clock
    with loaded() as rows:
        assert _sweep(db_url, T0 + timedelta(minutes=3)) == {
            "reminders": 0,
            "escalations": 0,
            "incidents": 0,
            "decisions": 0,
            "measures": 0,
        }
    assert sum(rows.values()) == 0
    # One incident's step falls due: only that incident's rows are read.
    with transaction(db_url) as session:
        (step,) = session.exec(
            select(Step).where(Step.incident_id == incident, Step.name == StepName.CONTAINMENT)
        )
        step.next_alert_at = T0 + timedelta(minutes=4)
        session.add(step)
    with loaded() as rows:
        assert _sweep(db_url, T0 + timedelta(minutes=4))["incidents"] == 1
    assert rows["step"] > 0
    assert rows.incidents == {incident}


def test_sqlite_reads_every_clock_through_its_index(sqlite_url: str) -> None:
    with transaction(sqlite_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        _declare(session)
    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    engine = get_engine(sqlite_url)
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        _sweep(sqlite_url, T0 + timedelta(minutes=1))
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    plans: dict[str, str] = {}
    with engine.connect() as conn:
        for statement, parameters in sent:
            table = re.search(r"\bFROM\s+(\w+)", statement)
            if table and table[1] in ("step", "report", "instruction", "preventionmeasure"):
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                plans[statement] = " | ".join(str(r[-1]) for r in rows)
    # Two for steps, two for acknowledgements, one for instructions, one for 甲's APPI clocks,
    # two for prevention measures.
    assert len(plans) == 8
    for plan in plans.values():
        assert "SCAN" not in plan, plan
        assert "USING INDEX ix_" in plan, plan

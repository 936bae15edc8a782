"""The acts on the record through the services, on SQLite and PostgreSQL: facts, reclassify,
submit as 該当なし and accept it, return (差戻し), instructions to done, publication, the PPC
draft, and measures implemented after acceptance — each with its refusals, which change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from jikoflow.models.access import OPERATOR, person
from jikoflow.models.audit.tables import AuditEvent
from jikoflow.models.audit.verify import check_incident
from jikoflow.models.db import get_engine, transaction
from jikoflow.models.enums import (
    AppiStage,
    IncidentKind,
    IncidentState,
    InstructionStatus,
    Outcome,
    Publication,
    ReviewAnswer,
    StepName,
    StepStatus,
)
from jikoflow.models.errors import BadInput, Conflict, NotFound
from jikoflow.models.facts import service as facts
from jikoflow.models.facts.rules import parse_facts
from jikoflow.models.facts.schemas import (
    InstructInput,
    InstructionDoneInput,
    PublishInput,
    ReclassifyInput,
    ReturnInput,
)
from jikoflow.models.facts.store import decisions_view, facts_history
from jikoflow.models.facts.tables import RecordReview
from jikoflow.models.incidents import service as incidents
from jikoflow.models.incidents.service import get_incident, get_step
from jikoflow.models.incidents.tables import Report
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.response import service as response
from jikoflow.models.response.schemas import SubmitInput
from jikoflow.models.times import TOKYO
from jikoflow.records.data import record_data
from jikoflow.records.render import RecordFormat, render_text
from jikoflow.sweep import queue_due
from tests import acts
from tests.conftest import SAMPLE_PARTIES
from tests.integration.conftest import table_rows

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday 10:00 in Tokyo
SECRET = "山田太郎 090-1234-5678"  # typed text that must never reach a message


def _declare(session: Session, *, suspected: bool = True) -> str:
    load_parties(session, read_parties(SAMPLE_PARTIES))
    return acts.declare(
        session, org="gamma", summary=SECRET, suspected=suspected, by="ito", now=T0
    ).incident.id


@pytest.fixture
def incident_id(db_url: str) -> str:
    """A suspected leak at gamma (reported to beta, acme and nerima)."""
    with transaction(db_url) as session:
        return _declare(session)


def _ready(db_url: str, incident: str) -> None:
    """Containment done, a cause and a measure: ready to submit as an incident."""
    with transaction(db_url) as session:
        acts.contain(session, incident, "a", done=True, now=T0 + timedelta(minutes=30))
        acts.cause(session, incident, "c", now=T0 + timedelta(hours=2))
        acts.measure(session, incident, "m", now=T0 + timedelta(hours=3))


def _refused(db_url: str, run: Callable[[Session], object], error: type[Exception]) -> str:
    """Run an act in a committing transaction; it must be refused and change nothing."""
    before = table_rows(db_url, reflect=False)
    with pytest.raises(error) as refused, transaction(db_url) as session:
        run(session)
    assert table_rows(db_url, reflect=False) == before, "a refused act changed the database"
    return str(getattr(refused.value, "field", ""))


def _notices(session: Session, incident: str, event: str) -> list[Notification]:
    return list(
        session.exec(
            select(Notification).where(
                Notification.incident_id == incident, Notification.event == event
            )
        )
    )


def _actions(session: Session, incident: str) -> list[str]:
    rows = session.exec(
        select(AuditEvent.action).where(AuditEvent.chain == incident).order_by(col(AuditEvent.seq))
    )
    return list(rows)


# --- facts ---------------------------------------------------------------------------------


def test_facts_are_kept_per_revision_audited_and_notified_without_content(
    db_url: str, incident_id: str
) -> None:
    with transaction(db_url) as session:
        first = facts.record_facts(
            session,
            actor=person("ito"),
            incident_id=incident_id,
            data=parse_facts({"people": 120, "items": "氏名,住所", "how": SECRET}),
            now=T0 + timedelta(hours=1),
        )
        second = facts.record_facts(
            session,
            actor=person("takahashi"),
            incident_id=incident_id,
            data=parse_facts({"sensitive": True}),
            now=T0 + timedelta(hours=2),
        )
    assert (first.revision, second.revision) == (1, 2)
    assert second.changed == ["sensitive"]
    assert second.facts.people == 120
    assert second.facts.items == ("氏名", "住所")
    with transaction(db_url) as session:
        history = facts_history(session, incident_id)
        assert [h.by for h in history] == ["ito", "takahashi"]
        assert _actions(session, incident_id).count("facts_recorded") == 2
        sent = _notices(session, incident_id, "facts")
        assert sent  # the organisation and every recipient hear that the facts changed
        assert all(SECRET not in str(n.facts) and "120" not in str(n.facts) for n in sent)


def test_facts_refusals_change_nothing(db_url: str, incident_id: str) -> None:
    with transaction(db_url) as session:
        facts.record_facts(
            session,
            actor=OPERATOR,
            incident_id=incident_id,
            data=parse_facts({"people": 3}),
            now=T0 + timedelta(hours=1),
        )

    def same(session: Session) -> object:
        data = parse_facts({"people": 3})
        return facts.record_facts(session, actor=OPERATOR, incident_id=incident_id, data=data)

    def after_discovery(session: Session) -> object:
        data = parse_facts({"occurred_at": (T0 + timedelta(minutes=5)).isoformat()})
        return facts.record_facts(
            session, actor=OPERATOR, incident_id=incident_id, data=data, now=T0 + timedelta(hours=2)
        )

    def by_a_worker_elsewhere(session: Session) -> object:
        data = parse_facts({"people": 4})
        return facts.record_facts(session, actor=person("sato"), incident_id=incident_id, data=data)

    assert _refused(db_url, same, BadInput) == "facts"
    assert _refused(db_url, after_discovery, BadInput) == "occurred_at"
    assert _refused(db_url, by_a_worker_elsewhere, BadInput) == "by"  # Forbidden names --by


# --- reclassify ----------------------------------------------------------------------------


def test_reclassify_changes_kind_and_suspicion_with_the_reason_kept(
    db_url: str, incident_id: str
) -> None:
    with transaction(db_url) as session:
        result = facts.reclassify(
            session,
            actor=person("ito"),
            incident_id=incident_id,
            data=ReclassifyInput(suspected=False, reason="誤送付先から連絡があった"),
            now=T0 + timedelta(hours=1),
        )
    assert (result.kind, result.suspected) == (IncidentKind.LEAK, False)
    with transaction(db_url) as session:
        view = decisions_view(session, get_incident(session, incident_id), now=T0)
        (change,) = view.reclassifications
        assert (change.suspected_before, change.suspected_after) == (True, False)
        assert change.reason == "誤送付先から連絡があった"
        sent = _notices(session, incident_id, "reclassified")
        assert sent
        assert all("誤送付先" not in str(n.facts) for n in sent)

    def unchanged(session: Session) -> object:
        data = ReclassifyInput(kind=IncidentKind.LEAK, reason="同じ")
        return facts.reclassify(session, actor=OPERATOR, incident_id=incident_id, data=data)

    def no_reason(session: Session) -> object:
        data = ReclassifyInput(kind=IncidentKind.ERASURE)
        return facts.reclassify(session, actor=OPERATOR, incident_id=incident_id, data=data)

    assert _refused(db_url, unchanged, BadInput) == "kind"
    assert _refused(db_url, no_reason, BadInput) == "reason"


# --- 該当なし: submit, return, submit again, accept ------------------------------------------


def test_not_an_incident_needs_no_prevention_plan_and_closes_as_such(
    db_url: str, incident_id: str
) -> None:
    def without_reason(session: Session) -> object:
        return response.submit(
            session,
            actor=OPERATOR,
            incident_id=incident_id,
            data=SubmitInput(not_an_incident=True),
        )

    def as_incident_unready(session: Session) -> object:
        return response.submit(session, actor=OPERATOR, incident_id=incident_id)

    assert _refused(db_url, without_reason, BadInput) == "reason"
    assert _refused(db_url, as_incident_unready, Conflict) == "id"
    with transaction(db_url) as session:
        submitted = response.submit(
            session,
            actor=person("ito"),
            incident_id=incident_id,
            data=SubmitInput(not_an_incident=True, reason="誤送付ではなかった"),
            now=T0 + timedelta(hours=5),
        )
    assert submitted.outcome is Outcome.NOT_AN_INCIDENT
    with transaction(db_url) as session:
        (frozen,) = session.exec(
            select(RecordReview).where(RecordReview.incident_id == incident_id)
        )
        assert (frozen.outcome, frozen.reason) == (Outcome.NOT_AN_INCIDENT, "誤送付ではなかった")
        text = response.frozen_version(session, incident_id, 1)
        assert "該当なし" in text
        assert "誤送付ではなかった" in text
        accepted = response.accept(
            session, actor=person("tanaka"), incident_id=incident_id, now=T0 + timedelta(days=1)
        )
    assert accepted.outcome is Outcome.NOT_AN_INCIDENT
    assert accepted.state is IncidentState.CLOSED
    with transaction(db_url) as session:
        view = decisions_view(session, get_incident(session, incident_id), now=T0)
        assert view.outcome is Outcome.NOT_AN_INCIDENT
        assert view.outcome_reason == "誤送付ではなかった"
        assert view.reviews[0].answer is ReviewAnswer.ACCEPTED


def test_return_reopens_the_record_step_due_seven_days_later(db_url: str, incident_id: str) -> None:
    returned_at = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 12:00 in Tokyo

    def before_submission(session: Session) -> object:
        data = ReturnInput(reason="記載不足")
        return facts.return_record(
            session, actor=person("tanaka"), incident_id=incident_id, data=data
        )

    assert _refused(db_url, before_submission, Conflict) == "id"
    _ready(db_url, incident_id)
    with transaction(db_url) as session:
        acts.submit(session, incident_id, by="ito", now=T0 + timedelta(hours=4))

    def by_contractor(session: Session) -> object:
        data = ReturnInput(reason="記載不足")
        return facts.return_record(
            session, actor=person("suzuki"), incident_id=incident_id, data=data
        )

    def without_reason(session: Session) -> object:
        return facts.return_record(
            session, actor=person("tanaka"), incident_id=incident_id, data=ReturnInput()
        )

    assert _refused(db_url, by_contractor, BadInput) == "by"
    assert _refused(db_url, without_reason, BadInput) == "reason"
    with transaction(db_url) as session:
        result = facts.return_record(
            session,
            actor=person("tanaka"),
            incident_id=incident_id,
            data=ReturnInput(reason="原因の記載が不足"),
            now=returned_at,
        )
    # 7 calendar days after the Thursday of the return: the end of the next Thursday in Tokyo.
    assert result.record_due_at.astimezone(TOKYO).date() == date(2026, 12, 3)
    assert result.state is IncidentState.OPEN
    assert result.version == 1
    with transaction(db_url) as session:
        step = get_step(session, incident_id, StepName.RECORD)
        assert step.status is StepStatus.IN_PROGRESS
        assert step.due_at == result.record_due_at
        review = session.exec(select(RecordReview).where(RecordReview.incident_id == incident_id))
        (row,) = review
        assert (row.answer, row.answer_reason) == (ReviewAnswer.RETURNED, "原因の記載が不足")
        assert "record_returned" in _actions(session, incident_id)
        sent = _notices(session, incident_id, "returned")
        assert sent
        assert all("原因の記載" not in str(n.facts) for n in sent)
        # Resubmitted as version 2, it can be accepted.
        again = acts.submit(session, incident_id, by="ito", now=returned_at + timedelta(days=1))
        assert again.version == 2
        acts.accept(session, incident_id, by="tanaka", now=returned_at + timedelta(days=2))


# --- instructions, publication, the PPC draft ----------------------------------------------


def test_instructions_are_tracked_to_done(db_url: str, incident_id: str) -> None:
    with transaction(db_url) as session:
        given = facts.instruct(
            session,
            actor=person("tanaka"),
            incident_id=incident_id,
            data=InstructInput(text=SECRET + "について報告せよ", due=date(2026, 11, 30)),
            now=T0,
        )
    assert (given.number, given.status) == (1, InstructionStatus.OPEN)

    def in_the_past(session: Session) -> object:
        data = InstructInput(text="x", due=date(2026, 11, 1))
        return facts.instruct(
            session, actor=person("tanaka"), incident_id=incident_id, data=data, now=T0
        )

    def by_contractor(session: Session) -> object:
        data = InstructInput(text="x")
        return facts.instruct(session, actor=person("suzuki"), incident_id=incident_id, data=data)

    def unknown_number(session: Session) -> object:
        data = InstructionDoneInput(number=9)
        return facts.complete_instruction(
            session, actor=person("ito"), incident_id=incident_id, data=data
        )

    assert _refused(db_url, in_the_past, BadInput) == "due"
    assert _refused(db_url, by_contractor, BadInput) == "by"
    assert _refused(db_url, unknown_number, BadInput) == "number"
    with transaction(db_url) as session:
        late = T0 + timedelta(days=6)
        view = decisions_view(session, get_incident(session, incident_id), now=late)
        assert view.instructions[0].status is InstructionStatus.OVERDUE
        done = facts.complete_instruction(
            session,
            actor=person("ito"),
            incident_id=incident_id,
            data=InstructionDoneInput(number=1, note="報告済み"),
            now=late,
        )
        assert done.status is InstructionStatus.DONE
        sent = _notices(session, incident_id, "instructed")
        assert sent
        assert all(SECRET not in str(n.facts) for n in sent)
        assert _notices(session, incident_id, "instruction_done")
        assert {"instructed", "instruction_done"} <= set(_actions(session, incident_id))


def test_publication_decision_latest_in_force(db_url: str, incident_id: str) -> None:
    def withhold_without_reason(session: Session) -> object:
        data = PublishInput(decision=Publication.WITHHOLD)
        return facts.publish(session, actor=person("tanaka"), incident_id=incident_id, data=data)

    def by_gamma(session: Session) -> object:
        data = PublishInput(decision=Publication.PUBLISH)
        return facts.publish(session, actor=person("ito"), incident_id=incident_id, data=data)

    assert _refused(db_url, withhold_without_reason, BadInput) == "reason"
    assert _refused(db_url, by_gamma, BadInput) == "by"
    with transaction(db_url) as session:
        facts.publish(
            session,
            actor=person("tanaka"),
            incident_id=incident_id,
            data=PublishInput(decision=Publication.WITHHOLD, reason="本人への影響なし"),
            now=T0,
        )
        result = facts.publish(
            session,
            actor=person("tanaka"),
            incident_id=incident_id,
            data=PublishInput(decision=Publication.PUBLISH, on=date(2026, 11, 27)),
            now=T0 + timedelta(hours=1),
        )
    assert (result.decision, result.on) == (Publication.PUBLISH, date(2026, 11, 27))
    with transaction(db_url) as session:
        view = decisions_view(session, get_incident(session, incident_id), now=T0)
        assert view.publication is not None
        assert view.publication.decision is Publication.PUBLISH
        assert _notices(session, incident_id, "publication")


def test_ppc_draft_for_the_clients_managers_only(db_url: str, incident_id: str) -> None:
    with transaction(db_url) as session:
        facts.record_facts(
            session,
            actor=OPERATOR,
            incident_id=incident_id,
            data=parse_facts({"people": 150}),
            now=T0 + timedelta(hours=1),
        )
        body = facts.ppc_draft(
            session,
            actor=person("tanaka"),
            incident_id=incident_id,
            stage=AppiStage.FINAL,
            now=T0 + timedelta(hours=2),
        ).decode()
        assert "150" in body
        assert "要記入" in body
        html = facts.ppc_draft(
            session, actor=person("tanaka"), incident_id=incident_id, fmt="html", era=True
        ).decode()
        assert "令和" in html
    # 甲's APPI duties are not shown to the other tiers: to them the draft is unknown.
    for who in ("suzuki", "ito"):
        with pytest.raises(NotFound) as refused, transaction(db_url) as session:
            facts.ppc_draft(session, actor=person(who), incident_id=incident_id)
        assert refused.value.field == "id"


def test_measures_stay_tracked_after_acceptance_with_evidence(
    db_url: str, incident_id: str
) -> None:
    _ready(db_url, incident_id)
    with transaction(db_url) as session:
        acts.submit(session, incident_id, by="ito", now=T0 + timedelta(hours=4))
        acts.accept(session, incident_id, by="tanaka", now=T0 + timedelta(hours=5))
        done = response.implement_measure(
            session,
            actor=person("ito"),
            incident_id=incident_id,
            number=1,
            evidence="点検記録 2026-12-01",
            now=T0 + timedelta(days=6),
        )
    assert done.implemented
    assert done.evidence == "点検記録 2026-12-01"
    with transaction(db_url) as session:
        assert get_incident(session, incident_id).state is IncidentState.CLOSED
        for fmt in ("md", "html"):
            shown = response.record_document(
                session, actor=person("tanaka"), incident_id=incident_id, fmt=fmt
            ).decode()
            assert "点検記録 2026-12-01" in shown

    def contain_after_closing(session: Session) -> object:
        return acts.contain(session, incident_id, "x")

    assert _refused(db_url, contain_after_closing, Conflict) == "id"


# --- status carries the outcome, the facts, 甲's APPI clocks and decisions ---------------------


def test_status_shows_appi_clocks_to_the_client_across_the_year_end(db_url: str) -> None:
    declared = datetime(2026, 12, 28, 1, 0, tzinfo=UTC)  # Monday 10:00 in Tokyo
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        incident_id = acts.declare(session, org="gamma", by="ito", now=declared).incident.id
        facts.record_facts(
            session,
            actor=person("ito"),
            incident_id=incident_id,
            data=parse_facts({"people": 101, "my_number": False}),
            now=declared,
        )
        (report,) = session.exec(
            select(Report).where(Report.incident_id == incident_id, Report.recipient_id == "nerima")
        )
        report.delivered_at = declared + timedelta(minutes=5)
        session.add(report)
        acts.ack(session, incident_id, "nerima", by="tanaka", now=declared + timedelta(minutes=9))
    with transaction(db_url) as session:
        seen = incidents.incident_status(
            session, actor=person("tanaka"), incident_id=incident_id, now=declared
        )
        hidden = incidents.incident_status(
            session, actor=person("ito"), incident_id=incident_id, now=declared
        )
    assert seen.appi is not None
    assert seen.appi.reportable
    assert [str(r) for r in seen.appi.reasons] == ["people_over_100"]
    # 3 days after Monday 28 December is Thursday 31 December, closed: 4 January (Monday).
    assert seen.appi.preliminary_due_on == date(2027, 1, 4)
    assert seen.appi.final_due_on == date(2027, 1, 27)
    assert seen.facts.people == 101
    assert seen.facts_revision == 1
    assert seen.outcome is Outcome.INCIDENT
    nerima = next(r for r in seen.reports if r.to == "nerima")
    assert nerima.acknowledged_by == "tanaka"
    assert hidden.appi is None
    # The written record alike: 甲's assessment is 甲's; other tiers' copies leave it out.
    with transaction(db_url) as session:
        for who, shown in (("tanaka", True), ("ito", False), ("sato", False)):
            for fmt in ("md", "html"):
                text = response.record_document(
                    session, actor=person(who), incident_id=incident_id, fmt=fmt, now=declared
                ).decode()
                assert ("個人情報保護委員会" in text) is shown, (who, fmt)
    dumped = seen.model_dump(mode="json")
    assert {"outcome", "facts", "appi", "instructions", "publication"} <= set(dumped)
    assert dumped["appi"]["preliminary_due_at"].startswith("2027-01-04T23:59:59")


# --- the sweep: instructions and 甲's APPI reports ------------------------------------------


def test_the_sweep_reminds_instructions_and_the_clients_ppc_reports_once(
    db_url: str, incident_id: str
) -> None:
    with transaction(db_url) as session:
        facts.instruct(
            session,
            actor=person("tanaka"),
            incident_id=incident_id,
            data=InstructInput(text=SECRET, due=date(2026, 11, 30)),
            now=T0,
        )
        facts.record_facts(
            session,
            actor=person("ito"),
            incident_id=incident_id,
            data=parse_facts({"sensitive": True}),
            now=T0,
        )
        (report,) = session.exec(
            select(Report).where(Report.incident_id == incident_id, Report.recipient_id == "nerima")
        )
        # Delivered on Wednesday 25th: 速報 due 3 days later, on Saturday, closed — so Monday.
        report.delivered_at = T0 + timedelta(minutes=5)
        session.add(report)

    def swept(at: datetime) -> dict[str, int]:
        return queue_due(db_url, now=at)

    assert swept(T0 + timedelta(hours=1))["decisions"] == 0
    # Sunday 29th: the instruction is due tomorrow — gamma and 乙 (acme) are reminded.
    sunday = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    assert swept(sunday)["decisions"] == 2
    assert swept(sunday)["decisions"] == 0
    # Monday 30th 10:00 in Tokyo: 甲's 速報 is due by the end of the day.
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert swept(monday)["decisions"] == 1
    assert swept(monday)["decisions"] == 0
    with transaction(db_url) as session:
        (appi,) = _notices(session, incident_id, "appi_preliminary")
        assert appi.org_id == "nerima"
        assert appi.facts["due_at"].startswith("2026-11-30T23:59:59")
    # Tuesday 1st: overdue — escalated once to the same organisations.
    tuesday = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert swept(tuesday)["decisions"] == 2
    assert swept(tuesday)["decisions"] == 0
    with transaction(db_url) as session:
        due = _notices(session, incident_id, "instruction_due")
        late = _notices(session, incident_id, "instruction_overdue")
        assert {n.org_id for n in due} == {n.org_id for n in late} == {"gamma", "acme"}
        assert all(SECRET not in str(n.facts) for n in [*due, *late])
        # The trail shows how the instruction was chased, once each; 甲's own APPI reminder not.
        chased = [
            (e.action, e.detail, e.at)
            for e in session.exec(select(AuditEvent).where(AuditEvent.chain == incident_id))
            if "instruction" in e.detail
        ]
        assert sorted(chased, key=lambda c: c[2]) == [
            ("reminder", {"instruction": 1, "to": ["gamma", "acme"]}, sunday),
            ("escalation", {"instruction": 1, "to": ["gamma", "acme"]}, tuesday),
        ]
        assert check_incident(session, incident_id).broken is None
        text = render_text(record_data(session, incident_id, now=tuesday), fmt=RecordFormat.MD)
    assert "甲の指示等: 1; 宛先: ガンマデータ" in text


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_write_committed_while_a_trail_is_checked_is_not_a_break(
    db_url: str, incident_id: str, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """Another process commits an event (and moves the chain's head) while a status reads the
    trail: before or after the check reads the events. On PostgreSQL each query of a
    read-committed transaction sees the newest commits, as the portal's requests do."""
    from jikoflow.models.audit import verify
    from jikoflow.models.audit.service import events_of, record_event

    def write() -> None:
        with transaction(db_url) as other:
            record_event(other, incident_id, "contained", actor="ito", at=T0 + timedelta(minutes=9))

    def events_with_a_write(session: Session, chain: str) -> list[AuditEvent]:
        if when == "before":
            write()
        events = events_of(session, chain)
        if when == "after":
            write()
        return events

    monkeypatch.setattr(verify, "events_of", events_with_a_write)
    engine = get_engine(db_url)
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="READ COMMITTED")
    with Session(engine) as session:
        assert check_incident(session, incident_id).broken is None
    monkeypatch.undo()
    with transaction(db_url) as session:
        # Deleting the newest events is still a break: the head names one that is gone.
        newest = session.exec(
            select(AuditEvent)
            .where(AuditEvent.chain == incident_id)
            .order_by(col(AuditEvent.seq).desc())
        ).first()
        assert newest is not None
        session.delete(newest)
    with transaction(db_url) as session:
        assert "missing" in str(check_incident(session, incident_id).broken)

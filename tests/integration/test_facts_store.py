"""Facts revisions and the client's decisions in a real database (SQLite and PostgreSQL):
every revision kept, the latest returned, and the read model `status --json` will carry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from jikoflow.models.db import transaction
from jikoflow.models.enums import (
    AppiReason,
    IncidentKind,
    InstructionStatus,
    Outcome,
    Publication,
    ReportStatus,
    ReviewAnswer,
    Sector,
)
from jikoflow.models.errors import BadInput
from jikoflow.models.facts.rules import parse_facts
from jikoflow.models.facts.store import (
    add_facts_revision,
    decisions_view,
    facts_history,
    latest_facts,
)
from jikoflow.models.facts.tables import (
    FactsRevision,
    Instruction,
    PublicationDecision,
    Reclassification,
    RecordReview,
)
from jikoflow.models.incidents.service import get_incident
from jikoflow.models.incidents.tables import Report
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.parties.tables import Organization
from jikoflow.models.times import TOKYO
from tests import acts
from tests.conftest import SAMPLE_PARTIES

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday 10:00 in Tokyo


def _declare(session: Session) -> str:
    load_parties(session, read_parties(SAMPLE_PARTIES))
    return acts.declare(
        session,
        org="gamma",
        kind=IncidentKind.LEAK,
        summary="申請書の誤送付",
        suspected=True,
        by="ito",
        now=T0,
    ).incident.id


@pytest.fixture
def incident_id(db_url: str) -> str:
    """A suspected leak at gamma, reported to beta, acme and nerima (not delivered yet)."""
    with transaction(db_url) as session:
        return _declare(session)


def test_every_revision_is_kept_and_the_latest_is_whole(db_url: str, incident_id: str) -> None:
    with transaction(db_url) as session:
        assert latest_facts(session, incident_id) is None
        first = add_facts_revision(
            session,
            incident_id,
            parse_facts({"people": 30, "items": "氏名,住所"}),
            at=T0 + timedelta(hours=1),
            by="ito",
        )
        second = add_facts_revision(
            session,
            incident_id,
            parse_facts({"people": 130, "sensitive": True}),
            at=T0 + timedelta(days=1),
            by="suzuki",
        )
    assert (first.revision, second.revision) == (1, 2)
    with transaction(db_url) as session:
        latest = latest_facts(session, incident_id)
        assert latest is not None
        assert latest.revision == 2
        assert latest.facts["people"] == 130
        assert latest.facts["items"] == ["氏名", "住所"]  # kept from the first revision
        history = facts_history(session, incident_id)
    assert [(h.revision, h.by, h.changed) for h in history] == [
        (1, "ito", ["items", "people"]),
        (2, "suzuki", ["people", "sensitive"]),
    ]
    assert history[0].facts.people == 30
    assert history[0].at == T0 + timedelta(hours=1)


def test_a_revision_that_changes_nothing_is_refused_and_writes_nothing(
    db_url: str, incident_id: str
) -> None:
    with transaction(db_url) as session:
        add_facts_revision(session, incident_id, parse_facts({"people": 3}), at=T0, by=None)
    with pytest.raises(BadInput, match="nothing would change"), transaction(db_url) as session:
        add_facts_revision(session, incident_id, parse_facts({"people": 3}), at=T0, by=None)
    with transaction(db_url) as session:
        rows = session.exec(select(FactsRevision)).all()
    assert [r.revision for r in rows] == [1]


def test_revision_numbers_are_unique_per_incident(db_url: str, incident_id: str) -> None:
    with transaction(db_url) as session:
        session.add(FactsRevision(incident_id=incident_id, revision=1, at=T0, facts={}))
    with pytest.raises(IntegrityError), transaction(db_url) as session:
        session.add(FactsRevision(incident_id=incident_id, revision=1, at=T0, facts={}))


def _deliver_to_client(session: Session, incident_id: str, at: datetime) -> None:
    report = session.exec(
        select(Report).where(Report.incident_id == incident_id, Report.recipient_id == "nerima")
    ).one()
    report.status = ReportStatus.DELIVERED
    report.sent_at = report.delivered_at = at
    session.add(report)


def test_the_decisions_view_before_anything_is_known(db_url: str, incident_id: str) -> None:
    with transaction(db_url) as session:
        view = decisions_view(session, get_incident(session, incident_id), now=T0)
    assert view.outcome is Outcome.INCIDENT
    assert (view.facts_revision, view.facts.known()) == (0, {})
    assert (view.appi.reportable, view.appi.learned_at) == (False, None)
    assert (view.instructions, view.publication, view.reclassifications, view.reviews) == (
        [],
        None,
        [],
        [],
    )


def test_the_decisions_view_carries_everything_status_will_show(
    db_url: str, incident_id: str
) -> None:
    learned = T0 + timedelta(minutes=2)
    with transaction(db_url) as session:
        _deliver_to_client(session, incident_id, learned)
        add_facts_revision(session, incident_id, parse_facts({"people": 150}), at=T0, by="ito")
        session.add_all(
            [
                Instruction(
                    incident_id=incident_id,
                    number=1,
                    text="全件の送付先を確認し報告すること",
                    due_date=date(2026, 11, 27),
                    given_at=T0 + timedelta(hours=3),
                    given_by="tanaka",
                ),
                Instruction(
                    incident_id=incident_id,
                    number=2,
                    text="手順書を改訂すること",
                    given_at=T0 + timedelta(hours=4),
                    given_by="tanaka",
                    done_at=T0 + timedelta(days=1),
                    done_by="suzuki",
                    done_note="第3版を提出",
                ),
                PublicationDecision(
                    incident_id=incident_id,
                    decision=Publication.PUBLISH,
                    on_date=date(2026, 11, 30),
                    decided_at=T0 + timedelta(days=1),
                    decided_by="tanaka",
                ),
                PublicationDecision(
                    incident_id=incident_id,
                    decision=Publication.WITHHOLD,
                    on_date=date(2026, 11, 27),
                    reason="全員に本人通知済み",
                    decided_at=T0 + timedelta(days=2),
                    decided_by="tanaka",
                ),
                Reclassification(
                    incident_id=incident_id,
                    at=T0 + timedelta(hours=5),
                    by="ito",
                    kind_before=IncidentKind.LEAK,
                    kind_after=IncidentKind.LEAK,
                    suspected_before=True,
                    suspected_after=False,
                    reason="誤送付先から連絡あり",
                ),
            ]
        )
    now = datetime(2026, 11, 28, 0, 0, tzinfo=TOKYO)
    with transaction(db_url) as session:
        view = decisions_view(session, get_incident(session, incident_id), now=now)
    assert view.facts.people == 150
    assert view.appi.reasons == [AppiReason.PEOPLE_OVER_100]
    assert view.appi.learned_at == learned
    assert (view.appi.preliminary_due_on, view.appi.final_due_on) == (
        date(2026, 11, 30),
        date(2026, 12, 25),
    )
    assert [(i.number, i.status) for i in view.instructions] == [
        (1, InstructionStatus.OVERDUE),
        (2, InstructionStatus.DONE),
    ]
    assert view.instructions[1].done_note == "第3版を提出"
    assert view.publication is not None
    assert (view.publication.decision, view.publication.reason) == (
        Publication.WITHHOLD,
        "全員に本人通知済み",
    )
    assert [(r.suspected_before, r.suspected_after) for r in view.reclassifications] == [
        (True, False)
    ]
    dumped = view.model_dump(mode="json")
    assert set(dumped) >= {"outcome", "facts", "appi", "instructions", "publication"}
    assert set(dumped["appi"]) >= {"reportable", "reasons", "preliminary_due_at", "final_due_at"}


def test_a_private_client_counts_people_against_its_own_threshold(
    db_url: str, incident_id: str
) -> None:
    with transaction(db_url) as session:
        nerima = session.get(Organization, "nerima")
        assert nerima is not None
        assert nerima.sector is Sector.PUBLIC
        nerima.sector = Sector.PRIVATE
        session.add(nerima)
        add_facts_revision(session, incident_id, parse_facts({"people": 150}), at=T0, by=None)
    with transaction(db_url) as session:
        view = decisions_view(session, get_incident(session, incident_id), now=T0)
    assert (view.appi.reportable, view.appi.people_threshold) == (False, 1000)


def test_the_outcome_is_the_one_the_client_accepted(db_url: str, incident_id: str) -> None:
    with transaction(db_url) as session:
        session.add_all(
            [
                RecordReview(
                    incident_id=incident_id,
                    version=1,
                    outcome=Outcome.NOT_AN_INCIDENT,
                    reason="送付先は正しかった",
                    submitted_at=T0 + timedelta(days=1),
                    submitted_by="ito",
                    answer=ReviewAnswer.RETURNED,
                    answered_at=T0 + timedelta(days=2),
                    answered_by="tanaka",
                    answer_reason="根拠資料を添付すること",
                ),
                RecordReview(
                    incident_id=incident_id,
                    version=2,
                    outcome=Outcome.NOT_AN_INCIDENT,
                    reason="送付先は正しかった（配送記録あり）",
                    submitted_at=T0 + timedelta(days=3),
                    submitted_by="ito",
                ),
            ]
        )
    with transaction(db_url) as session:
        pending = decisions_view(session, get_incident(session, incident_id), now=T0)
    assert pending.outcome is Outcome.INCIDENT  # only a proposal so far
    assert [(r.version, r.answer) for r in pending.reviews] == [
        (1, ReviewAnswer.RETURNED),
        (2, None),
    ]
    with transaction(db_url) as session:
        review = session.exec(select(RecordReview).where(RecordReview.version == 2)).one()
        review.answer = ReviewAnswer.ACCEPTED
        review.answered_at = T0 + timedelta(days=4)
        session.add(review)
    with transaction(db_url) as session:
        decided = decisions_view(session, get_incident(session, incident_id), now=T0)
    assert (decided.outcome, decided.outcome_reason) == (
        Outcome.NOT_AN_INCIDENT,
        "送付先は正しかった（配送記録あり）",
    )

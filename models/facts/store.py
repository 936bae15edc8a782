"""Reading and keeping facts revisions, and the read model of 甲's decisions.

These are the data-access building blocks the services use: they neither check permissions
nor write audit events (the service that calls them does both, in the same transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from jikoflow.models.enums import Outcome, ReviewAnswer
from jikoflow.models.errors import BadInput
from jikoflow.models.facts.appi import assess_appi
from jikoflow.models.facts.rules import instruction_status, merge_facts
from jikoflow.models.facts.schemas import (
    DecisionsView,
    Facts,
    FactsRevisionView,
    InstructionView,
    PublicationView,
    ReclassificationView,
    ReviewView,
)
from jikoflow.models.facts.tables import (
    FactsRevision,
    Instruction,
    PublicationDecision,
    Reclassification,
    RecordReview,
)
from jikoflow.models.facts.wake import look_again
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.parties.tables import Contract, Organization


def latest_facts(session: Session, incident_id: str) -> FactsRevision | None:
    """The newest revision of an incident's facts, if any was recorded."""
    return session.exec(
        select(FactsRevision)
        .where(FactsRevision.incident_id == incident_id)
        .order_by(col(FactsRevision.revision).desc())
    ).first()


def facts_of(row: FactsRevision | None) -> Facts:
    """The facts a revision holds (all unknown when there is none)."""
    return Facts.model_validate(row.facts) if row is not None else Facts()


def facts_history(session: Session, incident_id: str) -> list[FactsRevisionView]:
    """Every revision of the facts, oldest first."""
    rows = session.exec(
        select(FactsRevision)
        .where(FactsRevision.incident_id == incident_id)
        .order_by(col(FactsRevision.revision))
    )
    return [
        FactsRevisionView(
            revision=r.revision, at=r.at, by=r.by, changed=list(r.changed), facts=facts_of(r)
        )
        for r in rows
    ]


def add_facts_revision(
    session: Session, incident_id: str, change: Facts, *, at: datetime, by: str | None
) -> FactsRevision:
    """Keep the facts after `change` as the next revision; refused when nothing changes."""
    latest = latest_facts(session, incident_id)
    merged, changed = merge_facts(facts_of(latest) if latest else None, change)
    if not changed:
        raise BadInput("facts", "nothing would change")
    row = FactsRevision(
        incident_id=incident_id,
        revision=(latest.revision if latest else 0) + 1,
        at=at,
        by=by,
        facts=merged.model_dump(mode="json"),
        changed=changed,
    )
    session.add(row)
    look_again(session, incident_id)  # the APPI clocks may have moved
    session.flush()
    return row


def _rows(session: Session, table: Any, incident_id: str, order: Any) -> list[Any]:
    query = select(table).where(table.incident_id == incident_id)
    return list(session.exec(query.order_by(col(order), col(table.id))))


def client_learned_at(
    session: Session,
    incident: Incident,
    client_id: str,
    reports: Sequence[Report] | None = None,
) -> datetime | None:
    """When 甲 learned of the incident: the delivery of the report to 甲 (DESIGN.md §6), or its
    acknowledgement when that came first.
    `reports`: the incident's reports when the caller has read them already."""
    if reports is None:
        report = session.exec(
            select(Report).where(
                Report.incident_id == incident.id, Report.recipient_id == client_id
            )
        ).first()
    else:
        report = next((r for r in reports if r.recipient_id == client_id), None)
    return None if report is None else report.known_at


def decisions_view(
    session: Session,
    incident: Incident,
    *,
    now: datetime,
    reports: Sequence[Report] | None = None,
) -> DecisionsView:
    """Outcome, facts, APPI clocks, instructions, publication and history of one incident
    (`reports`: its reports, when the caller has read them already)."""
    contract = session.get(Contract, incident.contract_id)
    assert contract is not None
    client = session.get(Organization, contract.client_id)
    assert client is not None
    latest = latest_facts(session, incident.id)
    facts = facts_of(latest)
    reviews = [review_view(r) for r in reviews_of(session, incident.id)]
    decided = next((r for r in reversed(reviews) if r.answer is ReviewAnswer.ACCEPTED), None)
    publications = publications_of(session, incident.id)
    return DecisionsView(
        outcome=decided.outcome if decided else Outcome.INCIDENT,
        outcome_reason=decided.reason if decided else None,
        facts=facts,
        facts_revision=latest.revision if latest else 0,
        appi=assess_appi(
            facts,
            kind=incident.kind,
            learned_at=client_learned_at(session, incident, client.id, reports),
            sector=client.sector,
        ),
        instructions=[instruction_view(i, now) for i in instructions_of(session, incident.id)],
        publication=publication_view(publications[-1]) if publications else None,
        reclassifications=[
            reclassification_view(r) for r in reclassifications_of(session, incident.id)
        ],
        reviews=reviews,
    )


def instruction_view(row: Instruction, now: datetime) -> InstructionView:
    """An instruction as read, with its status at `now`."""
    return InstructionView(
        number=row.number,
        text=row.text,
        due_on=row.due_date,
        given_at=row.given_at,
        given_by=row.given_by,
        status=instruction_status(row.done_at, row.due_date, now),
        done_at=row.done_at,
        done_by=row.done_by,
        done_note=row.done_note,
    )


def publication_view(row: PublicationDecision) -> PublicationView:
    """A publication decision as read."""
    return PublicationView(
        decision=row.decision,
        on=row.on_date,
        reason=row.reason,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


def reclassification_view(row: Reclassification) -> ReclassificationView:
    """A reclassification as read."""
    return ReclassificationView.model_validate(row, from_attributes=True)


def review_view(row: RecordReview) -> ReviewView:
    """A submitted version's proposal and 甲's answer, as read."""
    return ReviewView.model_validate(row, from_attributes=True)


def instructions_of(session: Session, incident_id: str) -> list[Instruction]:
    """An incident's instructions in the order given."""
    return _rows(session, Instruction, incident_id, Instruction.number)


def publications_of(session: Session, incident_id: str) -> list[PublicationDecision]:
    """Every publication decision, oldest first (the last is in force)."""
    return _rows(session, PublicationDecision, incident_id, PublicationDecision.decided_at)


def reclassifications_of(session: Session, incident_id: str) -> list[Reclassification]:
    """Every reclassification, oldest first."""
    return _rows(session, Reclassification, incident_id, Reclassification.at)


def reviews_of(session: Session, incident_id: str) -> list[RecordReview]:
    """Every submitted version's review row, oldest first."""
    return _rows(session, RecordReview, incident_id, RecordReview.version)

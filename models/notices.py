"""What a chat message may say (DESIGN.md §5), and the outbox that carries it.

`NoticeFacts` is the one place the no-content rule is enforced: it has no field for anything a
person typed (summary, actions, causes, measures, people affected), refuses unknown fields, and
is the only input message builders accept. `facts_for` is the only code that fills it from an
incident, and it never reads the free-text columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from models.clocks import effective_status
from models.enums import IncidentKind, IncidentState, ReportStatus, StepName, StepStatus
from models.tables import Contract, Incident, Notification, Organization, Report, Step
from models.types import utcnow


class NoticeEvent(StrEnum):
    """Why a message is sent."""

    REPORT = "report"  # the Art. 24 report to one recipient organisation
    DECLARED = "declared"  # the incident organisation's own managers
    STATE = "state"  # a step or the incident changed state
    REMINDER = "reminder"  # a step reached its warn time
    ESCALATION = "escalation"  # a step is overdue
    SUBMITTED = "submitted"  # the written record was submitted
    CLOSED = "closed"  # 甲 accepted the record


class OutboxStatus(StrEnum):
    """Delivery state of an outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


_SLACK_ID = r"^[A-Z0-9]{2,32}$"


class _Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepFact(_Facts):
    """One step's name, state and clock."""

    name: StepName
    status: StepStatus
    due_at: datetime


class ReportFact(_Facts):
    """One recipient organisation's delivery state."""

    org_name: str
    status: ReportStatus


class NoticeFacts(_Facts):
    """Everything a chat message may carry — names, states, times and counts, nothing typed."""

    event: NoticeEvent
    incident_id: str
    contract_id: str
    contract_title: str
    org_id: str
    org_name: str
    recipient_id: str | None = None
    recipient_name: str | None = None
    kind: IncidentKind
    suspected: bool
    state: IncidentState
    drill: bool = False
    declared_at: datetime
    steps: tuple[StepFact, ...] = ()
    reports: tuple[ReportFact, ...] = ()
    step: StepName | None = None
    step_status: StepStatus | None = None
    due_at: datetime | None = None
    mentions: tuple[str, ...] = Field(default=(), max_length=50)
    record_version: int | None = None


def facts_for(
    session: Session,
    incident: Incident,
    event: NoticeEvent,
    *,
    recipient: Organization | None = None,
    step: StepName | None = None,
    mentions: Sequence[str] = (),
    record_version: int | None = None,
    now: datetime | None = None,
) -> NoticeFacts:
    """The facts of `incident` for one message; reads names, states and clocks only."""
    moment = now or utcnow()
    contract = session.get(Contract, incident.contract_id)
    org = session.get(Organization, incident.org_id)
    assert contract is not None
    assert org is not None
    steps = session.exec(select(Step).where(Step.incident_id == incident.id).order_by(col(Step.id)))
    step_facts = tuple(
        StepFact(name=s.name, status=effective_status(s.status, s.due_at, moment), due_at=s.due_at)
        for s in steps
    )
    reports = session.exec(
        select(Report, Organization)
        .join(Organization, col(Organization.id) == Report.recipient_id)
        .where(Report.incident_id == incident.id)
        .order_by(col(Report.id))
    ).all()
    chosen = next((s for s in step_facts if s.name == step), None)
    return NoticeFacts(
        event=event,
        incident_id=incident.id,
        contract_id=contract.id,
        contract_title=contract.title,
        org_id=org.id,
        org_name=org.name,
        recipient_id=recipient.id if recipient else None,
        recipient_name=recipient.name if recipient else None,
        kind=incident.kind,
        suspected=incident.suspected,
        state=incident.state,
        drill=incident.is_drill,
        declared_at=incident.declared_at,
        steps=step_facts,
        reports=tuple(ReportFact(org_name=o.name, status=r.status) for r, o in reports),
        step=step,
        step_status=chosen.status if chosen else None,
        due_at=chosen.due_at if chosen else None,
        mentions=tuple(m for m in mentions if m),
        record_version=record_version,
    )


def enqueue(
    session: Session,
    facts: NoticeFacts,
    recipient: Organization,
    *,
    key_suffix: str = "",
    report_id: int | None = None,
) -> Notification | None:
    """Write one outbox row unless its idempotency key already exists; returns the new row."""
    key = f"{facts.incident_id}:{facts.event}:{key_suffix or recipient.id}"
    if session.exec(select(Notification.id).where(Notification.key == key)).first() is not None:
        return None
    row = Notification(
        key=key,
        incident_id=facts.incident_id,
        org_id=recipient.id,
        channel=recipient.slack_channel,
        report_id=report_id,
        event=str(facts.event),
        facts=facts.model_dump(mode="json"),
    )
    session.add(row)
    return row

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
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, SQLModel, col, select

from jikoflow.models.enums import IncidentKind, IncidentState, ReportStatus, StepName, StepStatus
from jikoflow.models.incidents.clocks import effective_status
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.tables import Contract, Organization
from jikoflow.models.types import utcnow


class NoticeEvent(StrEnum):
    """Why a message is sent."""

    REPORT = "report"  # the Art. 24 report to one recipient organisation
    DECLARED = "declared"  # the incident organisation's own managers
    STATE = "state"  # a step or the incident changed state
    REMINDER = "reminder"  # a step reached its warn time
    ESCALATION = "escalation"  # a step is overdue
    SUBMITTED = "submitted"  # the written record was submitted
    CLOSED = "closed"  # 甲 accepted the record
    DRILL_CHECK = "drill_check"  # a contact-tree check (Art. 24 (3)) asking for confirmation
    DRILL_INJECT = "drill_inject"  # a tabletop inject is available (its text stays out of chat)


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
    org_id: str | None = None


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
    inject: int | None = None  # the number of a tabletop inject, never its text


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
    contract = session.get(Contract, incident.contract_id)
    org = session.get(Organization, incident.org_id)
    assert contract is not None
    assert org is not None
    steps = session.exec(select(Step).where(Step.incident_id == incident.id).order_by(col(Step.id)))
    reports = session.exec(
        select(Report, Organization)
        .join(Organization, col(Organization.id) == Report.recipient_id)
        .where(Report.incident_id == incident.id)
        .order_by(col(Report.id))
    ).all()
    return build_facts(
        incident,
        contract,
        org,
        list(steps),
        [(r, o) for r, o in reports],
        event,
        now=now or utcnow(),
        recipient=recipient,
        step=step,
        mentions=mentions,
        record_version=record_version,
    )


def build_facts(
    incident: Incident,
    contract: Contract,
    org: Organization,
    steps: Sequence[Step],
    reports: Sequence[tuple[Report, Organization]],
    event: NoticeEvent,
    *,
    now: datetime,
    recipient: Organization | None = None,
    step: StepName | None = None,
    mentions: Sequence[str] = (),
    record_version: int | None = None,
) -> NoticeFacts:
    """The facts from rows already loaded — the free-text columns are never read."""
    step_facts = tuple(
        StepFact(name=s.name, status=effective_status(s.status, s.due_at, now), due_at=s.due_at)
        for s in steps
    )
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
        reports=tuple(
            ReportFact(org_name=o.name, status=r.status, org_id=o.id) for r, o in reports
        ),
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


class Variant(_Facts):
    """What differs between the messages of one incident in one pass: event, step, recipient."""

    event: NoticeEvent
    step: StepName | None = None
    step_status: StepStatus | None = None
    due_at: datetime | None = None
    recipient_id: str | None = None
    recipient_name: str | None = None
    mentions: tuple[str, ...] = Field(default=(), max_length=50)


def enqueue_many(
    session: Session, items: Sequence[tuple[NoticeFacts, Variant, Organization, str]]
) -> int:
    """Write many outbox rows (base facts, variant, recipient, key suffix), skipping queued keys.

    A variant only replaces fields of the validated base facts with validated typed values,
    so every row still holds a valid `NoticeFacts`; the base is serialised once per incident.
    """
    dumped: dict[int, dict[str, Any]] = {}
    keyed: dict[str, tuple[dict[str, Any], Organization, NoticeEvent]] = {}
    for base, variant, org, suffix in items:
        if id(base) not in dumped:
            dumped[id(base)] = base.model_dump(mode="json")
        facts = dumped[id(base)] | variant.model_dump(mode="json")
        keyed[f"{base.incident_id}:{variant.event}:{suffix or org.id}"] = (
            facts,
            org,
            variant.event,
        )
    keys = list(keyed)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for existing in session.exec(
            select(Notification.key).where(col(Notification.key).in_(chunk))
        ):
            keyed.pop(existing, None)
    if keyed:
        # A Core insert: building thousands of ORM objects costs more than the insert itself.
        session.execute(
            sa.insert(SQLModel.metadata.tables["notification"]),
            [
                {
                    "key": key,
                    "incident_id": facts["incident_id"],
                    "org_id": org.id,
                    "channel": org.slack_channel,
                    "event": str(event),
                    "facts": facts,
                }
                for key, (facts, org, event) in keyed.items()
            ],
        )
    return len(keyed)

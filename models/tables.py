"""The tables of the domain (DESIGN.md §2), one class per entity."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.enums import (
    IncidentKind,
    IncidentState,
    OrgKind,
    ReportStatus,
    Role,
    StepName,
    StepStatus,
)
from models.types import UTCDateTime, enum_type, json_type, utcnow


class Organization(SQLModel, table=True):
    """A party: the ward (甲), the prime contractor (乙) or a subcontractor."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: OrgKind = Field(sa_type=enum_type(OrgKind))
    slack_channel: str | None = Field(default=None, max_length=64)


class Person(SQLModel, table=True):
    """Someone at an organisation: a manager (管理責任者) or a worker (従事者)."""

    id: str = Field(primary_key=True, max_length=64)
    org_id: str = Field(foreign_key="organization.id", index=True, max_length=64)
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role))
    slack_user: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=200)


class Contract(SQLModel, table=True):
    """One commission from a client (甲) to a prime contractor (乙)."""

    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=300)
    client_id: str = Field(foreign_key="organization.id", max_length=64)
    contractor_id: str = Field(foreign_key="organization.id", max_length=64)


class Delegation(SQLModel, table=True):
    """An edge parent → child in a contract's subcontract tree (Art. 15)."""

    __table_args__ = (sa.UniqueConstraint("contract_id", "child_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contract.id", index=True, max_length=64)
    parent_id: str = Field(foreign_key="organization.id", max_length=64)
    child_id: str = Field(foreign_key="organization.id", max_length=64)
    approved_at: date | None = None
    upstream_notified_at: date | None = None


class Incident(SQLModel, table=True):
    """One 事故等 at one organisation under one contract."""

    id: str = Field(primary_key=True, max_length=40)
    contract_id: str = Field(foreign_key="contract.id", index=True, max_length=64)
    org_id: str = Field(foreign_key="organization.id", index=True, max_length=64)
    kind: IncidentKind = Field(sa_type=enum_type(IncidentKind))
    suspected: bool = False
    improper_purpose: bool = False
    summary: str = Field(sa_type=sa.Text)
    state: IncidentState = Field(
        default=IncidentState.OPEN, sa_type=enum_type(IncidentState), index=True
    )
    discovered_at: datetime = Field(sa_type=UTCDateTime)
    declared_at: datetime = Field(sa_type=UTCDateTime)
    declared_by: str | None = Field(default=None, max_length=64)
    contained_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    linked_incident_id: str | None = Field(default=None, foreign_key="incident.id", max_length=40)
    is_drill: bool = Field(default=False, index=True)


class Step(SQLModel, table=True):
    """One Article 24 duty of an incident, with its clock."""

    __table_args__ = (sa.UniqueConstraint("incident_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    name: StepName = Field(sa_type=enum_type(StepName))
    status: StepStatus = Field(default=StepStatus.PENDING, sa_type=enum_type(StepStatus))
    started_at: datetime = Field(sa_type=UTCDateTime)
    warn_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Reminder and escalation are each sent once per step; these mark that they were queued.
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Report(SQLModel, table=True):
    """One report of an incident to one recipient organisation."""

    __table_args__ = (sa.UniqueConstraint("incident_id", "recipient_id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    recipient_id: str = Field(foreign_key="organization.id", max_length=64)
    status: ReportStatus = Field(default=ReportStatus.PENDING, sa_type=enum_type(ReportStatus))
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=200)


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained trail; one chain per incident (or the parties chain)."""

    __table_args__ = (sa.UniqueConstraint("chain", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=64, index=True)
    seq: int
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Notification(SQLModel, table=True):
    """The durable outbox: one chat message to deliver, written with the change that causes it.

    `key` (incident, event, recipient) makes enqueueing idempotent; `facts` holds only the
    content-free facts of DESIGN.md §5 — the message is built from them at delivery.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    incident_id: str | None = Field(default=None, index=True, max_length=40)
    org_id: str = Field(foreign_key="organization.id", max_length=64)
    channel: str | None = Field(default=None, max_length=64)
    report_id: int | None = Field(default=None, foreign_key="report.id")
    event: str = Field(max_length=32)
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=200)
    ts: str | None = Field(default=None, max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    # Set when the last attempt may have reached the chat service (a claim that was never
    # settled, a timeout, a 5xx): the next attempt first looks for the message by its key.
    maybe_posted: bool = False


class ChatThread(SQLModel, table=True):
    """The summary card of one incident in one channel; later messages go into its thread.

    The card shows the facts of outbox row `card_row_id`; `card_shown_id` is the row whose facts
    the chat service shows now, so a card behind its newest row is due for `chat.update`.
    """

    __table_args__ = (sa.UniqueConstraint("incident_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(index=True, max_length=40)
    channel: str = Field(max_length=64)
    ts: str = Field(max_length=32)
    card_row_id: int | None = Field(default=None, foreign_key="notification.id")
    card_shown_id: int | None = Field(default=None, foreign_key="notification.id")


class ContainmentAction(SQLModel, table=True):
    """One containment measure (Art. 24 (1)): when, by whom, what; `contained` marks the end."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    at: datetime = Field(sa_type=UTCDateTime)
    by: str | None = Field(default=None, max_length=64)
    text: str = Field(sa_type=sa.Text)
    contained: bool = False


class CauseRevision(SQLModel, table=True):
    """One revision of the root-cause analysis (Art. 24 (2)); every revision is kept."""

    __table_args__ = (sa.UniqueConstraint("incident_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    revision: int
    at: datetime = Field(sa_type=UTCDateTime)
    by: str | None = Field(default=None, max_length=64)
    text: str = Field(sa_type=sa.Text)


class PreventionMeasure(SQLModel, table=True):
    """One recurrence-prevention measure (Art. 24 (3)), numbered per incident."""

    __table_args__ = (sa.UniqueConstraint("incident_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    number: int
    text: str = Field(sa_type=sa.Text)
    owner_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    due_date: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=64)
    implemented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    implemented_by: str | None = Field(default=None, max_length=64)


class RecordVersion(SQLModel, table=True):
    """A submitted, frozen written record (Art. 24 (4)) with its SHA-256."""

    __table_args__ = (sa.UniqueConstraint("incident_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    version: int
    lang: str = Field(default="ja", max_length=8)
    content: str = Field(sa_type=sa.Text)
    sha256: str = Field(max_length=64)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    submitted_by: str | None = Field(default=None, max_length=64)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_by: str | None = Field(default=None, max_length=64)

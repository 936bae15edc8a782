"""Incidents, their Article 24 steps and their reports to each recipient."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.enums import IncidentKind, IncidentState, ReportStatus, StepName, StepStatus
from jikoflow.models.types import TableModel, UTCDateTime, enum_type, json_type


class Incident(TableModel, table=True):
    """One 事故等 at one organisation under one contract."""

    # Lists read the newest incidents (drills apart) a page at a time.
    __table_args__ = (sa.Index("ix_incident_listing", "is_drill", "declared_at"),)

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
    linked_incident_id: str | None = Field(
        default=None, foreign_key="incident.id", max_length=40, index=True
    )
    is_drill: bool = Field(default=False, index=True)


class Step(TableModel, table=True):
    """One Article 24 duty of an incident, with its clock."""

    # The sweep reads only open clocks that are due: by status, then the next alert time, or
    # (none queued yet) the warn time. Done steps and clocks still ahead are never read.
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "name"),
        sa.Index("ix_step_clock", "status", "next_alert_at", "escalated_at", "warn_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    name: StepName = Field(sa_type=enum_type(StepName))
    status: StepStatus = Field(default=StepStatus.PENDING, sa_type=enum_type(StepStatus))
    started_at: datetime = Field(sa_type=UTCDateTime)
    warn_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The warn-time reminder, and the newest escalation (repeated while overdue), when queued.
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Escalations queued so far, and when the next reminder or escalation is due (None: none
    # queued yet — the warn time — or, after one, none to come: the cap was reached).
    escalations: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_alert_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Report(TableModel, table=True):
    """One report of an incident to one recipient organisation."""

    # The sweep reads only delivered reports whose acknowledgement clock is due or not armed
    # yet, and those whose APPI clocks are due to be looked at.
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "recipient_id"),
        sa.Index("ix_report_clock", "status", "next_alert_at", "reminders", "escalations"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    recipient_id: str = Field(foreign_key="organization.id", max_length=64)
    status: ReportStatus = Field(default=ReportStatus.PENDING, sa_type=enum_type(ReportStatus))
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=200)
    # Until acknowledged (DESIGN.md §6): reminders to the recipient and escalations to the
    # reporter and 乙 queued so far, and when the next one is due (None: none armed yet after
    # delivery, or none to come).
    reminders: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    escalations: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_alert_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the sweep next looks at 甲's APPI clocks (速報/確報 reminders) through this report:
    # the next reminder's time, or — once delivered, and again whenever the facts, the kind or
    # 甲's sector change — its delivery time (look now); None when nothing is to come.
    appi_next_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)

    @property
    def known_at(self) -> datetime | None:
        """When the recipient first had the report: its delivery, or its acknowledgement when
        that came first (a manager who read it in the portal before chat delivered it)."""
        times = [t for t in (self.delivered_at, self.acknowledged_at) if t is not None]
        return min(times) if times else None


@sa.event.listens_for(Report.delivered_at, "set")
def _look_at_the_appi_clocks(target: Report, value: datetime | None, *_: object) -> None:
    """Delivered (to 甲, 甲 has learned of it): the next sweep looks at the APPI clocks."""
    target.appi_next_at = value


class DeclarationKey(TableModel, table=True):
    """An idempotency key a declaration was sent with: a retry with the same key and the same
    input returns the incident it opened; keys are the caller's own (scoped by actor)."""

    actor: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=200)
    # SHA-256 of the declaration's input as parsed: the same key with other input is refused.
    digest: str = Field(max_length=64)
    incident_id: str = Field(foreign_key="incident.id", max_length=40)
    violations: list[str] = Field(default_factory=list, sa_type=json_type())
    at: datetime = Field(sa_type=UTCDateTime)

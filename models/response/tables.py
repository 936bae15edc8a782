"""What responders record after declaration: containment, causes, measures, submitted records."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.types import TableModel, UTCDateTime


class ContainmentAction(TableModel, table=True):
    """One containment measure (Art. 24 (1)): when, by whom, what; `contained` marks the end."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    at: datetime = Field(sa_type=UTCDateTime)
    by: str | None = Field(default=None, max_length=64)
    text: str = Field(sa_type=sa.Text)
    contained: bool = False
    # HMAC of every other field under the audit key (models/audit/seal.py), set on flush.
    seal: str | None = Field(default=None, max_length=64)


class CauseRevision(TableModel, table=True):
    """One revision of the root-cause analysis (Art. 24 (2)); every revision is kept."""

    __table_args__ = (sa.UniqueConstraint("incident_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    revision: int
    at: datetime = Field(sa_type=UTCDateTime)
    by: str | None = Field(default=None, max_length=64)
    text: str = Field(sa_type=sa.Text)
    # HMAC of every other field under the audit key (models/audit/seal.py), set on flush.
    seal: str | None = Field(default=None, max_length=64)


class PreventionMeasure(TableModel, table=True):
    """One recurrence-prevention measure (Art. 24 (3)), numbered per incident."""

    # The sweep reads only measures not implemented whose next alert is due, or that were never
    # reminded nor escalated and are due soon (Tokyo days).
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "number"),
        sa.Index(
            "ix_preventionmeasure_clock",
            "implemented_at",
            "next_alert_at",
            "escalated_at",
            "due_date",
        ),
    )

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
    evidence: str | None = Field(default=None, sa_type=sa.Text)  # how implementation is shown
    # The clock's bookkeeping (a reminder, then escalations repeated as an overdue step's, each
    # queued once), left out of the seal: the sweep writes them, and they say nothing the
    # record relies on. `escalated_at` is the newest escalation; `next_alert_at` when the clock
    # speaks next (None: not armed yet, or the policy's cap reached).
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalations: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_alert_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # HMAC of every other field under the audit key (models/audit/seal.py), set on flush.
    seal: str | None = Field(default=None, max_length=64)


class RecordVersion(TableModel, table=True):
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
    # HMAC of every other field under the audit key (models/audit/seal.py), set on flush.
    seal: str | None = Field(default=None, max_length=64)

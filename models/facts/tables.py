"""Facts revisions, outcomes, reclassifications and 甲's decisions (Arts. 22, 25).

Every table keeps history: a revision, a reclassification, an instruction or a decision is a
new row, never an overwrite of what an earlier version of the record already said.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.enums import IncidentKind, Outcome, Publication, ReviewAnswer
from jikoflow.models.types import TableModel, UTCDateTime, enum_type, json_type


class FactsRevision(TableModel, table=True):
    """One revision of the structured facts: the whole set as it stood, and what changed."""

    __table_args__ = (sa.UniqueConstraint("incident_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    revision: int
    at: datetime = Field(sa_type=UTCDateTime)
    by: str | None = Field(default=None, max_length=64)
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    changed: list[str] = Field(default_factory=list, sa_type=json_type())


class Reclassification(TableModel, table=True):
    """A change of the incident's kind or of おそれ/発生, with the reason given."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    at: datetime = Field(sa_type=UTCDateTime)
    by: str | None = Field(default=None, max_length=64)
    kind_before: IncidentKind = Field(sa_type=enum_type(IncidentKind))
    kind_after: IncidentKind = Field(sa_type=enum_type(IncidentKind))
    suspected_before: bool
    suspected_after: bool
    reason: str = Field(sa_type=sa.Text)


class RecordReview(TableModel, table=True):
    """What a submitted version of the record proposes (事故等, or 該当なし with a reason) and
    甲's answer to it: accepted (受理), or returned (差戻し) with a reason."""

    __table_args__ = (sa.UniqueConstraint("incident_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    version: int
    outcome: Outcome = Field(sa_type=enum_type(Outcome))
    reason: str | None = Field(default=None, sa_type=sa.Text)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    submitted_by: str | None = Field(default=None, max_length=64)
    answer: ReviewAnswer | None = Field(default=None, sa_type=enum_type(ReviewAnswer))
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by: str | None = Field(default=None, max_length=64)
    answer_reason: str | None = Field(default=None, sa_type=sa.Text)


class Instruction(TableModel, table=True):
    """甲's instruction or request for a report (Art. 22), numbered, tracked to done."""

    # The sweep reads only open, unescalated instructions due by tomorrow (Tokyo).
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "number"),
        sa.Index("ix_instruction_clock", "done_at", "escalated_at", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    number: int
    text: str = Field(sa_type=sa.Text)
    due_date: date | None = None
    given_at: datetime = Field(sa_type=UTCDateTime)
    given_by: str | None = Field(default=None, max_length=64)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by: str | None = Field(default=None, max_length=64)
    done_note: str | None = Field(default=None, sa_type=sa.Text)
    # Reminder and escalation are each queued once per level; these mark that they were.
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PublicationDecision(TableModel, table=True):
    """甲's decision to publish the incident or not (Art. 25); the latest row is in force."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=40)
    decision: Publication = Field(sa_type=enum_type(Publication))
    on_date: date | None = None  # the day of publication, or of the decision to withhold
    reason: str | None = Field(default=None, sa_type=sa.Text)
    decided_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=64)

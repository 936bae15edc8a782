"""The outbox of notifications and the chat threads they open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from jikoflow.models.types import UTCDateTime, json_type, utcnow


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

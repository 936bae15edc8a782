"""The outbox: one row per message and transport, about a subject, addressed to a party."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.incidents import tables as _incidents  # noqa: F401  (foreign keys)
from jikoflow.models.parties import tables as _parties  # noqa: F401  (foreign keys)
from jikoflow.models.types import TableModel, UTCDateTime, enum_type, json_type, utcnow


class Transport(StrEnum):
    """How a message travels; each transport delivers, retries and fails on its own."""

    CHAT = "chat"  # Slack, or the console when no Slack token is configured
    EMAIL = "email"


class Notification(TableModel, table=True):
    """The durable outbox: one message for one transport, written with the change that causes it.

    The subject is an incident or a drill (exactly one of the two keys); the addressee an
    organisation and/or a person, whose address the transport resolves when it delivers.
    `key` (subject, event, recipient) makes enqueueing idempotent per transport; `facts` holds
    only the content-free facts of DESIGN.md §5 — the message is built from them at delivery.
    Where the message landed (Slack's channel and `ts`, …) is kept by the transport itself.
    """

    __table_args__ = (
        sa.UniqueConstraint("key", "transport"),
        sa.CheckConstraint(
            "(incident_id IS NULL) <> (drill_id IS NULL)", name="ck_notification_one_subject"
        ),
        sa.CheckConstraint(
            "org_id IS NOT NULL OR person_id IS NOT NULL", name="ck_notification_addressee"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    transport: Transport = Field(default=Transport.CHAT, sa_type=enum_type(Transport))
    incident_id: str | None = Field(
        default=None, foreign_key="incident.id", index=True, max_length=40
    )
    # A foreign key to `drill.id`, declared beside the drill table (drills/tables.py): `status`
    # and `list` read the outbox and never need the drill tables loaded.
    drill_id: str | None = Field(default=None, index=True, max_length=40)
    org_id: str | None = Field(default=None, foreign_key="organization.id", max_length=64)
    person_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    event: str = Field(max_length=32)
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=200)
    # Set when the last attempt may have reached the service (a claim that was never settled,
    # a timeout, a 5xx): the next attempt first looks for the message by its key.
    maybe_posted: bool = False
    # Set while the transport's service is unreachable (refused, timing out, answering 5xx): the
    # row waits for the service to come back rather than for its own backoff.
    outage: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})

    @property
    def subject_id(self) -> str:
        """The incident or drill the message is about."""
        subject = self.incident_id or self.drill_id
        assert subject is not None
        return subject


class ChannelPace(TableModel, table=True):
    """When an address of a transport may take its next message, shared by every dispatcher.

    Times are seconds since the epoch by the database's clock, so dispatchers on several
    machines agree without synchronised clocks. A dispatcher holds the address (`holder`) while
    its message is in flight; `held_until` frees it if that dispatcher dies meanwhile.
    """

    transport: Transport = Field(primary_key=True, sa_type=enum_type(Transport))
    address: str = Field(primary_key=True, max_length=200)
    ready_at: float = 0.0
    holder: str | None = Field(default=None, max_length=64)
    held_until: float = 0.0

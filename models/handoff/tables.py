"""The flow requests: one row per flow the application asked the orchestrator to run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.types import TableModel, UTCDateTime, enum_type, utcnow


class FlowName(StrEnum):
    """The flows a request can ask for (names of `jikoflow.flows.registry.FLOWS`)."""

    INCIDENT = "incident"


class FlowRequest(TableModel, table=True):
    """A flow to run about one subject, written in the transaction that calls for it.

    It waits (`started_at` empty) until a flow run has taken it: a run created on the
    orchestrator's deployment, or one run in this process. Whoever starts it claims it first
    (`claimed_at`), so two processes never start it together; a claim never settled (the
    process died) is taken again after a while, and the orchestrator recognises the second
    start by its idempotency key.
    """

    __table_args__ = (sa.UniqueConstraint("flow", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    flow: FlowName = Field(sa_type=enum_type(FlowName))
    subject_id: str = Field(max_length=40)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    run: str | None = Field(default=None, max_length=64)  # the flow run's id, or `in-process`
    last_error: str | None = Field(default=None, max_length=200)

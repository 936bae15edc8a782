"""The audit trail: its events, and each chain's sealed head."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.types import TableModel, UTCDateTime, json_type, utcnow


class AuditEvent(TableModel, table=True):
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
    # HMAC of every other field under the audit key (models/audit/seal.py).
    seal: str | None = Field(default=None, max_length=64)


class AuditHead(TableModel, table=True):
    """The newest event of one chain, sealed: deleting the newest events (which leaves an
    intact but shorter chain) shows as a head that names an event no longer there, and the
    head cannot be moved back without the audit key."""

    chain: str = Field(primary_key=True, max_length=64)
    seq: int
    hash: str = Field(max_length=64)
    seal: str = Field(max_length=64)

"""Credentials, web sessions and API tokens.

Nothing here can be replayed from a copy of the database: passwords are Argon2id hashes,
session ids and API tokens are stored as SHA-256 digests of the random values the browser or
the client holds.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from jikoflow.models.enums import SessionStage
from jikoflow.models.types import TableModel, UTCDateTime, enum_type, utcnow


class Credential(TableModel, table=True):
    """How a person signs in, and the state of their failed attempts."""

    person_id: str = Field(primary_key=True, foreign_key="person.id", max_length=64)
    password_hash: str | None = Field(default=None, max_length=255)
    password_set_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_count: int = 0  # consecutive failed attempts since the last sign-in
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # back-off
    locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # by the operator
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = None  # the last accepted time step: no code counts twice


class WebSession(TableModel, table=True):
    """A signed-in browser; `id` is the SHA-256 of the cookie's random value."""

    id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    stage: SessionStage = Field(sa_type=enum_type(SessionStage))
    signed_in_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    totp_pending: str | None = Field(default=None, max_length=64)  # a secret being enrolled


class ApiToken(TableModel, table=True):
    """A named API token of a person; only its SHA-256 digest is kept."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    name: str = Field(max_length=100)
    digest: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

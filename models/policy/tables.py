"""The loaded policy: one row per section of the file (its defaults, a contract, an organisation).

A row keeps only what the file wrote, so a later change of a built-in default reaches every
contract that did not set that value itself.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.types import TableModel, UTCDateTime, enum_type, json_type, utcnow


class PolicyScope(StrEnum):
    """What a section of the policy file is about."""

    DEFAULTS = "defaults"
    CONTRACT = "contract"
    ORGANIZATION = "organization"


class PolicyEntry(TableModel, table=True):
    """One section of the loaded policy file, as written."""

    __table_args__ = (sa.UniqueConstraint("scope", "scope_id"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: PolicyScope = Field(sa_type=enum_type(PolicyScope))
    scope_id: str = Field(default="", max_length=64)  # "" for the defaults
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

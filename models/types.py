"""Column types: timezone-aware UTC datetimes on every backend, enums stored as their values;
the base of every table."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite drops the zone, so it is re-attached on load."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime refused: {value.isoformat()}")
        utc = value.astimezone(UTC)
        # SQLite stores text; keep it naive UTC so comparisons sort correctly.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(enum: type[StrEnum]) -> sa.Enum:
    """A portable enum column storing values (not names), without a native PG type."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
    )


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def json_type() -> Any:
    """A JSON column type (JSONB would tie us to PostgreSQL)."""
    return sa.JSON()


class TableModel(SQLModel):
    """The base of every table. Rows are not validated when made (SQLModel's tables never
    are), so pydantic builds a table's validator only if something validates one: a command
    does not pay for building all of them at start-up."""

    # SQLModel types its config as its own TypedDict (not exported); pydantic merges the two.
    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]

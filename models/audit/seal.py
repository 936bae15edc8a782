"""Seals: an HMAC over every field of an evidential row, keyed outside the database.

The hash chain alone shows an edited row only to someone who does not recompute the hashes;
anyone with write access to the database can. A seal needs the audit key, which lives in
`JIKOFLOW_AUDIT_KEY` or in the home directory (0600), never in the database, so an edit made
with database access alone shows as a seal that no longer matches.

Sealed: audit events, and the rows whose text the trail refers to — containment actions, cause
revisions, prevention measures and submitted record versions. Rows written through the ORM are
sealed when flushed (insert and update), so every service seals without saying so. A clock's
bookkeeping columns (when a measure's reminder and escalations were queued, and when it
speaks next) are not sealed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import SQLModel

from jikoflow.models.response.tables import (
    CauseRevision,
    ContainmentAction,
    PreventionMeasure,
    RecordVersion,
)
from jikoflow.models.settings import audit_key

SEAL_COLUMN = "seal"
# Neither the row id (given by the database after the seal is made) nor the seal itself.
_UNSEALED = {"id", SEAL_COLUMN}
# A clock's bookkeeping, written by the sweep and not evidence: a seal made before the column
# existed still matches, and the sweep writing them never seals again a row edited behind
# the application's back.
CLOCK_COLUMNS: dict[str, frozenset[str]] = {
    "preventionmeasure": frozenset({"reminded_at", "escalated_at", "escalations", "next_alert_at"}),
}
SEALED_ROWS: tuple[type[SQLModel], ...] = (
    ContainmentAction,
    CauseRevision,
    PreventionMeasure,
    RecordVersion,
)


def _plain(value: Any) -> Any:
    """One field as it is sealed: the same value whichever backend stored it."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def seal_of(table: str, fields: dict[str, Any], key: bytes | None = None) -> str:
    """The HMAC-SHA256 of a row of `table` over every field but its id, seal and clock columns."""
    left_out = _UNSEALED | CLOCK_COLUMNS.get(table, frozenset())
    body = json.dumps(
        [table, {k: _plain(v) for k, v in sorted(fields.items()) if k not in left_out}],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hmac.new(key or audit_key(), body.encode(), hashlib.sha256).hexdigest()


def row_fields(row: SQLModel) -> dict[str, Any]:
    """Every column value of an ORM row, by column name."""
    table = row.__table__  # type: ignore[attr-defined]
    return {c.name: getattr(row, c.name) for c in table.columns}


def row_seal(row: SQLModel, key: bytes | None = None) -> str:
    """What the seal of `row` must be."""
    return seal_of(row.__tablename__, row_fields(row), key)  # type: ignore[arg-type]


def seal_matches(row: SQLModel, key: bytes) -> bool:
    """Whether `row` carries the seal its fields call for."""
    stored = getattr(row, SEAL_COLUMN, None)
    return stored is not None and hmac.compare_digest(stored, row_seal(row, key))


def seal_existing(conn: Connection) -> int:
    """Seal every row written before seals existed, in the caller's transaction (the upgrade
    that adds the seal columns); returns how many rows were sealed."""
    from jikoflow.models.audit.tables import AuditEvent

    key = audit_key()
    count = 0
    for model in (AuditEvent, *SEALED_ROWS):
        table = model.__table__  # type: ignore[attr-defined]
        rows = conn.execute(sa.select(table)).mappings().all()
        for row in rows:
            seal = seal_of(table.name, dict(row), key)
            conn.execute(table.update().where(table.c.id == row["id"]).values(seal=seal))
            count += 1
    return count


def _seal_on_flush(_mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    target.seal = row_seal(target)


def _seal_on_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    clock = CLOCK_COLUMNS.get(target.__tablename__, frozenset())
    state = sa.inspect(target)
    changed = {a.key for a in mapper.column_attrs if state.attrs[a.key].history.has_changes()}
    # Only the clock moved: the seal stays as it was, matching or not.
    if changed and changed <= clock:
        return
    _seal_on_flush(mapper, connection, target)


for _model in SEALED_ROWS:
    event.listen(_model, "before_insert", _seal_on_flush)
    event.listen(_model, "before_update", _seal_on_update)

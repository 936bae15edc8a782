"""audit events and the rows they refer to carry a seal: an HMAC keyed outside the database;
declarations may carry an idempotency key

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 13:10:00

The hash chain is unkeyed, so anyone able to edit the database could rewrite an event or a
cause text and recompute the hashes unseen. Each audit event, containment action, cause
revision, prevention measure and submitted record version gets a `seal` column: an HMAC-SHA256
of every other field under the audit key (`JIKOFLOW_AUDIT_KEY`, or `audit_key` in the home).
The rows already there are sealed right after this revision is applied, in the same
transaction (`jikoflow.database.upgrade`), with the key of the process that upgrades.

`declarationkey` keeps the idempotency key a declaration was sent with, so a retry returns the
incident the first one opened instead of a duplicate.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import jikoflow.models.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED = ("auditevent", "containmentaction", "causerevision", "preventionmeasure", "recordversion")


def upgrade() -> None:
    # Plain ALTER TABLE … ADD/DROP COLUMN (SQLite 3.35+): no table is rebuilt under its rows.
    for table in SEALED:
        op.add_column(
            table, sa.Column("seal", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    op.create_table(
        "declarationkey",
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("incident_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("violations", sa.JSON(), nullable=False),
        sa.Column("at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("actor", "key"),
    )


def downgrade() -> None:
    op.drop_table("declarationkey")
    for table in SEALED:
        op.drop_column(table, "seal")

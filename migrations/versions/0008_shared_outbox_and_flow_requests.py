"""flow requests, a pace shared by every dispatcher, outage-held messages, the lease's node

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 11:30:00

Existing rows keep their meaning: no incident gets a flow request afterwards (their clocks are
kept by `sweep` as before), no message is held by an outage, and a report that no transport
delivered loses the send time it was given by a failed attempt — a report waiting for delivery
has not been sent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import jikoflow.models.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REPORT = sa.table(
    "report",
    sa.column("status", sa.String),
    sa.column("sent_at", jikoflow.models.types.UTCDateTime(timezone=True)),
    sa.column("delivered_at", jikoflow.models.types.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "channelpace",
        sa.Column(
            "transport",
            sa.Enum("chat", "email", name="transport", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("ready_at", sa.Float(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("held_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("transport", "address"),
    )
    op.create_table(
        "flowrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "flow",
            sa.Enum("incident", name="flowname", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("subject_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("requested_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "next_attempt_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("claimed_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("run", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("flow", "subject_id"),
    )
    with op.batch_alter_table("flowrequest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flowrequest_started_at"), ["started_at"], unique=False)
    # Plain ALTER TABLE … ADD/DROP COLUMN (SQLite 3.35+): rebuilding the outbox table on
    # SQLite would trip the foreign keys of the messages already sent.
    op.add_column(
        "notification",
        sa.Column("outage", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "schedulerlease",
        sa.Column("node", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    )
    op.execute(
        _REPORT.update()
        .where(_REPORT.c.status.in_(["pending", "failed"]), _REPORT.c.delivered_at.is_(None))
        .values(sent_at=None)
    )


def downgrade() -> None:
    op.drop_column("schedulerlease", "node")
    op.drop_column("notification", "outage")
    with op.batch_alter_table("flowrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowrequest_started_at"))
    op.drop_table("flowrequest")
    op.drop_table("channelpace")

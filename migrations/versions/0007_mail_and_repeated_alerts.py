"""e-mail as a transport, organisations' role addresses, and reminders and escalations that repeat

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00

On a database in use every row is kept. Organisations get an optional `email`; the e-mail
transport gets its own tables (Message-IDs and threads). Steps and reports get the bookkeeping
of repeated reminders and escalations: a step escalated once by the earlier code counts one
escalation and is due to repeat an hour after it; a step reminded but not yet due is next due
at its due time; delivered, unacknowledged reports start their acknowledgement clock at the
next sweep.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import jikoflow.models.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = jikoflow.models.types.UTCDateTime(timezone=True)
# The earlier code escalated once; the first repeat comes an hour after that.
_FIRST_REPEAT = timedelta(hours=1)


def _count(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    op.add_column(
        "organization",
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    op.add_column("step", _count("escalations"))
    op.add_column("step", sa.Column("next_alert_at", _UTC, nullable=True))
    op.create_index("ix_step_next_alert_at", "step", ["next_alert_at"], unique=False)
    op.add_column("report", _count("reminders"))
    op.add_column("report", _count("escalations"))
    op.add_column("report", sa.Column("next_alert_at", _UTC, nullable=True))
    op.create_index("ix_report_next_alert_at", "report", ["next_alert_at"], unique=False)
    op.create_table(
        "mail_message",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("in_reply_to", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_table(
        "mail_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("address_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_id", "address_digest"),
    )
    op.create_index("ix_mail_thread_subject_id", "mail_thread", ["subject_id"], unique=False)
    _carry_over_step_alerts()


def _carry_over_step_alerts() -> None:
    """What the earlier code queued once, counted; what it would still queue, scheduled."""
    bind = op.get_bind()
    step = sa.table(
        "step",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("due_at", _UTC),
        sa.column("reminded_at", _UTC),
        sa.column("escalated_at", _UTC),
        sa.column("escalations", sa.Integer()),
        sa.column("next_alert_at", _UTC),
    )
    rows = bind.execute(
        sa.select(step.c.id, step.c.due_at, step.c.reminded_at, step.c.escalated_at).where(
            step.c.status != "done",
            sa.or_(step.c.reminded_at.is_not(None), step.c.escalated_at.is_not(None)),
        )
    ).all()
    values = [
        {
            "row_id": row.id,
            "count": 1 if row.escalated_at is not None else 0,
            "next_at": row.escalated_at + _FIRST_REPEAT
            if row.escalated_at is not None
            else row.due_at,
        }
        for row in rows
    ]
    if values:
        bind.execute(
            step.update()
            .where(step.c.id == sa.bindparam("row_id"))
            .values(escalations=sa.bindparam("count"), next_alert_at=sa.bindparam("next_at")),
            values,
        )


def _drop_columns(table: str, *columns: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a plain column in place; rebuilding the table would trip the foreign
        # keys that point at it (the outbox's rows reference reports).
        for column in columns:
            op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
        return
    for column in columns:
        op.drop_column(table, column)


def downgrade() -> None:
    op.drop_index("ix_mail_thread_subject_id", table_name="mail_thread")
    op.drop_table("mail_thread")
    op.drop_table("mail_message")
    op.drop_index("ix_report_next_alert_at", table_name="report")
    _drop_columns("report", "next_alert_at", "escalations", "reminders")
    op.drop_index("ix_step_next_alert_at", table_name="step")
    _drop_columns("step", "next_alert_at", "escalations")
    _drop_columns("organization", "email")

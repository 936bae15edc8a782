"""prevention measures are reminded before their due date and escalated after it, repeatedly

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 22:30:00

Each prevention measure keeps when its reminder was queued, how many escalations were and when
the newest was, and when its clock speaks next, so each reminder and each repeat of the
escalation is queued once. The sweep reads only measures not implemented whose next alert is
due, or never reminded nor escalated and due soon, through an index that leads with those
columns. The columns are left out of the row's seal, so the seals of existing measures still
match. On a database in use, measures already due soon or overdue are reminded or escalated by
the next sweep.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jikoflow.models.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = jikoflow.models.types.UTCDateTime(timezone=True)
_COLUMNS = ("reminded_at", "escalated_at", "escalations", "next_alert_at")


def upgrade() -> None:
    op.add_column("preventionmeasure", sa.Column("reminded_at", _UTC, nullable=True))
    op.add_column("preventionmeasure", sa.Column("escalated_at", _UTC, nullable=True))
    op.add_column(
        "preventionmeasure",
        sa.Column("escalations", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("preventionmeasure", sa.Column("next_alert_at", _UTC, nullable=True))
    op.create_index(
        "ix_preventionmeasure_clock",
        "preventionmeasure",
        ["implemented_at", "next_alert_at", "escalated_at", "due_date"],
    )


def downgrade() -> None:
    op.drop_index("ix_preventionmeasure_clock", table_name="preventionmeasure")
    for name in reversed(_COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite drops a plain column in place; a batch rebuild of the table is not needed.
            op.execute(f'ALTER TABLE "preventionmeasure" DROP COLUMN "{name}"')
        else:
            op.drop_column("preventionmeasure", name)

"""the sweep reads only the clocks that are due, through indexes

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 16:30:00

A sweep when nothing is due read every open step and report its OR-ed conditions matched, and
every delivered report to 甲 of the last 70 days to work out 甲's APPI reminders in Python.
Steps, reports and instructions get indexes that lead with what the sweep asks (status, then
the clock), replacing the single-column indexes on `next_alert_at`; reports get
`appi_next_at`, when the sweep next looks at 甲's APPI clocks. On a database in use every row
is kept, and every report delivered to 甲 is looked at by the next sweep, which sets its time.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jikoflow.models.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = jikoflow.models.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.drop_index("ix_step_next_alert_at", table_name="step")
    op.create_index("ix_step_clock", "step", ["status", "next_alert_at", "escalated_at", "warn_at"])
    op.drop_index("ix_report_next_alert_at", table_name="report")
    op.create_index(
        "ix_report_clock", "report", ["status", "next_alert_at", "reminders", "escalations"]
    )
    op.add_column("report", sa.Column("appi_next_at", _UTC, nullable=True))
    op.create_index("ix_report_appi_next_at", "report", ["appi_next_at"])
    op.create_index("ix_instruction_clock", "instruction", ["done_at", "escalated_at", "due_date"])
    # Every report delivered to 甲 is looked at by the next sweep (which sets its next time).
    op.execute(
        "UPDATE report SET appi_next_at = delivered_at WHERE delivered_at IS NOT NULL "
        "AND recipient_id = (SELECT contract.client_id FROM incident "
        "JOIN contract ON contract.id = incident.contract_id "
        "WHERE incident.id = report.incident_id)"
    )


def downgrade() -> None:
    op.drop_index("ix_instruction_clock", table_name="instruction")
    op.drop_index("ix_report_appi_next_at", table_name="report")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a plain column in place; rebuilding the table would trip the foreign
        # keys that point at it (the outbox's rows reference reports).
        op.execute('ALTER TABLE "report" DROP COLUMN "appi_next_at"')
    else:
        op.drop_column("report", "appi_next_at")
    op.drop_index("ix_report_clock", table_name="report")
    op.create_index("ix_report_next_alert_at", "report", ["next_alert_at"])
    op.drop_index("ix_step_clock", table_name="step")
    op.create_index("ix_step_next_alert_at", "step", ["next_alert_at"])

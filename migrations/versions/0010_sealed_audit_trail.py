"""audit events and the rows they refer to carry a seal: an HMAC keyed outside the database

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-27 13:10:00

The hash chain is unkeyed, so anyone able to edit the database could rewrite an event or a
cause text and recompute the hashes unseen. Each audit event, containment action, cause
revision, prevention measure and submitted record version gets a `seal` column: an HMAC-SHA256
of every other field under the audit key (`JIKOFLOW_AUDIT_KEY`, or `audit_key` in the home).
The rows already there are sealed right after this revision is applied, in the same
transaction (`jikoflow.database.upgrade`), with the key of the process that upgrades.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED = ("auditevent", "containmentaction", "causerevision", "preventionmeasure", "recordversion")


def upgrade() -> None:
    for table in SEALED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("seal", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
            )


def downgrade() -> None:
    for table in SEALED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("seal")

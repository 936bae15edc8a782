"""each audit chain has a sealed head naming its newest event

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 16:30:00

Deleting the newest events of a chain leaves a shorter chain whose hashes and seals all still
match. `audithead` keeps, per chain, the sequence number and hash of its newest event under an
HMAC seal (the audit key, outside the database), moved forward in the transaction that appends;
`audit verify` names the events the head says are missing. The chains already there get their
heads right after this revision is applied, in the same transaction (`jikoflow.database.upgrade`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audithead",
        sa.Column("chain", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seal", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )


def downgrade() -> None:
    op.drop_table("audithead")

"""a prevention measure marked implemented keeps the evidence given for it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 13:20:00

Measures stay tracked after 甲 accepts the record, until implemented; how the implementation
is shown (a document, an inspection) is kept beside the time. Existing measures have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("preventionmeasure") as batch:
        batch.add_column(sa.Column("evidence", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("preventionmeasure") as batch:
        batch.drop_column("evidence")

"""incidents are listed newest first, and found by the incident they were opened from,
through indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 12:00:00

`list` and the portal's incident list read the newest incidents (drills apart) a page at a
time; without an index on (is_drill, declared_at) every page sorted every incident. Every
incident's page looks up the incidents opened from it (linked_incident_id), which read every
incident without one.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_incident_listing", "incident", ["is_drill", "declared_at"])
    op.create_index("ix_incident_linked_incident_id", "incident", ["linked_incident_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_linked_incident_id", table_name="incident")
    op.drop_index("ix_incident_listing", table_name="incident")

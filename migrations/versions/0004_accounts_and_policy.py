"""accounts (credentials, web sessions, API tokens) and the policy file

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:30:00

New tables only: a database with incidents, drills and parties keeps every row; people have no
password until the operator sets one (`jikoflow users set-password`), and the policy is the
built-in one until a policy file is loaded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import jikoflow.models.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policyentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "defaults",
                "contract",
                "organization",
                name="policyscope",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("scope_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("loaded_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "scope_id"),
    )
    op.create_table(
        "apitoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_apitoken_person_id"), ["person_id"], unique=False)

    op.create_table(
        "credential",
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column(
            "password_set_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", jikoflow.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("totp_secret", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "totp_enabled_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "websession",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "second_factor",
                "enrol",
                "signed_in",
                name="sessionstage",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("signed_in_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", jikoflow.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("totp_pending", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("websession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_websession_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("websession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_websession_person_id"))

    op.drop_table("websession")
    op.drop_table("credential")
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apitoken_person_id"))

    op.drop_table("apitoken")
    op.drop_table("policyentry")

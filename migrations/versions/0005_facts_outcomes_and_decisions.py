"""structured facts, outcomes, reclassifications and the client's decisions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00

Every revision of an incident's facts, what each submitted record proposes (事故等 or 該当なし)
with 甲's answer (受理 or 差戻し), reclassifications, 甲's instructions (Art. 22) and
publication decisions (Art. 25). Organisations gain how the record addresses and signs them
and, for a client, its sector under the APPI (public body unless set).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import jikoflow.models.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = ("leak", "destruction", "tampering", "erasure", "violation")


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _incident() -> sa.Column[Any]:
    return sa.Column("incident_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False)


def _person(name: str) -> sa.Column[Any]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)


def _time(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, jikoflow.models.types.UTCDateTime(timezone=True), nullable=nullable)


def _enum(
    name: str, type_name: str, values: Sequence[str], nullable: bool = False
) -> sa.Column[Any]:
    kind = sa.Enum(*values, name=type_name, native_enum=False, length=24)
    return sa.Column(name, kind, nullable=nullable)


def _create(name: str, *columns: sa.Column[Any] | sa.Constraint) -> None:
    op.create_table(
        name,
        *columns,
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_incident_id"), ["incident_id"], unique=False)


def upgrade() -> None:
    _create(
        "factsrevision",
        _id(),
        _incident(),
        sa.Column("revision", sa.Integer(), nullable=False),
        _time("at"),
        _person("by"),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.UniqueConstraint("incident_id", "revision"),
    )
    _create(
        "instruction",
        _id(),
        _incident(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        _time("given_at"),
        _person("given_by"),
        _time("done_at", nullable=True),
        _person("done_by"),
        sa.Column("done_note", sa.Text(), nullable=True),
        _time("reminded_at", nullable=True),
        _time("escalated_at", nullable=True),
        sa.UniqueConstraint("incident_id", "number"),
    )
    _create(
        "publicationdecision",
        _id(),
        _incident(),
        _enum("decision", "publication", ("publish", "withhold")),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _time("decided_at"),
        _person("decided_by"),
    )
    _create(
        "reclassification",
        _id(),
        _incident(),
        _time("at"),
        _person("by"),
        _enum("kind_before", "incidentkind", _KINDS),
        _enum("kind_after", "incidentkind", _KINDS),
        sa.Column("suspected_before", sa.Boolean(), nullable=False),
        sa.Column("suspected_after", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    _create(
        "recordreview",
        _id(),
        _incident(),
        sa.Column("version", sa.Integer(), nullable=False),
        _enum("outcome", "outcome", ("incident", "not_an_incident")),
        sa.Column("reason", sa.Text(), nullable=True),
        _time("submitted_at"),
        _person("submitted_by"),
        _enum("answer", "reviewanswer", ("accepted", "returned"), nullable=True),
        _time("answered_at", nullable=True),
        _person("answered_by"),
        sa.Column("answer_reason", sa.Text(), nullable=True),
        sa.UniqueConstraint("incident_id", "version"),
    )
    with op.batch_alter_table("organization", schema=None) as batch_op:
        text = sqlmodel.sql.sqltypes.AutoString(length=200)
        batch_op.add_column(sa.Column("addressee", text, nullable=True))
        batch_op.add_column(sa.Column("representative", text, nullable=True))
        sector = sa.Enum("public", "private", name="sector", native_enum=False, length=24)
        # Existing clients are public bodies, as the parties file assumes when unset.
        batch_op.add_column(sa.Column("sector", sector, server_default="public", nullable=False))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch rebuild of `organization` would
    # drop a table other rows still refer to, which SQLite refuses with foreign keys on.
    for column in ("sector", "representative", "addressee"):
        op.drop_column("organization", column)
    for name in ("recordreview", "reclassification", "publicationdecision", "instruction"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_incident_id"))
        op.drop_table(name)
    with op.batch_alter_table("factsrevision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_factsrevision_incident_id"))
    op.drop_table("factsrevision")

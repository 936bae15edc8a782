"""the outbox becomes transport-neutral; Slack keeps its ids in its own tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00

An outbox row was a chat message with its channel fixed when it was queued and Slack's `ts`
in its columns, and a drill's messages carried the drill's id in `incident_id`. Now a row is
one message for one transport (`chat` for every existing row) about an incident or a drill,
each a real foreign key (drill rows are told apart by their `DRL-` id); the address is
resolved at delivery; Slack's ids move to `slack_message` and the cards to `slack_thread`.
The facts name their subject (`subject`, `subject_id`) instead of `incident_id`.

Console rows (ids `console.N`) were never in Slack: they keep no Slack message or thread.
The downgrade puts everything back; rows of another transport than chat cannot be kept there.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import jikoflow.models.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 1000
_DRILL_PREFIX = "DRL-"  # a drill's id; an incident's is INC-…
_DRILL = f"{_DRILL_PREFIX}%"
_CONSOLE = "console.%"  # the console's stand-in for a Slack ts
# Columns both shapes of the outbox share, copied as they are.
_KEPT = (
    "id, key, report_id, event, facts, status, attempts, created_at, next_attempt_at, "
    "claimed_at, sent_at, last_error, maybe_posted"
)


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _time() -> jikoflow.models.types.UTCDateTime:
    return jikoflow.models.types.UTCDateTime(timezone=True)


def _outbox_columns() -> list[sa.Column[Any]]:
    """The columns both shapes of `notification` share."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _string(200), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("event", _string(32), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("status", _string(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("next_attempt_at", _time(), nullable=False),
        sa.Column("claimed_at", _time(), nullable=True),
        sa.Column("sent_at", _time(), nullable=True),
        sa.Column("last_error", _string(200), nullable=True),
        sa.Column("maybe_posted", sa.Boolean(), nullable=False),
    ]


def _set_aside(*tables: str) -> None:
    """Copy each table to `_old_<name>` (rows only, no constraints), then drop it."""
    for name in tables:
        op.execute(f"CREATE TABLE _old_{name} AS SELECT * FROM {name}")
    for name in tables:
        op.drop_table(name)


def _restart_ids(*tables: str) -> None:
    """Rows were copied with their ids: PostgreSQL's sequences continue after the highest."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in tables:
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"COALESCE(MAX(id), 0) + 1, false) FROM {name}"
        )


def _rewrite_facts(change: Any) -> None:
    """Apply `change` to the facts of every outbox row, a chunk at a time."""
    bind = op.get_bind()
    table = sa.table("notification", sa.column("id", sa.Integer), sa.column("facts", sa.JSON))
    ids = [row.id for row in bind.execute(sa.select(table.c.id).order_by(table.c.id))]
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(facts=sa.bindparam("new_facts"))
    )
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = bind.execute(sa.select(table.c.id, table.c.facts).where(table.c.id.in_(chunk)))
        values = [{"row_id": r.id, "new_facts": change(dict(r.facts))} for r in rows]
        if values:
            bind.execute(update, values)


def _named_subject(facts: dict[str, Any]) -> dict[str, Any]:
    subject_id = facts.pop("incident_id")
    drill = str(subject_id).startswith(_DRILL_PREFIX)
    return facts | {"subject": "drill" if drill else "incident", "subject_id": subject_id}


def _named_incident(facts: dict[str, Any]) -> dict[str, Any]:
    facts.pop("subject", None)
    return facts | {"incident_id": facts.pop("subject_id")}


def upgrade() -> None:
    _set_aside("chatthread", "notification")
    op.create_table(
        "notification",
        *_outbox_columns(),
        sa.Column(
            "transport",
            sa.Enum("chat", "email", name="transport", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("incident_id", _string(40), nullable=True),
        sa.Column("drill_id", _string(40), nullable=True),
        sa.Column("org_id", _string(64), nullable=True),
        sa.Column("person_id", _string(64), nullable=True),
        sa.CheckConstraint(
            "(incident_id IS NULL) <> (drill_id IS NULL)", name="ck_notification_one_subject"
        ),
        sa.CheckConstraint(
            "org_id IS NOT NULL OR person_id IS NOT NULL", name="ck_notification_addressee"
        ),
        sa.ForeignKeyConstraint(["drill_id"], ["drill.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "transport"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_drill_id"), ["drill_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notification_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notification_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_status"), ["status"], unique=False)
    op.create_table(
        "slack_message",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("channel", _string(64), nullable=False),
        sa.Column("ts", _string(32), nullable=False),
        sa.Column("thread_ts", _string(32), nullable=True),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_table(
        "slack_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", _string(40), nullable=False),
        sa.Column("channel", _string(64), nullable=False),
        sa.Column("ts", _string(32), nullable=False),
        sa.Column("card_row_id", sa.Integer(), nullable=True),
        sa.Column("card_shown_id", sa.Integer(), nullable=True),
        sa.Column("card_digest", _string(64), nullable=True),
        sa.ForeignKeyConstraint(["card_row_id"], ["notification.id"]),
        sa.ForeignKeyConstraint(["card_shown_id"], ["notification.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_id", "channel"),
    )
    with op.batch_alter_table("slack_thread", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_thread_subject_id"), ["subject_id"], unique=False
        )

    # Every row was a chat message, and every row had its subject's id in `incident_id`.
    op.execute(
        f"INSERT INTO notification ({_KEPT}, transport, incident_id, drill_id, org_id, person_id) "
        f"SELECT {_KEPT}, 'chat', "
        f"CASE WHEN incident_id LIKE '{_DRILL}' THEN NULL ELSE incident_id END, "
        f"CASE WHEN incident_id LIKE '{_DRILL}' THEN incident_id ELSE NULL END, "
        "org_id, NULL FROM _old_notification WHERE incident_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO slack_message (notification_id, channel, ts, thread_ts) "
        "SELECT id, channel, ts, thread_ts FROM _old_notification "
        f"WHERE incident_id IS NOT NULL AND channel IS NOT NULL AND ts IS NOT NULL "
        f"AND ts NOT LIKE '{_CONSOLE}'"
    )
    op.execute(
        "INSERT INTO slack_thread "
        "(id, subject_id, channel, ts, card_row_id, card_shown_id, card_digest) "
        "SELECT id, incident_id, channel, ts, card_row_id, card_shown_id, NULL "
        f"FROM _old_chatthread WHERE ts NOT LIKE '{_CONSOLE}'"
    )
    _rewrite_facts(_named_subject)
    _restart_ids("notification", "slack_thread")
    op.drop_table("_old_chatthread")
    op.drop_table("_old_notification")


def downgrade() -> None:
    _set_aside("slack_thread", "slack_message", "notification")
    op.create_table(
        "notification",
        *_outbox_columns(),
        sa.Column("incident_id", _string(40), nullable=True),
        sa.Column("org_id", _string(64), nullable=False),
        sa.Column("channel", _string(64), nullable=True),
        sa.Column("ts", _string(32), nullable=True),
        sa.Column("thread_ts", _string(32), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notification_status"), ["status"], unique=False)
    op.create_table(
        "chatthread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", _string(40), nullable=False),
        sa.Column("channel", _string(64), nullable=False),
        sa.Column("ts", _string(32), nullable=False),
        sa.Column("card_row_id", sa.Integer(), nullable=True),
        sa.Column("card_shown_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["card_row_id"], ["notification.id"]),
        sa.ForeignKeyConstraint(["card_shown_id"], ["notification.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "channel"),
    )
    with op.batch_alter_table("chatthread", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chatthread_incident_id"), ["incident_id"], unique=False
        )

    # The channel was fixed when a row was queued: a row not posted yet takes today's.
    kept = ", ".join(f"n.{name.strip()}" for name in _KEPT.split(","))
    op.execute(
        f"INSERT INTO notification ({_KEPT}, incident_id, org_id, channel, ts, thread_ts) "
        f"SELECT {kept}, COALESCE(n.incident_id, n.drill_id), COALESCE(n.org_id, p.org_id), "
        "COALESCE(m.channel, o.slack_channel), m.ts, m.thread_ts "
        "FROM _old_notification n "
        "LEFT JOIN _old_slack_message m ON m.notification_id = n.id "
        "LEFT JOIN person p ON p.id = n.person_id "
        "LEFT JOIN organization o ON o.id = COALESCE(n.org_id, p.org_id) "
        "WHERE n.transport = 'chat'"
    )
    op.execute(
        "INSERT INTO chatthread (id, incident_id, channel, ts, card_row_id, card_shown_id) "
        "SELECT id, subject_id, channel, ts, card_row_id, card_shown_id FROM _old_slack_thread"
    )
    _rewrite_facts(_named_incident)
    _restart_ids("notification", "chatthread")
    for name in ("slack_thread", "slack_message", "notification"):
        op.drop_table(f"_old_{name}")

"""The Slack transport's own tables: where each message landed, and each card with its thread."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.outbox import tables as _outbox  # noqa: F401  (foreign keys)
from jikoflow.models.types import TableModel


class SlackMessage(TableModel, table=True):
    """The Slack message an outbox row became: its channel, `ts` and the card it replied under."""

    __tablename__ = "slack_message"

    notification_id: int = Field(primary_key=True, foreign_key="notification.id")
    channel: str = Field(max_length=64)
    ts: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)


class SlackThread(TableModel, table=True):
    """The summary card of one subject (incident or drill) in one channel, and its thread.

    The card is meant to show the facts of outbox row `card_row_id` (the newest of its
    thread); `card_shown_id` is the row whose facts Slack shows now and `card_digest` sums up
    what it shows (with the reports' states), so a card behind either is due for `chat.update`.
    """

    __tablename__ = "slack_thread"
    __table_args__ = (sa.UniqueConstraint("subject_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_id: str = Field(index=True, max_length=40)
    channel: str = Field(max_length=64)
    ts: str = Field(max_length=32)
    card_row_id: int | None = Field(default=None, foreign_key="notification.id")
    card_shown_id: int | None = Field(default=None, foreign_key="notification.id")
    card_digest: str | None = Field(default=None, max_length=64)

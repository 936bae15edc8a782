"""The e-mail transport's own tables: the Message-ID each outbox row was sent as, and the first
message of each conversation (subject and recipients), which later messages reply to."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field

from jikoflow.models.outbox import tables as _outbox  # noqa: F401  (foreign keys)
from jikoflow.models.types import TableModel


class MailMessage(TableModel, table=True):
    """The e-mail an outbox row became: its recipients, Message-ID and the message it answered."""

    __tablename__ = "mail_message"

    notification_id: int = Field(primary_key=True, foreign_key="notification.id")
    address: str = Field(sa_type=sa.Text)  # the To: list as it was sent
    message_id: str = Field(max_length=250)
    in_reply_to: str | None = Field(default=None, max_length=250)


class MailThread(TableModel, table=True):
    """The first e-mail about one subject (incident or drill) to one list of recipients: every
    later message to them carries it in `In-Reply-To` and `References`, so mail programs show
    one thread per incident."""

    __tablename__ = "mail_thread"
    __table_args__ = (sa.UniqueConstraint("subject_id", "address_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_id: str = Field(index=True, max_length=40)
    address: str = Field(sa_type=sa.Text)
    # The recipients may be many; the unique key is their digest (SHA-256, hex).
    address_digest: str = Field(max_length=64)
    message_id: str = Field(max_length=250)

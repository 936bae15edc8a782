"""What the e-mail transport remembers: each message's Message-ID, and each conversation's first
message, written in the transaction that marks the outbox rows sent.

E-mail cannot be updated once sent, so there are no cards to bring up to date.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from jikoflow.notifications.base import Card, Pair, Receipt, Sent
from jikoflow.notifications.mail_tables import MailMessage, MailThread


def address_digest(address: str) -> str:
    """The key of a list of recipients in `mail_thread`."""
    return hashlib.sha256(address.encode()).hexdigest()


class MailLedger:
    """The `mail_message` and `mail_thread` tables behind the e-mail channel."""

    def threads(self, session: Session, pairs: Collection[Pair]) -> dict[Pair, str]:
        """The first Message-ID of each (subject, recipients) that has one."""
        subjects = sorted({s for s, _ in pairs})
        if not subjects:
            return {}
        wanted = {(s, address_digest(a)): (s, a) for s, a in pairs}
        found = session.exec(
            select(MailThread.subject_id, MailThread.address_digest, MailThread.message_id).where(
                col(MailThread.subject_id).in_(subjects)
            )
        )
        return {wanted[(s, d)]: m for s, d, m in found if (s, d) in wanted}

    def record(self, session: Session, receipts: Sequence[Receipt]) -> None:
        """Each message's Message-ID; the first of a conversation opens it."""
        if not receipts:
            return
        # Core inserts, one executemany each: no ORM objects to build for a batch of receipts.
        connection = session.connection()
        connection.execute(
            sa.insert(SQLModel.metadata.tables[MailMessage.__tablename__]),
            [
                {
                    "notification_id": r.row_id,
                    "address": r.sent.address,
                    "message_id": r.sent.ref,
                    "in_reply_to": r.thread,
                }
                for r in receipts
            ],
        )
        opening = [r for r in receipts if r.thread is None]
        opened = self.threads(session, {(r.subject_id, r.address) for r in opening})
        threads = []
        for receipt in opening:
            pair = (receipt.subject_id, receipt.address)
            if pair not in opened:
                opened[pair] = receipt.sent.ref
                threads.append(
                    {
                        "subject_id": receipt.subject_id,
                        "address": receipt.address,
                        "address_digest": address_digest(receipt.address),
                        "message_id": receipt.sent.ref,
                    }
                )
        if threads:
            connection.execute(
                sa.insert(SQLModel.metadata.tables[MailThread.__tablename__]), threads
            )

    def cards(
        self, session: Session, *, subjects: Collection[str] | None, touched: Collection[str]
    ) -> list[Card]:
        """None: a sent e-mail is never changed."""
        return []

    def shown(self, session: Session, cards: Sequence[tuple[Card, str]]) -> None:
        """Nothing to remember: there are no cards."""

    def receipts(
        self, session: Session, row_ids: Collection[int]
    ) -> dict[int, tuple[Sent, str | None]]:
        """Where these rows were sent (recipients and Message-ID) and the message they answered."""
        if not row_ids:
            return {}
        found = session.exec(
            select(MailMessage).where(col(MailMessage.notification_id).in_(sorted(row_ids)))
        )
        return {m.notification_id: (Sent(m.address, m.message_id), m.in_reply_to) for m in found}

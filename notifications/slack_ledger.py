"""What the Slack transport remembers: each message's channel and `ts`, each card and its thread.

Written in the transaction that marks the outbox rows sent, so a row is never sent without its
Slack message on record (a crash in between is recovered by the message's key, see `dispatch`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from jikoflow.models.outbox.facts import NoticeFacts
from jikoflow.models.outbox.tables import Notification
from jikoflow.notifications.base import Card, Pair, Receipt, Sent
from jikoflow.notifications.slack_tables import SlackMessage, SlackThread


class SlackLedger:
    """The `slack_message` and `slack_thread` tables behind the Slack channel."""

    def threads(self, session: Session, pairs: Collection[Pair]) -> dict[Pair, str]:
        """The card `ts` of each (subject, channel) that has one."""
        subjects = sorted({s for s, _ in pairs})
        if not subjects:
            return {}
        found = session.exec(
            select(SlackThread.subject_id, SlackThread.channel, SlackThread.ts).where(
                col(SlackThread.subject_id).in_(subjects)
            )
        )
        return {(s, c): ts for s, c, ts in found if (s, c) in pairs}

    def record(self, session: Session, receipts: Sequence[Receipt]) -> None:
        """Each message's channel and `ts`; a card opens its thread, a reply moves it forward."""
        if not receipts:
            return
        session.execute(
            sa.insert(SlackMessage),
            [
                {
                    "notification_id": r.row_id,
                    "channel": r.sent.address,
                    "ts": r.sent.ref,
                    "thread_ts": r.thread,
                }
                for r in receipts
            ],
        )
        subjects = sorted({r.subject_id for r in receipts})
        found = session.exec(select(SlackThread).where(col(SlackThread.subject_id).in_(subjects)))
        threads = {(t.subject_id, t.channel): t for t in found}
        for receipt in receipts:
            pair = (receipt.subject_id, receipt.address)
            thread = threads.get(pair)
            if thread is None and receipt.thread is None:
                threads[pair] = SlackThread(
                    subject_id=receipt.subject_id,
                    channel=receipt.address,
                    ts=receipt.sent.ref,
                    card_row_id=receipt.row_id,
                    card_shown_id=receipt.row_id,
                    card_digest=receipt.shown,
                )
                session.add(threads[pair])
            elif thread is not None and (thread.card_row_id or 0) < receipt.row_id:
                thread.card_row_id = receipt.row_id
                session.add(thread)

    def cards(
        self, session: Session, *, subjects: Collection[str] | None, touched: Collection[str]
    ) -> list[Card]:
        """Cards behind their newest row (of `subjects`, or all), and every card of `touched`."""
        behind = func.coalesce(SlackThread.card_shown_id, 0) < func.coalesce(
            SlackThread.card_row_id, 0
        )
        if touched:
            behind = sa.or_(behind, col(SlackThread.subject_id).in_(sorted(touched)))
        query = (
            sa.select(SlackThread, col(Notification.facts))
            .join(Notification, col(Notification.id) == SlackThread.card_row_id)
            .where(behind)
        )
        if subjects is not None:
            query = query.where(col(SlackThread.subject_id).in_(sorted(subjects)))
        return [
            Card(
                ident=thread.id or 0,
                subject_id=thread.subject_id,
                address=thread.channel,
                ref=thread.ts,
                row_id=thread.card_row_id or 0,
                facts=NoticeFacts.model_validate(facts),
                shown_row=thread.card_shown_id or 0,
                shown=thread.card_digest,
            )
            for thread, facts in session.execute(query.order_by(col(SlackThread.id)))
        ]

    def shown(self, session: Session, cards: Sequence[tuple[Card, str]]) -> None:
        """Move each card's shown row and digest forward (never back)."""
        if not cards:
            return
        ids = sorted({int(card.ident) for card, _ in cards})
        found = session.exec(select(SlackThread).where(col(SlackThread.id).in_(ids)))
        threads = {t.id: t for t in found}
        for card, digest in cards:
            thread = threads.get(int(card.ident))
            if thread is None or (thread.card_shown_id or 0) > card.row_id:
                continue
            thread.card_shown_id = card.row_id
            thread.card_digest = digest
            session.add(thread)

    def receipts(
        self, session: Session, row_ids: Collection[int]
    ) -> dict[int, tuple[Sent, str | None]]:
        """Where these rows were posted (channel and `ts`) and the card they replied under."""
        if not row_ids:
            return {}
        found = session.exec(
            select(SlackMessage).where(col(SlackMessage.notification_id).in_(sorted(row_ids)))
        )
        return {m.notification_id: (Sent(m.channel, m.ts), m.thread_ts) for m in found}

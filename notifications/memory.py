"""A ledger kept in this process's memory: the console's, and a stand-in for tests.

It remembers conversations and cards only while the process lives, as a terminal does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from jikoflow.models.outbox.facts import NoticeFacts
from jikoflow.notifications.base import Card, Pair, Receipt, Sent


@dataclass
class _Thread:
    ref: str
    row_id: int
    facts: NoticeFacts
    shown_row: int
    shown: str | None


class MemoryLedger:
    """Conversations, cards and receipts in dictionaries; the session is never used."""

    def __init__(self) -> None:
        self._threads: dict[Pair, _Thread] = {}
        self._sent: dict[int, tuple[Sent, str | None]] = {}

    def threads(self, session: Session, pairs: Collection[Pair]) -> dict[Pair, str]:
        """The opening message of each conversation among `pairs` that has one."""
        return {p: self._threads[p].ref for p in pairs if p in self._threads}

    def record(self, session: Session, receipts: Sequence[Receipt]) -> None:
        """Remember each message; an opening one starts its conversation."""
        for r in receipts:
            self._sent[r.row_id] = (r.sent, r.thread)
            pair = (r.subject_id, r.address)
            thread = self._threads.get(pair)
            if thread is None and r.thread is None:
                self._threads[pair] = _Thread(r.sent.ref, r.row_id, r.facts, r.row_id, r.shown)
            elif thread is not None and thread.row_id < r.row_id:
                thread.row_id, thread.facts = r.row_id, r.facts

    def cards(
        self, session: Session, *, subjects: Collection[str] | None, touched: Collection[str]
    ) -> list[Card]:
        """Cards behind their newest row (of `subjects`, or all), and every card of `touched`."""
        return [
            Card(" ".join(pair), *pair, t.ref, t.row_id, t.facts, t.shown_row, t.shown)
            for pair, t in self._threads.items()
            if (subjects is None or pair[0] in subjects)
            and (t.shown_row < t.row_id or pair[0] in touched)
        ]

    def shown(self, session: Session, cards: Sequence[tuple[Card, str]]) -> None:
        """Move each card's shown row and digest forward."""
        for card, digest in cards:
            thread = self._threads.get((card.subject_id, card.address))
            if thread is not None and thread.shown_row <= card.row_id:
                thread.shown_row, thread.shown = card.row_id, digest

    def receipts(
        self, session: Session, row_ids: Collection[int]
    ) -> dict[int, tuple[Sent, str | None]]:
        """Where these rows landed, as far as this process knows."""
        return {i: self._sent[i] for i in row_ids if i in self._sent}

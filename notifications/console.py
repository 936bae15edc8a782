"""The console channel: with no Slack token, chat messages are printed to stderr."""

from __future__ import annotations

import itertools
import sys
import threading
from typing import TextIO

from jikoflow.models.outbox.tables import Transport
from jikoflow.notifications.addresses import chat_address
from jikoflow.notifications.base import Addressee, Message, Sent
from jikoflow.notifications.memory import MemoryLedger


class ConsoleChannel:
    """Prints each chat message; printed counts as delivered. Cards are never reprinted."""

    transport = Transport.CHAT
    interval = 0.0

    def __init__(self, stream: TextIO | None = None) -> None:
        self.ledger = MemoryLedger()
        self._stream = stream
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._printed: dict[str, Sent] = {}

    def _out(self) -> TextIO:
        return self._stream or sys.stderr

    def resolve(self, to: Addressee) -> str:
        """The chat address Slack would use; a terminal reaches everyone, by id if need be."""
        return chat_address(to) or f"#{to.org_id or to.person_id}"

    def send(self, address: str, message: Message, *, thread: str | None = None) -> Sent:
        """Print the message's text fallback under its address."""
        where = f"{address} (thread {thread})" if thread else address
        with self._lock:
            sent = Sent(address, f"console.{next(self._counter)}")
            print(f"── chat → {where}\n{message.text}\n", file=self._out(), flush=True)
            if message.key:
                self._printed[message.key] = sent
        return sent

    def find(self, address: str, key: str, *, thread: str | None = None) -> Sent | None:
        """What this process printed under `key`; a terminal keeps no history beyond that."""
        with self._lock:
            return self._printed.get(key)

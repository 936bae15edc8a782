"""The console notifier: with no Slack token, notifications are printed to stderr."""

from __future__ import annotations

import itertools
import sys
import threading
from typing import TextIO

from jikoflow.notifications.base import Message, Posted


class ConsoleNotifier:
    """Prints each message; printed counts as delivered."""

    needs_channel = False
    min_interval = 0.0

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._printed: dict[str, Posted] = {}

    def _out(self) -> TextIO:
        return self._stream or sys.stderr

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None) -> Posted:
        """Print the message's text fallback under its channel."""
        where = f"{channel} (thread {thread_ts})" if thread_ts else channel
        with self._lock:
            posted = Posted(channel, f"console.{next(self._counter)}")
            print(f"── chat → {where}\n{message.text}\n", file=self._out(), flush=True)
            if message.key:
                self._printed[message.key] = posted
        return posted

    def update(self, channel: str, ts: str, message: Message) -> None:
        """Updates are not echoed: the console already shows each event as it happens."""

    def find(self, channel: str, key: str, *, thread_ts: str | None = None) -> Posted | None:
        """What this process printed under `key`; a terminal keeps no history beyond that."""
        with self._lock:
            return self._printed.get(key)

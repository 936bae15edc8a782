"""The console notifier: with no Slack token, notifications are printed to stderr."""

from __future__ import annotations

import itertools
import sys
from typing import TextIO

from notifications.base import Message, Posted


class ConsoleNotifier:
    """Prints each message; printed counts as delivered."""

    needs_channel = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._counter = itertools.count(1)

    def _out(self) -> TextIO:
        return self._stream or sys.stderr

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None) -> Posted:
        """Print the message's text fallback under its channel."""
        ts = f"console.{next(self._counter)}"
        where = f"{channel} (thread {thread_ts})" if thread_ts else channel
        print(f"── chat → {where}\n{message.text}\n", file=self._out(), flush=True)
        return Posted(channel, ts)

    def update(self, channel: str, ts: str, message: Message) -> None:
        """Updates are not echoed: the console already shows each event as it happens."""

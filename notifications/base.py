"""The Notifier interface every chat backend implements, and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Message:
    """A chat message: Block Kit blocks plus the plain-text fallback."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Posted:
    """Where a message landed: its channel and timestamp id."""

    channel: str
    ts: str


class DeliveryError(Exception):
    """A message was not accepted. Permanent errors are never retried."""

    def __init__(
        self, reason: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Notifier(Protocol):
    """Posts and updates chat messages."""

    #: Whether a recipient needs a chat channel to be reached at all.
    needs_channel: bool

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None) -> Posted:
        """Post `message` to `channel` (in a thread when `thread_ts` is given)."""
        ...

    def update(self, channel: str, ts: str, message: Message) -> None:
        """Replace the message at `ts` in `channel`."""
        ...

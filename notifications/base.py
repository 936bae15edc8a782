"""The Notifier interface every chat backend implements, its message parts, and its errors.

A message is a text fallback plus a few backend-neutral parts (header, section, fields,
context); the Slack notifier turns the parts into slack-sdk's typed Block Kit models, which check
Slack's limits. `key` is the outbox idempotency key: the Slack notifier stores it in the
message's metadata so a message can be found again after a crash (`find`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Header:
    """A plain-text title line (no markup, no mentions)."""

    text: str


@dataclass(frozen=True)
class Section:
    """A mrkdwn paragraph, optionally with short two-column fields (label, value)."""

    text: str = ""
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """Small print: how to see more, how to acknowledge."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Divider:
    """A horizontal rule."""


Part = Header | Section | Context | Divider


@dataclass(frozen=True)
class Message:
    """A chat message: the plain-text fallback, the parts of its blocks, its outbox key."""

    text: str
    blocks: tuple[Part, ...] = ()
    key: str | None = None


@dataclass(frozen=True)
class Posted:
    """Where a message landed: its channel and timestamp id."""

    channel: str
    ts: str


class DeliveryError(Exception):
    """A message was not accepted.

    `permanent`: no retry can fix it. `retry_after`: the service asked us to wait (seconds).
    `maybe_delivered`: the service may have accepted it anyway (a timeout, a 5xx, a dropped
    connection), so the next attempt looks for it before posting again.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        maybe_delivered: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered


class Notifier(Protocol):
    """Posts, updates and finds chat messages."""

    #: Whether a recipient needs a chat channel to be reached at all.
    needs_channel: bool
    #: Seconds between two posts to one channel (Slack: about one message per second).
    min_interval: float

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None) -> Posted:
        """Post `message` to `channel` (in a thread when `thread_ts` is given)."""
        ...

    def update(self, channel: str, ts: str, message: Message) -> None:
        """Replace the message at `ts` in `channel`."""
        ...

    def find(self, channel: str, key: str, *, thread_ts: str | None = None) -> Posted | None:
        """The message posted earlier with outbox key `key`, if the service has it."""
        ...

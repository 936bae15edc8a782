"""The interfaces every transport implements, the message parts they carry, and their errors.

A transport is two things. Its `Channel` talks to the service: it sends (required), updates an
earlier message and finds a message by its outbox key (both optional: `Updating`, `Finding`),
keeps a pace per address, and resolves an addressee's contact details to an address. Its
`Ledger` remembers, in the application database, what the transport needs later: where each
message landed and, per subject and address, the conversation later messages reply in (Slack:
a card and its thread; e-mail: the first Message-ID).

A message is a text fallback plus a few transport-neutral parts (header, section, fields,
context, buttons); Slack turns the parts into Block Kit, the console prints the text, e-mail
words its own message from the facts the message was built from. `key` is the outbox
idempotency key: a channel that can find messages stores it with each one (Slack: message
metadata) so a message can be found again after a crash.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlmodel import Session

from jikoflow.models.outbox.facts import NoticeFacts
from jikoflow.models.outbox.tables import Transport


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


@dataclass(frozen=True)
class Button:
    """A button: a link (`url`), or an action the service reports back (`action`, `value`)."""

    label: str
    url: str | None = None
    action: str | None = None
    value: str | None = None
    primary: bool = False


@dataclass(frozen=True)
class Actions:
    """A row of buttons (Slack: an actions block; elsewhere the text carries the link)."""

    buttons: tuple[Button, ...]


Part = Header | Section | Context | Divider | Actions


@dataclass(frozen=True)
class Message:
    """A message: the plain-text fallback, its transport-neutral parts, its outbox key, and the
    facts it was built from, for a transport that words its messages itself (e-mail)."""

    text: str
    blocks: tuple[Part, ...] = ()
    key: str | None = None
    facts: NoticeFacts | None = None


@dataclass(frozen=True)
class Sent:
    """Where a message landed: the address the service names and its id there (Slack: `ts`)."""

    address: str
    ref: str


class DeliveryError(Exception):
    """A message was not accepted.

    `permanent`: no retry can fix it. `retry_after`: the service asked us to wait (seconds).
    `maybe_delivered`: the service may have accepted it anyway (a timeout, a 5xx, a dropped
    connection), so the next attempt looks for it before sending again. `outage`: the service
    itself is unreachable or failing (not this message): nothing else goes until it is back.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        maybe_delivered: bool = False,
        outage: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered
        self.outage = outage


@dataclass(frozen=True)
class Addressee:
    """Whom a message is for, with the contact details the parties hold at delivery time."""

    org_id: str | None = None
    person_id: str | None = None
    slack_channel: str | None = None  # the organisation's channel
    slack_user: str | None = None  # the person's Slack user id
    email: str | None = None  # the person's address
    # The organisation's e-mail addresses: its own role address, then its managers'.
    org_emails: tuple[str, ...] = ()


Pair = tuple[str, str]  # (subject id, address): one conversation


@dataclass(frozen=True)
class Receipt:
    """A message the transport accepted, as its ledger keeps it."""

    row_id: int
    subject_id: str
    address: str  # the address it was resolved to: with the subject, its conversation
    sent: Sent
    thread: str | None  # the conversation it replied in; None when it opened one
    facts: NoticeFacts
    shown: str | None = None  # when it opened one: the digest of the facts it showed


@dataclass(frozen=True)
class Card:
    """An opening message that is updated as its subject moves on (Slack's summary card)."""

    ident: int | str  # the ledger's own handle
    subject_id: str
    address: str
    ref: str
    row_id: int  # the newest row of the conversation: the card should show its facts
    facts: NoticeFacts
    shown_row: int  # the row whose facts it shows now
    shown: str | None  # the digest of what it shows now


class Ledger(Protocol):
    """What a transport remembers about the messages it sent (in the application database)."""

    def threads(self, session: Session, pairs: Collection[Pair]) -> dict[Pair, str]:
        """The open conversations among `pairs`: the ref of each one's opening message."""
        ...

    def record(self, session: Session, receipts: Sequence[Receipt]) -> None:
        """Keep what was sent, in the transaction that marks those outbox rows sent."""
        ...

    def cards(
        self, session: Session, *, subjects: Collection[str] | None, touched: Collection[str]
    ) -> list[Card]:
        """Cards behind their newest row (of `subjects`, or all), and every card of `touched`."""
        ...

    def shown(self, session: Session, cards: Sequence[tuple[Card, str]]) -> None:
        """These cards now show their newest row's facts, as summed up by the digest."""
        ...

    def receipts(
        self, session: Session, row_ids: Collection[int]
    ) -> dict[int, tuple[Sent, str | None]]:
        """Where these outbox rows landed, and the conversation each replied in."""
        ...


class Channel(Protocol):
    """Sends messages through one transport."""

    #: Which outbox rows it delivers.
    transport: Transport
    #: Seconds between two sends to one address (Slack: about one message per second).
    interval: float

    @property
    def ledger(self) -> Ledger:
        """Where it keeps what it sent."""
        ...

    def resolve(self, to: Addressee) -> str | None:
        """The address to send to; None when this transport cannot reach the addressee."""
        ...

    def send(self, address: str, message: Message, *, thread: str | None = None) -> Sent:
        """Send `message` to `address`, as a reply in `thread` when one is given."""
        ...


@runtime_checkable
class Updating(Protocol):
    """A channel that can replace a message it sent earlier (Slack's `chat.update`)."""

    def update(self, address: str, ref: str, message: Message) -> None:
        """Replace the message `ref` at `address`."""
        ...


@runtime_checkable
class Finding(Protocol):
    """A channel that can look a message up by its outbox key, to recover after a crash."""

    def find(self, address: str, key: str, *, thread: str | None = None) -> Sent | None:
        """The message sent earlier with outbox key `key`, if the service has it."""
        ...


@runtime_checkable
class Wording(Protocol):
    """A channel that words its messages itself from their facts (e-mail): the dispatcher hands
    it the facts and the key, and builds no chat text or parts for it."""

    def compose(self, address: str, message: Message, *, thread: str | None = None) -> Any:
        """The message as this transport words it."""
        ...

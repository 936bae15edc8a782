"""The one way messages leave: build the configured transports and run the dispatcher on each.

The flows, the scheduler's jobs and every command deliver through `deliver`. Each row of the
outbox belongs to one transport, so each transport delivers, retries and fails on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlmodel import Session

from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.models.settings import Settings
from jikoflow.notifications.addresses import addressees, chat_address, mail_address
from jikoflow.notifications.base import Addressee, Channel, Ledger
from jikoflow.notifications.console import ConsoleChannel
from jikoflow.notifications.dispatch import deliver_due
from jikoflow.notifications.mail_ledger import MailLedger
from jikoflow.notifications.slack_ledger import SlackLedger
from jikoflow.notifications.stats import DeliveryStats

__all__ = ["DeliveryStats", "channels_for", "deliver", "destinations"]


def channels_for(settings: Settings) -> list[Channel]:
    """The configured transports: chat through Slack with a bot token, else the console; and
    e-mail with `JIKOFLOW_SMTP_URL`."""
    chat: Channel
    if settings.slack_token:
        # slack_sdk is imported only when Slack is configured.
        from jikoflow.notifications.slack import SlackChannel

        chat = SlackChannel(settings.slack_token, settings.slack_api_url)
    else:
        chat = ConsoleChannel()
    if not settings.smtp_url:
        return [chat]
    from jikoflow.notifications.mail import MailChannel

    mail = MailChannel(
        settings.smtp_url, settings.mail_from, lang=settings.lang, portal=settings.base_url
    )
    return [chat, mail]


def deliver(
    settings: Settings,
    *,
    subjects: Iterable[str | None] | None = None,
    now: datetime | None = None,
    inline: bool = False,
    budget: float | None = None,
) -> DeliveryStats:
    """Deliver what is due (of these incidents and drills, or everything), then update cards.

    `inline`: the acting process delivers its own subjects' messages where no queue waits
    ahead, and leaves the rest to the dispatchers; `budget`: seconds the pass may take.
    """
    wanted = None if subjects is None else sorted({s for s in subjects if s})
    total = DeliveryStats()
    if wanted == []:
        return total
    for channel in channels_for(settings):
        try:
            total += deliver_due(
                settings.database_url,
                channel,
                lang=settings.lang,
                subjects=wanted,
                now=now,
                inline=inline,
                budget=budget,
                portal=settings.base_url,
            )
        finally:
            closing = getattr(channel, "close", None)  # e-mail's pooled SMTP connections
            if closing is not None:
                closing()
    return total


Where = tuple[str | None, str | None, str | None]  # address, the service's id, thread


_WHERE: dict[Transport, tuple[Ledger, Callable[[Addressee], str | None]]] = {
    Transport.CHAT: (SlackLedger(), chat_address),
    Transport.EMAIL: (MailLedger(), mail_address),
}


def destinations(session: Session, rows: Sequence[Notification]) -> dict[int, Where]:
    """Per outbox row: where it landed (or, unsent, where it would go now), its id, its thread."""
    people = addressees(session, {(r.org_id, r.person_id) for r in rows})
    result: dict[int, Where] = {}
    for transport, (ledger, address_of) in _WHERE.items():
        mine = [r for r in rows if r.transport is transport and r.id is not None]
        landed = ledger.receipts(session, [r.id for r in mine if r.id is not None])
        for row in mine:
            assert row.id is not None
            if row.id in landed:
                sent, thread = landed[row.id]
                result[row.id] = (sent.address, sent.ref, thread)
            else:
                result[row.id] = (address_of(people[(row.org_id, row.person_id)]), None, None)
    return result

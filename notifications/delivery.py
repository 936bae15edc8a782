"""The one way messages leave: build the configured transports and run the dispatcher on each.

The flows, the scheduler's jobs and every command deliver through `deliver`. Each row of the
outbox belongs to one transport, so each transport delivers, retries and fails on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session

from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.models.settings import Settings
from jikoflow.notifications.addresses import addressees, chat_address
from jikoflow.notifications.base import Channel
from jikoflow.notifications.console import ConsoleChannel
from jikoflow.notifications.dispatch import deliver_due
from jikoflow.notifications.slack_ledger import SlackLedger
from jikoflow.notifications.stats import DeliveryStats

__all__ = ["DeliveryStats", "channels_for", "deliver", "destinations"]


def channels_for(settings: Settings) -> list[Channel]:
    """The configured transports: chat through Slack with a bot token, else the console."""
    if settings.slack_token:
        # slack_sdk is imported only when Slack is configured.
        from jikoflow.notifications.slack import SlackChannel

        return [SlackChannel(settings.slack_token, settings.slack_api_url)]
    return [ConsoleChannel()]


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
        total += deliver_due(
            settings.database_url,
            channel,
            lang=settings.lang,
            subjects=wanted,
            now=now,
            inline=inline,
            budget=budget,
        )
    return total


Where = tuple[str | None, str | None, str | None]  # address, the service's id, thread


def destinations(session: Session, rows: Sequence[Notification]) -> dict[int, Where]:
    """Per outbox row: where it landed (or, unsent, where it would go now), its id, its thread."""
    chat = [r for r in rows if r.transport is Transport.CHAT and r.id is not None]
    landed = SlackLedger().receipts(session, [r.id for r in chat if r.id is not None])
    people = addressees(session, {(r.org_id, r.person_id) for r in chat})
    result: dict[int, Where] = {}
    for row in chat:
        assert row.id is not None
        if row.id in landed:
            sent, thread = landed[row.id]
            result[row.id] = (sent.address, sent.ref, thread)
        else:
            result[row.id] = (chat_address(people[(row.org_id, row.person_id)]), None, None)
    return result

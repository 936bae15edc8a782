"""One pass of everything due, the same for `jikoflow sweep`, `serve` and the sweep flow:
queue the reminders and escalations the clocks call for, then deliver every due message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jikoflow.models.settings import Settings


def queue_due(url: str, *, now: datetime) -> dict[str, int]:
    """Queue every reminder and escalation due at `now`; returns what was queued."""
    from jikoflow.models.db import transaction
    from jikoflow.models.incidents.sweep import sweep_clocks

    with transaction(url) as session:
        clocks = sweep_clocks(session, now)
    return {
        "reminders": clocks.reminders,
        "escalations": clocks.escalations,
        "incidents": clocks.incidents,
    }


def deliver_due_messages(settings: Settings, *, url: str | None = None) -> dict[str, int]:
    """Deliver every due message through the configured channels; returns what happened."""
    from jikoflow.notifications.dispatch import deliver_due
    from jikoflow.notifications.factory import notifier_for

    stats = deliver_due(url or settings.database_url, notifier_for(settings), lang=settings.lang)
    return {
        "sent": stats.sent,
        "retrying": stats.retrying,
        "failed": stats.failed,
        "unreachable": stats.unreachable,
    }


def sweep(settings: Settings, *, now: datetime, url: str | None = None) -> dict[str, Any]:
    """Queue what the clocks call for at `now`, then deliver every due message."""
    target = url or settings.database_url
    queued = queue_due(target, now=now)
    return {"now": now.isoformat(), **queued, **deliver_due_messages(settings, url=target)}

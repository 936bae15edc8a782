"""One delivery path and one sweep path, the same for the CLI, `serve` and the flows: queue the
reminders and escalations the clocks call for, and deliver every due message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jikoflow.models.enums import StepName
from jikoflow.models.settings import Settings


def queue_due(
    url: str,
    *,
    now: datetime,
    incident_id: str | None = None,
    step: StepName | None = None,
) -> dict[str, int]:
    """Queue every reminder and escalation due at `now` (of one incident or step, or all)."""
    from jikoflow.models.db import transaction
    from jikoflow.models.incidents.sweep import sweep_clocks

    with transaction(url) as session:
        clocks = sweep_clocks(session, now, incident_id=incident_id, step=step)
    return {
        "reminders": clocks.reminders,
        "escalations": clocks.escalations,
        "incidents": clocks.incidents,
    }


def deliver(
    settings: Settings,
    *,
    subjects: Sequence[str | None] = (None,),
    url: str | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Deliver the due messages of these incidents or drills (None: all) through the
    configured channels; what fails now is retried on a later pass."""
    from jikoflow.notifications.dispatch import deliver_due
    from jikoflow.notifications.factory import notifier_for

    notifier = notifier_for(settings)
    totals = {"sent": 0, "retrying": 0, "failed": 0, "unreachable": 0}
    for subject in dict.fromkeys(subjects):
        stats = deliver_due(
            url or settings.database_url,
            notifier,
            lang=settings.lang,
            incident_id=subject,
            now=now,
        )
        for name in totals:
            totals[name] += getattr(stats, name)
    return totals


def pending(url: str, subject: str | None = None) -> int:
    """Messages (of one incident or drill, or all) still waiting for delivery."""
    from jikoflow.models.db import reading
    from jikoflow.models.outbox.service import pending_messages

    with reading(url) as session:
        return pending_messages(session, subject)


def sweep(settings: Settings, *, now: datetime, url: str | None = None) -> dict[str, Any]:
    """Queue what the clocks call for at `now`, then deliver every due message."""
    target = url or settings.database_url
    queued = queue_due(target, now=now)
    return {"now": now.isoformat(), **queued, **deliver(settings, url=target, now=now)}

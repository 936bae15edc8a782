"""One sweep path, the same for `jikoflow sweep`, `serve` and the sweep flow: queue the
reminders and escalations the clocks call for, then deliver every due message through the one
delivery path (`jikoflow.notifications.delivery.deliver`)."""

from __future__ import annotations

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


def sweep(settings: Settings, *, now: datetime) -> dict[str, Any]:
    """Queue what the clocks call for at `now`, then deliver every due message."""
    from jikoflow.notifications.delivery import deliver

    queued = queue_due(settings.database_url, now=now)
    stats = deliver(settings, now=now)
    delivered = {
        "sent": stats.sent,
        "retrying": stats.retrying,
        "failed": stats.failed,
        "unreachable": stats.unreachable,
    }
    return {"now": now.isoformat(), **queued, **delivered}

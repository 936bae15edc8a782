"""One sweep path, the same for `jikoflow sweep`, `serve` and the sweep flow: queue the
reminders and escalations the clocks call for, then deliver every due message through the one
delivery path (`jikoflow.notifications.delivery.deliver`).

A time ahead of the real clock is a preview: it shows exactly what a sweep at that time would
send — the messages waiting by then and those the clocks would queue — and sends and writes
nothing (only tests travel in time, by moving the clock itself).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from jikoflow.models.enums import StepName
from jikoflow.models.settings import Settings

# A time this little ahead is a skewed clock elsewhere, not the future.
CLOCK_SKEW = timedelta(minutes=2)


def queue_due(
    url: str,
    *,
    now: datetime,
    incident_id: str | None = None,
    step: StepName | None = None,
) -> dict[str, Any]:
    """Queue every reminder and escalation due at `now` (of one incident or step, or all)."""
    from jikoflow.models.db import transaction
    from jikoflow.models.facts.sweep import sweep_decisions
    from jikoflow.models.incidents.sweep import sweep_clocks
    from jikoflow.models.response.sweep import sweep_measures

    with transaction(url) as session:
        clocks = sweep_clocks(session, now, incident_id=incident_id, step=step)
        decided = sweep_decisions(session, now, incident_id=incident_id) if step is None else None
        measures = sweep_measures(session, now, incident_id=incident_id) if step is None else None
    counts: dict[str, Any] = {
        "reminders": clocks.reminders,
        "escalations": clocks.escalations,
        "incidents": clocks.incidents,
        "decisions": decided.total if decided else 0,  # instructions and 甲's APPI reports
        "measures": measures.total if measures else 0,  # prevention measures
    }
    # One incident that cannot be planned is named and skipped; the others went ahead.
    return counts | ({"failed_incidents": clocks.failed} if clocks.failed else {})


def ahead(now: datetime) -> bool:
    """Whether `now` is ahead of the real clock (a sweep then only previews)."""
    from jikoflow.models.types import utcnow

    return now > utcnow() + CLOCK_SKEW


def sweep(settings: Settings, *, now: datetime) -> dict[str, Any]:
    """Queue what the clocks call for at `now`, then deliver every due message; a `now` ahead
    of the real clock only previews."""
    if ahead(now):
        return preview(settings, now=now)
    from jikoflow.notifications.delivery import deliver

    queued = queue_due(settings.database_url, now=now)
    stats = deliver(settings, now=now)
    delivered = {
        "sent": stats.sent,
        "retrying": stats.retrying,
        "failed": stats.failed,
        "unreachable": stats.unreachable,
    }
    return {"now": now.isoformat(), "preview": False, **queued, **delivered}


def preview(settings: Settings, *, now: datetime) -> dict[str, Any]:
    """What a sweep at `now` would send, oldest first; nothing is sent or written."""
    from jikoflow.models.db import reading
    from jikoflow.models.incidents.sweep import preview_clocks

    with reading(settings.database_url) as session:
        clocks, messages = preview_clocks(session, now)
    return {
        "now": now.isoformat(),
        "preview": True,
        "reminders": clocks.reminders,
        "escalations": clocks.escalations,
        "incidents": clocks.incidents,
        "would_send": [asdict(m) for m in messages],
    }

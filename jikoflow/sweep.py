"""One sweep path, the same for `jikoflow sweep`, `serve` and the sweep flow: deliver what
waits, queue the reminders and escalations the clocks call for, then deliver those, through the
one delivery path (`jikoflow.notifications.delivery.deliver`).

A time ahead of the real clock is a preview: it shows exactly what a sweep at that time would
send — the messages waiting by then and those the clocks would queue — and sends and writes
nothing (only tests travel in time, by moving the clock itself).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from jikoflow.models.enums import StepName
from jikoflow.models.settings import Settings

if TYPE_CHECKING:
    from sqlmodel import Session

    from jikoflow.models.outbox.tables import Notification

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

    with transaction(url) as session:
        return _queue(session, now=now, incident_id=incident_id, step=step)


def _queue(
    session: Session, *, now: datetime, incident_id: str | None, step: StepName | None
) -> dict[str, Any]:
    from jikoflow.models.facts.sweep import sweep_decisions
    from jikoflow.models.incidents.sweep import sweep_clocks
    from jikoflow.models.response.sweep import sweep_measures

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
    """Deliver what waits, queue what the clocks call for at `now`, then deliver that too; a
    `now` ahead of the real clock only previews."""
    if ahead(now):
        return preview(settings.database_url, now=now)
    from jikoflow.models.types import utcnow
    from jikoflow.notifications.advice import error_counts
    from jikoflow.notifications.delivery import deliver

    # What already waits goes out first (a declaration's reports, say): the clocks then see the
    # steps those messages completed, and remind of or escalate nothing that is done.
    stats = deliver(settings, now=max(now, utcnow()))
    queued = queue_due(settings.database_url, now=now)
    # What this pass queued is due from the moment it was written, which is after `now`: the
    # pass delivers it too, rather than leaving it to the next one.
    if not stats.outage:
        stats += deliver(settings, now=max(now, utcnow()))
    delivered = {
        "sent": stats.sent,
        "retrying": stats.retrying,
        "failed": stats.failed,
        "unreachable": stats.unreachable,
        "errors": error_counts(stats.errors),
    }
    return {"now": now.isoformat(), "preview": False, **queued, **delivered}


def preview(url: str, *, now: datetime) -> dict[str, Any]:
    """What a sweep at `now` would send, oldest first: the sweep itself runs, in a transaction
    that is rolled back, so nothing is sent or written."""
    from jikoflow.models.db import trial
    from jikoflow.models.outbox.service import due_rows

    with trial(url) as session:
        waiting = {row.id: row for row in due_rows(session, now)}
        queued = _queue(session, now=now, incident_id=None, step=None)
        new = [row for row in due_rows(session, now) if row.id not in waiting]
        would = [_would_send(row, queued=True) for row in waiting.values()]
        would += [_would_send(row, queued=False) for row in new]
    return {"now": now.isoformat(), "preview": True, **queued, "would_send": would}


def _would_send(row: Notification, *, queued: bool) -> dict[str, Any]:
    """One message a sweep would send: waiting in the outbox already, or queued by the clocks."""
    return {
        "incident": row.subject_id,
        "event": row.event,
        "step": row.facts.get("step"),
        "to": row.org_id or row.person_id,
        "transport": str(row.transport),
        "key": row.key,
        "queued": queued,
    }

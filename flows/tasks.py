"""Tasks shared by the flows; each wraps the one delivery or sweep path and reloads state."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from jikoflow.models.enums import StepName
from jikoflow.models.settings import load_settings
from jikoflow.models.types import utcnow
from jikoflow.sweep import deliver, pending, queue_due


class StillPending(RuntimeError):
    """Some messages could not be delivered yet; the task is retried."""


@task(retries=3, retry_delay_seconds=[2, 5, 15], timeout_seconds=300)
def deliver_notifications(subject: str | None = None) -> int:
    """Deliver every due message of the incident or drill (or all); retried while any waits."""
    settings = load_settings()
    sent = deliver(settings, subjects=[subject])["sent"]
    left = pending(settings.database_url, subject)
    if left:
        raise StillPending(f"{left} message(s) wait for another attempt")
    return sent


@task(retries=2, retry_delay_seconds=1, timeout_seconds=120)
def keep_clock(
    incident_id: str | None, step: StepName | None = None, now: datetime | None = None
) -> int:
    """Queue the reminder or escalation a step's clock calls for now; returns how many."""
    queued = queue_due(
        load_settings().database_url, now=now or utcnow(), incident_id=incident_id, step=step
    )
    return queued["reminders"] + queued["escalations"]

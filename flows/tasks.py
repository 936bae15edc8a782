"""Tasks shared by the flows; each wraps the one delivery or sweep path and reloads state."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from jikoflow.models.enums import StepName
from jikoflow.models.outbox.service import waiting
from jikoflow.models.settings import load_settings
from jikoflow.models.types import utcnow
from jikoflow.notifications.delivery import channels_for, deliver
from jikoflow.sweep import queue_due


class StillPending(RuntimeError):
    """Some messages could not be delivered yet; the task is retried."""


@task(retries=3, retry_delay_seconds=[2, 5, 15], timeout_seconds=300)
def deliver_notifications(subject_id: str | None = None) -> int:
    """Deliver every due message of the incident or drill (or all); retried while any waits."""
    settings = load_settings()
    subjects = None if subject_id is None else [subject_id]
    stats = deliver(settings, subjects=subjects)
    # Only what a configured transport can deliver is worth a retry of the task.
    transports = {channel.transport for channel in channels_for(settings)}
    left = waiting(settings.database_url, subjects, transports=transports)
    if left:
        raise StillPending(f"{left} message(s) wait for another attempt")
    return stats.sent


@task(retries=2, retry_delay_seconds=1, timeout_seconds=120)
def keep_clock(
    incident_id: str | None, step: StepName | None = None, now: datetime | None = None
) -> int:
    """Queue the reminder or escalation a step's clock calls for now; returns how many."""
    queued = queue_due(
        load_settings().database_url, now=now or utcnow(), incident_id=incident_id, step=step
    )
    return queued["reminders"] + queued["escalations"]

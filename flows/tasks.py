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

# Seconds one delivery pass may take inside a flow; what is left is the dispatchers' (`serve`).
PASS_BUDGET = 60.0


class StillPending(RuntimeError):
    """Some messages could not be delivered yet; the task is retried."""


@task(retries=3, retry_delay_seconds=[2, 5, 15], timeout_seconds=300)
def deliver_notifications(subject_id: str | None = None, *, retry_pending: bool = True) -> int:
    """Deliver every due message of the incident or drill (or all); retried while any waits
    for a short backoff (unless `retry_pending` is False)."""
    settings = load_settings()
    subjects = None if subject_id is None else [subject_id]
    stats = deliver(settings, subjects=subjects, budget=PASS_BUDGET)
    if not retry_pending:
        return stats.sent
    # Only what a configured transport can deliver is worth a retry of the task, and not what
    # waits for a service to come back: the dispatchers and `sweep` try that when it is.
    transports = {channel.transport for channel in channels_for(settings)}
    left = waiting(settings.database_url, subjects, transports=transports, held=False)
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
    return int(queued["reminders"]) + int(queued["escalations"])

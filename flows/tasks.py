"""Tasks shared by the flows; each wraps a plain function and reloads state from the database."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from sqlmodel import col, func, select

from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import StepName
from jikoflow.models.incidents.sweep import sweep_clocks
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.settings import load_settings
from jikoflow.models.types import utcnow
from jikoflow.notifications.dispatch import deliver_due
from jikoflow.notifications.factory import notifier_for


class StillPending(RuntimeError):
    """Some messages could not be delivered yet; the task is retried."""


def pending_count(url: str, incident_id: str | None) -> int:
    """Outbox rows of the incident (or all) that still wait for delivery."""
    with reading(url) as session:
        query = (
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        )
        if incident_id is not None:
            query = query.where(Notification.incident_id == incident_id)
        return int(session.exec(query).one())


@task(retries=3, retry_delay_seconds=[2, 5, 15], timeout_seconds=300)
def deliver_notifications(incident_id: str | None = None) -> int:
    """Deliver every due message of the incident; retried while any is still pending."""
    settings = load_settings()
    stats = deliver_due(
        settings.database_url,
        notifier_for(settings),
        lang=settings.lang,
        incident_id=incident_id,
    )
    left = pending_count(settings.database_url, incident_id)
    if left:
        raise StillPending(f"{left} message(s) wait for another attempt")
    return stats.sent


@task(retries=2, retry_delay_seconds=1, timeout_seconds=120)
def keep_clock(
    incident_id: str | None, step: StepName | None = None, now: datetime | None = None
) -> int:
    """Queue the reminder or escalation a step's clock calls for now; returns how many."""
    settings = load_settings()
    with transaction(settings.database_url) as session:
        result = sweep_clocks(session, now or utcnow(), incident_id=incident_id, step=step)
    return result.reminders + result.escalations

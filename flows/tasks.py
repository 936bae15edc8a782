"""Tasks shared by the flows; each wraps a plain function and reloads state from the database."""

from __future__ import annotations

from prefect import task
from sqlmodel import col, func, select

from models.db import reading
from models.notices import OutboxStatus
from models.settings import load_settings
from models.tables import Notification
from notifications.dispatch import deliver_due
from notifications.factory import notifier_for


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
        settings.database_url, notifier_for(settings), lang=settings.lang, incident_id=incident_id
    )
    left = pending_count(settings.database_url, incident_id)
    if left:
        raise StillPending(f"{left} message(s) wait for another attempt")
    return stats.sent

"""Delivering the outbox: each row is claimed, sent, and its result written back.

A row is claimed (status `sending`) in its own transaction before the chat call, so a crash
leaves evidence. A stale claim is retried after `STALE_CLAIM`; the window in which a message
Slack accepted could be posted again is the time between Slack's reply and our commit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from models.audit import record_event
from models.db import transaction
from models.enums import Lang, ReportStatus, StepName, StepStatus
from models.notices import NoticeFacts, OutboxStatus
from models.tables import ChatThread, Notification, Report, Step
from models.types import utcnow
from notifications.base import DeliveryError, Notifier, Posted
from notifications.messages import build_message

STALE_CLAIM = timedelta(minutes=5)
MAX_BACKOFF = timedelta(minutes=30)


@dataclass
class DeliveryStats:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unreachable: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        """Messages that still need another attempt."""
        return self.retrying


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential backoff with full jitter; Slack's Retry-After wins when it is longer."""
    base = min(MAX_BACKOFF.total_seconds(), 2.0 ** min(attempts, 20))
    delay = random.uniform(base / 2, base)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)


def due_ids(session: Session, now: datetime, incident_id: str | None = None) -> list[int]:
    """Outbox rows ready for an attempt, oldest first."""
    query = select(Notification.id).where(
        or_(
            (col(Notification.status) == OutboxStatus.PENDING)
            & (col(Notification.next_attempt_at) <= now),
            (col(Notification.status) == OutboxStatus.SENDING)
            & (col(Notification.claimed_at) <= now - STALE_CLAIM),
        )
    )
    if incident_id is not None:
        query = query.where(Notification.incident_id == incident_id)
    return [i for i in session.exec(query.order_by(col(Notification.id))) if i is not None]


def deliver_due(
    url: str,
    notifier: Notifier,
    *,
    lang: Lang = Lang.JA,
    incident_id: str | None = None,
    now: datetime | None = None,
) -> DeliveryStats:
    """One pass: attempt every due outbox row (of one incident, or all)."""
    moment = now or utcnow()
    stats = DeliveryStats()
    with transaction(url) as session:
        ids = due_ids(session, moment, incident_id)
    for row_id in ids:
        deliver_one(url, notifier, row_id, stats, lang=lang, now=moment)
    return stats


def _claim(url: str, row_id: int, now: datetime) -> Notification | None:
    with transaction(url) as session:
        row = session.get(Notification, row_id, with_for_update=True)
        if row is None or row.status not in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            return None
        row.status = OutboxStatus.SENDING
        row.claimed_at = now
        row.attempts += 1
        session.add(row)
        thread = None
        if row.incident_id and row.channel:
            thread = session.exec(
                select(ChatThread.ts).where(
                    ChatThread.incident_id == row.incident_id, ChatThread.channel == row.channel
                )
            ).first()
        row.thread_ts = thread
        return row


def deliver_one(
    url: str, notifier: Notifier, row_id: int, stats: DeliveryStats, *, lang: Lang, now: datetime
) -> None:
    """Claim, send and settle one outbox row."""
    row = _claim(url, row_id, now)
    if row is None:
        return
    if row.channel is None and notifier.needs_channel:
        _settle(url, row, OutboxStatus.UNREACHABLE, now, error="no chat channel")
        stats.unreachable += 1
        return
    message = build_message(NoticeFacts.model_validate(row.facts), lang)
    try:
        posted = notifier.post(row.channel or f"#{row.org_id}", message, thread_ts=row.thread_ts)
    except DeliveryError as exc:
        if exc.permanent:
            _settle(url, row, OutboxStatus.FAILED, now, error=exc.reason)
            stats.failed += 1
        else:
            _retry_later(url, row, now, exc)
            stats.retrying += 1
        stats.errors.append(exc.reason)
        return
    _settle(url, row, OutboxStatus.SENT, now, posted=posted)
    stats.sent += 1


def _retry_later(url: str, row: Notification, now: datetime, exc: DeliveryError) -> None:
    with transaction(url) as session:
        current = session.get(Notification, row.id)
        assert current is not None
        current.status = OutboxStatus.PENDING
        current.claimed_at = None
        current.last_error = exc.reason[:200]
        current.next_attempt_at = now + backoff(current.attempts, exc.retry_after)
        session.add(current)


def _settle(
    url: str,
    row: Notification,
    status: OutboxStatus,
    now: datetime,
    *,
    posted: Posted | None = None,
    error: str | None = None,
) -> None:
    with transaction(url) as session:
        current = session.get(Notification, row.id)
        assert current is not None
        current.status = status
        current.last_error = error[:200] if error else None
        if posted is not None:
            current.ts = posted.ts
            current.sent_at = now
            if current.incident_id and row.thread_ts is None and current.channel:
                session.add(
                    ChatThread(
                        incident_id=current.incident_id, channel=current.channel, ts=posted.ts
                    )
                )
        session.add(current)
        if current.report_id is not None:
            _settle_report(session, current, status, now)


def _settle_report(
    session: Session, row: Notification, status: OutboxStatus, now: datetime
) -> None:
    report = session.get(Report, row.report_id)
    if report is None or report.status is ReportStatus.ACKNOWLEDGED:
        return
    report.sent_at = report.sent_at or now
    if status is OutboxStatus.SENT:
        report.status = ReportStatus.DELIVERED
        report.delivered_at = now
        report.last_error = None
    elif status is OutboxStatus.FAILED:
        report.status = ReportStatus.FAILED
        report.last_error = row.last_error
    else:
        report.last_error = row.last_error
    session.add(report)
    record_event(
        session,
        report.incident_id,
        f"report_{status}",
        at=now,
        detail={"to": report.recipient_id, "error": row.last_error},
    )
    step = session.exec(
        select(Step).where(Step.incident_id == report.incident_id, Step.name == StepName.REPORT)
    ).one()
    if status is OutboxStatus.SENT and step.status is StepStatus.PENDING:
        step.status = StepStatus.IN_PROGRESS
        session.add(step)

"""The outbox as an operator sees it: what waits, what failed, and queuing it again.

These are operator acts (DESIGN.md §8): whoever runs the CLI on the server. A listing shows
where each message went, or, not sent yet, where it would go now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from jikoflow.models.access import Principal, require_operator
from jikoflow.models.errors import NotFound
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.outbox.service import outbox_rows, retry_rows
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.schemas import ReadModel
from jikoflow.models.types import utcnow
from jikoflow.notifications.delivery import destinations


class MessageView(ReadModel):
    """One outbox message for one transport, with where it went (or goes)."""

    id: int
    key: str
    transport: str
    incident: str
    org: str | None
    channel: str | None
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    ts: str | None
    thread_ts: str | None
    created_at: datetime
    sent_at: datetime | None


def _views(session: Session, rows: Sequence[Notification]) -> list[MessageView]:
    where = destinations(session, rows)
    views = []
    for row in rows:
        assert row.id is not None
        channel, ts, thread_ts = where.get(row.id, (None, None, None))
        views.append(
            MessageView(
                id=row.id,
                key=row.key,
                transport=str(row.transport),
                incident=row.subject_id,
                org=row.org_id,
                channel=channel,
                event=row.event,
                status=str(row.status),
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at if row.status == OutboxStatus.PENDING else None,
                last_error=row.last_error,
                ts=ts,
                thread_ts=thread_ts,
                created_at=row.created_at,
                sent_at=row.sent_at,
            )
        )
    return views


def list_messages(
    session: Session,
    *,
    actor: Principal,
    failed_only: bool = False,
    subject_id: str | None = None,
) -> list[MessageView]:
    """Outbox messages, newest first (only failed and unreachable ones with `failed_only`)."""
    require_operator(actor)
    if subject_id is not None:
        _known_subject(session, subject_id)
    return _views(session, outbox_rows(session, failed_only=failed_only, subject_id=subject_id))


def _known_subject(session: Session, subject_id: str) -> None:
    """An incident or a drill; an unknown id is a mistake, not an empty outbox."""
    from jikoflow.drills.tables import Drill
    from jikoflow.models.incidents.tables import Incident

    if session.get(Incident, subject_id) is None and session.get(Drill, subject_id) is None:
        raise NotFound("incident", f"unknown incident or drill {subject_id!r}")


def retry_messages(
    session: Session,
    *,
    actor: Principal,
    ids: Sequence[int] | None,
    now: datetime | None = None,
) -> list[int]:
    """Queue failed or unreachable messages again (all of them when `ids` is None)."""
    require_operator(actor)
    return retry_rows(session, ids=ids, now=now or utcnow(), by=actor.actor)


def messages_by_id(session: Session, *, actor: Principal, ids: Sequence[int]) -> list[MessageView]:
    """These outbox messages, in the order given."""
    require_operator(actor)
    rows = [row for i in ids if (row := session.get(Notification, i)) is not None]
    return _views(session, rows)

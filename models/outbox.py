"""The outbox as the dispatcher and operators see it: claim what is due, settle what happened.

A claim is one conditional `UPDATE … RETURNING`, the first statement of its transaction: on
SQLite it takes the write lock before it reads, on PostgreSQL the row lock re-checks the
condition, so two dispatchers (a flow, `sweep`, `serve`) never hold the same row. A claim
that is never settled (the process died) is taken again after `STALE_CLAIM`, marked
`maybe_posted`, and the next attempt first looks for the message by its key.

Per incident and channel the first message is the summary card; the others are claimed with it
(or wait for it when it is not due), go into its thread and move the card's facts forward.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, and_, col, func, or_, select, update

from models.audit import record_event
from models.db import reading, transaction
from models.enums import ReportStatus, StepName, StepStatus
from models.errors import BadInput
from models.notices import NoticeFacts, OutboxStatus
from models.tables import ChatThread, Notification, Organization, Report, Step

STALE_CLAIM = timedelta(minutes=5)
# Rows of one channel per claim: at Slack's ~1 message/s, well inside STALE_CLAIM.
PER_CHANNEL = 30
CLAIM_LIMIT = 1000
SCAN_LIMIT = 5000
_OPEN = (OutboxStatus.PENDING, OutboxStatus.SENDING)
_STUCK = (OutboxStatus.FAILED, OutboxStatus.UNREACHABLE)

Pair = tuple[str | None, str | None]


@dataclass(frozen=True)
class Claim:
    """One outbox row held by this dispatcher for one attempt."""

    id: int
    key: str
    incident_id: str | None
    org_id: str
    channel: str | None
    facts: NoticeFacts
    maybe_posted: bool
    thread_ts: str | None  # the card to reply under, when it was in the channel at the claim
    attempts: int = 1

    @property
    def threaded(self) -> bool:
        """Whether this row belongs to an incident's thread in a channel."""
        return self.incident_id is not None and self.channel is not None


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to, to be written back."""

    claim: Claim
    status: OutboxStatus
    ts: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    maybe_posted: bool = False
    released: bool = False  # not attempted after all (its channel was paused)
    thread_ts: str | None = None  # the card it was posted under; None when it is the card
    recovered: bool = False  # found already posted (after a crash), not posted again


@dataclass(frozen=True)
class CardDue:
    """A summary card behind its newest facts."""

    thread_id: int
    channel: str
    ts: str
    row_id: int
    facts: NoticeFacts


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return or_(
        and_(
            col(Notification.status) == OutboxStatus.PENDING,
            col(Notification.next_attempt_at) <= now,
        ),
        and_(
            col(Notification.status) == OutboxStatus.SENDING,
            col(Notification.claimed_at) <= now - STALE_CLAIM,
        ),
    )


def claim_due(
    url: str,
    now: datetime,
    *,
    incident_id: str | None = None,
    limit: int = CLAIM_LIMIT,
    per_channel: int = PER_CHANNEL,
) -> list[Claim]:
    """Claim the rows due at `now`, oldest first, each card before its thread."""
    with reading(url) as session:
        ids = _choose(session, now, incident_id, limit, per_channel)
    if not ids:
        return []
    with transaction(url) as session:
        claimed = session.exec(
            update(Notification)
            .where(col(Notification.id).in_(ids), _due(now))  # type: ignore[arg-type]
            .values(
                status=OutboxStatus.SENDING,
                claimed_at=now,
                attempts=col(Notification.attempts) + 1,
                # SET reads the old row: a stale `sending` claim may have reached the service.
                maybe_posted=or_(
                    col(Notification.status) == OutboxStatus.SENDING, col(Notification.maybe_posted)
                ),
            )
            .returning(Notification)
            .execution_options(synchronize_session=False)
        ).all()
        rows = sorted((row for (row,) in claimed), key=lambda r: r.id or 0)
        threads = _threads(session, {(r.incident_id, r.channel) for r in rows})
    return [_claim_of(row, threads) for row in rows]


def _claim_of(row: Notification, threads: dict[Pair, str]) -> Claim:
    assert row.id is not None
    return Claim(
        id=row.id,
        key=row.key,
        incident_id=row.incident_id,
        org_id=row.org_id,
        channel=row.channel,
        facts=NoticeFacts.model_validate(row.facts),
        maybe_posted=bool(row.maybe_posted),
        thread_ts=threads.get((row.incident_id, row.channel)),
        attempts=row.attempts,
    )


def _threads(session: Session, pairs: Iterable[Pair]) -> dict[Pair, str]:
    incidents = sorted({i for i, c in pairs if i is not None and c is not None})
    if not incidents:
        return {}
    found = session.exec(
        select(ChatThread.incident_id, ChatThread.channel, ChatThread.ts).where(
            col(ChatThread.incident_id).in_(incidents)
        )
    )
    return {(i, c): ts for i, c, ts in found}


def _choose(
    session: Session, now: datetime, incident_id: str | None, limit: int, per_channel: int
) -> list[int]:
    due = _due(now)
    query = select(
        Notification.id,
        Notification.incident_id,
        Notification.channel,
        sa.case((due, True), else_=False),  # type: ignore[arg-type]
    ).where(col(Notification.status).in_(_OPEN))
    if incident_id is not None:
        query = query.where(Notification.incident_id == incident_id)
    rows = session.exec(query.order_by(col(Notification.id)).limit(SCAN_LIMIT)).all()
    threaded = _threads(session, {(r[1], r[2]) for r in rows})
    first: dict[Pair, int | None] = {}
    for row in rows:
        first.setdefault((row[1], row[2]), row[0])
    chosen: list[int] = []
    per: Counter[str | None] = Counter()
    opening: set[Pair] = set()
    for row_id, incident, channel, is_due in rows:
        if not is_due or row_id is None:
            continue
        pair = (incident, channel)
        if incident and channel and pair not in threaded:
            if first[pair] == row_id:
                opening.add(pair)
            elif pair not in opening:
                continue  # the card goes first; the rest of its thread waits for it
        if channel is not None and per[channel] >= per_channel:
            continue
        per[channel] += 1
        chosen.append(row_id)
        if len(chosen) >= limit:
            break
    return chosen


def settle(url: str, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Write back a batch of attempts in one short transaction."""
    if not outcomes:
        return
    with transaction(url) as session:
        ids = [o.claim.id for o in outcomes]
        rows = {
            r.id: r for r in session.exec(select(Notification).where(col(Notification.id).in_(ids)))
        }
        threads = _thread_rows(session, {o.claim.incident_id for o in outcomes})
        settled: list[tuple[Notification, OutboxStatus]] = []
        with session.no_autoflush:
            for outcome in outcomes:
                row = rows.get(outcome.claim.id)
                # Not `sending` any more: settled meanwhile by a dispatcher that took over.
                if row is not None and row.status == OutboxStatus.SENDING:
                    _settle_one(session, row, outcome, threads, now)
                    settled.append((row, outcome.status))
        session.flush()
        for row, status in settled:
            if row.report_id is not None and status is not OutboxStatus.SENDING:
                _settle_report(session, row, status, now)


def _thread_rows(session: Session, incidents: set[str | None]) -> dict[Pair, ChatThread]:
    wanted = sorted(i for i in incidents if i is not None)
    if not wanted:
        return {}
    found = session.exec(select(ChatThread).where(col(ChatThread.incident_id).in_(wanted)))
    return {(t.incident_id, t.channel): t for t in found}


def _settle_one(
    session: Session,
    row: Notification,
    outcome: Outcome,
    threads: dict[Pair, ChatThread],
    now: datetime,
) -> None:
    claim = outcome.claim
    row.status = outcome.status
    row.claimed_at = None
    if outcome.released:
        row.status = OutboxStatus.PENDING
        row.attempts = max(0, row.attempts - 1)
        row.next_attempt_at = outcome.retry_at or now
        session.add(row)
        return
    row.last_error = outcome.error[:200] if outcome.error else None
    row.maybe_posted = outcome.maybe_posted
    if outcome.status is OutboxStatus.PENDING:
        row.next_attempt_at = outcome.retry_at or now
    if outcome.status is OutboxStatus.SENT:
        row.ts = outcome.ts
        row.thread_ts = outcome.thread_ts
        row.sent_at = now
        _advance_thread(session, row, claim, outcome, threads)
    session.add(row)


def _advance_thread(
    session: Session,
    row: Notification,
    claim: Claim,
    outcome: Outcome,
    threads: dict[Pair, ChatThread],
) -> None:
    if not claim.threaded or outcome.ts is None:
        return
    assert claim.incident_id is not None
    assert claim.channel is not None
    pair = (claim.incident_id, claim.channel)
    thread = threads.get(pair)
    if thread is None and outcome.thread_ts is None:
        threads[pair] = ChatThread(
            incident_id=claim.incident_id,
            channel=claim.channel,
            ts=outcome.ts,
            card_row_id=row.id,
            card_shown_id=row.id,
        )
        session.add(threads[pair])
    elif thread is not None and (thread.card_row_id or 0) < (row.id or 0):
        thread.card_row_id = row.id
        session.add(thread)


def _settle_report(
    session: Session, row: Notification, status: OutboxStatus, now: datetime
) -> None:
    report = session.get(Report, row.report_id)
    if report is None or report.status is ReportStatus.ACKNOWLEDGED:
        return
    report.sent_at = report.sent_at or now
    report.last_error = row.last_error
    if status is OutboxStatus.SENT:
        report.status = ReportStatus.DELIVERED
        report.delivered_at = now
    elif status is OutboxStatus.FAILED:
        report.status = ReportStatus.FAILED
    session.add(report)
    if status is OutboxStatus.PENDING:
        return  # a retry is not an event of the incident; its outcome will be
    record_event(
        session,
        report.incident_id,
        f"report_{status}",
        at=now,
        detail={"to": report.recipient_id, "error": row.last_error},
    )
    step = session.exec(
        select(Step).where(Step.incident_id == report.incident_id, Step.name == StepName.REPORT)
    ).first()
    if step is not None and status is OutboxStatus.SENT and step.status is StepStatus.PENDING:
        step.status = StepStatus.IN_PROGRESS
        session.add(step)


def cards_due(url: str, *, incident_id: str | None = None) -> list[CardDue]:
    """Summary cards whose newest facts are not shown yet."""
    with reading(url) as session:
        query = (
            select(ChatThread, Notification.facts)
            .join(Notification, col(Notification.id) == ChatThread.card_row_id)
            .where(
                func.coalesce(ChatThread.card_shown_id, 0)
                < func.coalesce(ChatThread.card_row_id, 0)
            )
        )
        if incident_id is not None:
            query = query.where(ChatThread.incident_id == incident_id)
        return [
            CardDue(t.id or 0, t.channel, t.ts, t.card_row_id or 0, NoticeFacts.model_validate(f))
            for t, f in session.exec(query.order_by(col(ChatThread.id)))
        ]


def mark_cards_shown(url: str, shown: Sequence[CardDue]) -> None:
    """Record that these cards now show their newest facts."""
    if not shown:
        return
    with transaction(url) as session:
        for card in shown:
            thread = session.get(ChatThread, card.thread_id)
            if thread is not None and (thread.card_shown_id or 0) < card.row_id:
                thread.card_shown_id = card.row_id
                session.add(thread)


def outbox_rows(
    session: Session, *, failed_only: bool = False, incident_id: str | None = None
) -> list[Notification]:
    """Outbox rows, newest first (only failed and unreachable ones with `failed_only`)."""
    query = select(Notification)
    if failed_only:
        query = query.where(col(Notification.status).in_(_STUCK))
    if incident_id is not None:
        query = query.where(Notification.incident_id == incident_id)
    return list(session.exec(query.order_by(col(Notification.id).desc())))


def retry_rows(
    session: Session, *, ids: Sequence[int] | None, now: datetime, by: str | None = None
) -> list[int]:
    """Queue failed or unreachable rows again (all of them when `ids` is None)."""
    if ids is None:
        rows = list(session.exec(select(Notification).where(col(Notification.status).in_(_STUCK))))
    else:
        rows = [_stuck_row(session, row_id) for row_id in ids]
    for row in rows:
        org = session.get(Organization, row.org_id)
        row.channel = org.slack_channel if org is not None else row.channel
        row.status = OutboxStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        session.add(row)
        report = session.get(Report, row.report_id) if row.report_id else None
        if report is not None and report.status is ReportStatus.FAILED:
            report.status = ReportStatus.PENDING
            session.add(report)
        if row.incident_id:
            detail = {"notification": row.id, "to": row.org_id, "event": row.event}
            record_event(
                session, row.incident_id, "notification_retry", actor=by, at=now, detail=detail
            )
    return sorted(row.id for row in rows if row.id is not None)


def _stuck_row(session: Session, row_id: int) -> Notification:
    row = session.get(Notification, row_id)
    if row is None:
        raise BadInput("ID", f"no notification {row_id}")
    if row.status not in _STUCK:
        raise BadInput("ID", f"notification {row_id} is {row.status}, not failed or unreachable")
    return row

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
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, and_, col, func, or_, select

from jikoflow.models.audit.service import record_event
from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import ReportStatus, StepName, StepStatus
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.tables import Report, Step
from jikoflow.models.outbox.facts import NoticeFacts, OutboxStatus
from jikoflow.models.outbox.tables import ChatThread, Notification
from jikoflow.models.parties.tables import Organization

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
    table = SQLModel.metadata.tables["notification"]
    # A Core UPDATE … RETURNING of the columns a claim needs: no ORM objects to build.
    claiming = (
        sa.update(table)
        .where(table.c.id.in_(ids), _due(now))
        .values(
            status=OutboxStatus.SENDING,
            claimed_at=now,
            attempts=table.c.attempts + 1,
            # SET reads the old row: a stale `sending` claim may have reached the service.
            maybe_posted=or_(table.c.status == OutboxStatus.SENDING, table.c.maybe_posted),
        )
        .returning(*(table.c[name] for name in _CLAIMED))
    )
    with transaction(url) as session:
        rows = sorted(session.connection().execute(claiming).mappings(), key=lambda r: r["id"])
        threads = _threads(session, {(r["incident_id"], r["channel"]) for r in rows})
    return [_claim_of(row, threads) for row in rows]


_CLAIMED = ("id", "key", "incident_id", "org_id", "channel", "facts", "maybe_posted", "attempts")


def _claim_of(row: sa.RowMapping, threads: dict[Pair, str]) -> Claim:
    pair = (row["incident_id"], row["channel"])
    return Claim(
        id=row["id"],
        key=row["key"],
        incident_id=row["incident_id"],
        org_id=row["org_id"],
        channel=row["channel"],
        facts=NoticeFacts.model_validate(row["facts"]),
        maybe_posted=bool(row["maybe_posted"]),
        thread_ts=threads.get(pair),
        attempts=row["attempts"],
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


# What settling writes back; rows of one batch are written by one executemany.
_WRITTEN = (
    "status",
    "claimed_at",
    "attempts",
    "next_attempt_at",
    "last_error",
    "maybe_posted",
    "ts",
    "thread_ts",
    "sent_at",
)


def settle(url: str, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Write back a batch of attempts in one short transaction."""
    if not outcomes:
        return
    table = SQLModel.metadata.tables["notification"]
    with transaction(url) as session:
        connection = session.connection()
        ids = [o.claim.id for o in outcomes]
        query = sa.select(table.c.id, table.c.report_id, *(table.c[n] for n in _WRITTEN))
        rows = {r.id: r._asdict() for r in connection.execute(query.where(table.c.id.in_(ids)))}
        threads = _thread_rows(session, {o.claim.incident_id for o in outcomes})
        written: list[dict[str, Any]] = []
        for outcome in outcomes:
            row = rows.get(outcome.claim.id)
            # Not `sending` any more: settled meanwhile by a dispatcher that took over.
            if row is not None and row["status"] == OutboxStatus.SENDING:
                written.append(_settled(row, outcome, now))
                _advance_thread(session, outcome, threads)
        if not written:
            return
        connection.execute(
            sa.update(table).where(
                table.c.id == sa.bindparam("row_id"), table.c.status == OutboxStatus.SENDING
            ),
            [{k: v for k, v in w.items() if k != "report_id"} for w in written],
        )
        for values in written:
            if values["report_id"] is not None and values["status"] != OutboxStatus.SENDING:
                _settle_report(session, values, OutboxStatus(values["status"]), now)


def _thread_rows(session: Session, incidents: set[str | None]) -> dict[Pair, ChatThread]:
    wanted = sorted(i for i in incidents if i is not None)
    if not wanted:
        return {}
    found = session.exec(select(ChatThread).where(col(ChatThread.incident_id).in_(wanted)))
    return {(t.incident_id, t.channel): t for t in found}


def _settled(row: dict[str, Any], outcome: Outcome, now: datetime) -> dict[str, Any]:
    """The row's new values (every written column, so the batch shares one statement)."""
    values = {name: row[name] for name in _WRITTEN}
    values.update(row_id=row["id"], report_id=row["report_id"])
    values.update(status=outcome.status, claimed_at=None)
    if outcome.released:
        values["status"] = OutboxStatus.PENDING
        values["attempts"] = max(0, row["attempts"] - 1)
        values["next_attempt_at"] = outcome.retry_at or now
        return values
    values["last_error"] = outcome.error[:200] if outcome.error else None
    values["maybe_posted"] = outcome.maybe_posted
    if outcome.status is OutboxStatus.PENDING:
        values["next_attempt_at"] = outcome.retry_at or now
    if outcome.status is OutboxStatus.SENT:
        values.update(ts=outcome.ts, thread_ts=outcome.thread_ts, sent_at=now)
    return values


def _advance_thread(session: Session, outcome: Outcome, threads: dict[Pair, ChatThread]) -> None:
    claim = outcome.claim
    if outcome.released or outcome.status is not OutboxStatus.SENT:
        return
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
            card_row_id=claim.id,
            card_shown_id=claim.id,
        )
        session.add(threads[pair])
    elif thread is not None and (thread.card_row_id or 0) < claim.id:
        thread.card_row_id = claim.id
        session.add(thread)


def _settle_report(
    session: Session, row: dict[str, Any], status: OutboxStatus, now: datetime
) -> None:
    report = session.get(Report, row["report_id"])
    if report is None or report.status is ReportStatus.ACKNOWLEDGED:
        return
    report.sent_at = report.sent_at or now
    report.last_error = row["last_error"]
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
        detail={"to": report.recipient_id, "error": row["last_error"]},
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
            sa.select(
                col(ChatThread.id),
                col(ChatThread.channel),
                col(ChatThread.ts),
                col(Notification.id),
                col(Notification.facts),
            )
            .join(Notification, col(Notification.id) == ChatThread.card_row_id)
            .where(
                func.coalesce(ChatThread.card_shown_id, 0)
                < func.coalesce(ChatThread.card_row_id, 0)
            )
        )
        if incident_id is not None:
            query = query.where(col(ChatThread.incident_id) == incident_id)
        return [
            CardDue(thread or 0, channel, ts, row or 0, NoticeFacts.model_validate(facts))
            for thread, channel, ts, row, facts in session.connection().execute(
                query.order_by(col(ChatThread.id))
            )
        ]


def mark_cards_shown(url: str, shown: Sequence[CardDue]) -> None:
    """Record that these cards now show their newest facts."""
    if not shown:
        return
    with transaction(url) as session:
        ids = [card.thread_id for card in shown]
        threads = {
            t.id: t for t in session.exec(select(ChatThread).where(col(ChatThread.id).in_(ids)))
        }
        for card in shown:
            thread = threads.get(card.thread_id)
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


def pending_messages(session: Session, subject: str | None = None) -> int:
    """Rows (of one incident or drill, or all) still waiting for delivery."""
    query = (
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.status).in_(_OPEN))
    )
    if subject is not None:
        query = query.where(Notification.incident_id == subject)
    return int(session.exec(query).one())

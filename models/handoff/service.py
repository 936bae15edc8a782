"""Flow requests: asked for with the change that calls for the flow, started exactly once.

A request is written in the transaction that opens its subject, so a declaration that commits
always has its flow asked for, whatever happens to the declaring process afterwards. Whoever
starts flows (`serve` on every machine, or the declaring command in embedded mode) claims due
requests first: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so processes on several machines
take different requests; on SQLite the write lock does the same. A request whose start failed
(the orchestrator is down) is retried with a short backoff, so its flow starts soon after the
orchestrator is back.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, func, select

from jikoflow.models.db import get_engine, reading, transaction
from jikoflow.models.handoff.tables import FlowName, FlowRequest

# A claim older than this was never settled (its process died): another process may take it.
STALE_CLAIM = timedelta(minutes=2)
# Retries while the orchestrator is unreachable: soon enough that a flow starts within half a
# minute of its return, rare enough not to hammer it.
MAX_BACKOFF = timedelta(seconds=30)
CLAIM_LIMIT = 25


@dataclass(frozen=True)
class Requested:
    """A claimed request: the flow to start and its subject."""

    id: int
    flow: FlowName
    subject_id: str
    attempts: int


def request_flow(session: Session, flow: FlowName, subject_id: str, *, now: datetime) -> None:
    """Ask for `flow` about `subject_id`, in the caller's transaction."""
    session.add(
        FlowRequest(flow=flow, subject_id=subject_id, requested_at=now, next_attempt_at=now)
    )


def _due(table: sa.Table, now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        table.c.started_at.is_(None),
        table.c.next_attempt_at <= now,
        sa.or_(table.c.claimed_at.is_(None), table.c.claimed_at <= now - STALE_CLAIM),
    )


def claim_requests(
    url: str,
    now: datetime,
    *,
    subjects: Collection[str] | None = None,
    limit: int = CLAIM_LIMIT,
) -> list[Requested]:
    """Claim up to `limit` due requests (of some subjects, or any), oldest first."""
    table = SQLModel.metadata.tables["flowrequest"]
    chosen = sa.select(table.c.id).where(_due(table, now)).order_by(table.c.id).limit(limit)
    if subjects is not None:
        chosen = chosen.where(table.c.subject_id.in_(sorted(subjects)))
    if get_engine(url).dialect.name == "postgresql":
        # Another machine's claim in progress is skipped, not waited for.
        chosen = chosen.with_for_update(skip_locked=True)
    claiming = (
        sa.update(table)
        .where(table.c.id.in_(chosen.scalar_subquery()), _due(table, now))
        .values(claimed_at=now, attempts=table.c.attempts + 1)
        .returning(table.c.id, table.c.flow, table.c.subject_id, table.c.attempts)
    )
    with transaction(url) as session:
        rows = session.connection().execute(claiming).all()
    return sorted((Requested(i, FlowName(f), s, a) for i, f, s, a in rows), key=lambda r: r.id)


def mark_started(url: str, runs: dict[int, str], now: datetime) -> None:
    """These requests' flows have started: as the given flow runs (or `in-process`)."""
    if not runs:
        return
    table = SQLModel.metadata.tables["flowrequest"]
    with transaction(url) as session:
        session.connection().execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("request_id"))
            .values(started_at=now, claimed_at=None, last_error=None),
            [{"request_id": i, "run": run} for i, run in runs.items()],
        )


def release(url: str, claimed: Sequence[Requested], now: datetime, error: str) -> None:
    """These flows did not start: try again after a short backoff, keeping why."""
    if not claimed:
        return
    table = SQLModel.metadata.tables["flowrequest"]
    with transaction(url) as session:
        session.connection().execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("request_id"))
            .values(claimed_at=None, last_error=error[:200]),
            [{"request_id": r.id, "next_attempt_at": now + backoff(r.attempts)} for r in claimed],
        )


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … seconds, at most `MAX_BACKOFF`."""
    return min(MAX_BACKOFF, timedelta(seconds=2 ** max(0, min(attempts - 1, 10))))


def waiting_requests(url: str, subjects: Collection[str] | None = None) -> int:
    """Requests whose flow has not started yet (of some subjects, or all)."""
    query = (
        select(func.count()).select_from(FlowRequest).where(col(FlowRequest.started_at).is_(None))
    )
    if subjects is not None:
        query = query.where(col(FlowRequest.subject_id).in_(sorted(subjects)))
    with reading(url) as session:
        return int(session.exec(query).one())


def request_of(url: str, flow: FlowName, subject_id: str) -> FlowRequest | None:
    """The request for `flow` about `subject_id`, if there is one."""
    with reading(url) as session:
        return session.exec(
            select(FlowRequest).where(
                FlowRequest.flow == flow, FlowRequest.subject_id == subject_id
            )
        ).first()

"""The audit trail: append-only events, hash-chained per incident so tampering shows."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, func, select

from jikoflow.models.audit.tables import AuditEvent
from jikoflow.models.types import utcnow

GENESIS = "0" * 64
PARTIES_CHAIN = "parties"


def _digest(
    prev_hash: str,
    chain: str,
    seq: int,
    at: datetime,
    actor: str | None,
    action: str,
    detail: dict[str, Any],
) -> str:
    body = json.dumps(
        [prev_hash, chain, seq, at.isoformat(), actor, action, detail],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _linked(
    chain: str,
    seq: int,
    prev: str,
    at: datetime,
    actor: str | None,
    action: str,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """The columns of one event linked to `prev`: UTC time, JSON-normalised detail, its hash."""
    when = at.astimezone(UTC)
    payload = json.loads(json.dumps(detail, ensure_ascii=False, default=str))
    return {
        "chain": chain,
        "seq": seq,
        "at": when,
        "actor": actor,
        "action": action,
        "detail": payload,
        "prev_hash": prev,
        "hash": _digest(prev, chain, seq, when, actor, action, payload),
    }


def record_event(
    session: Session,
    chain: str,
    action: str,
    *,
    actor: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to `chain` in the caller's transaction."""
    last = session.exec(
        select(AuditEvent).where(AuditEvent.chain == chain).order_by(col(AuditEvent.seq).desc())
    ).first()
    seq = last.seq + 1 if last else 1
    prev = last.hash if last else GENESIS
    event = AuditEvent(**_linked(chain, seq, prev, at or utcnow(), actor, action, detail or {}))
    session.add(event)
    session.flush()
    return event


def events_of(session: Session, chain: str) -> list[AuditEvent]:
    """The events of one chain, oldest first."""
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(col(AuditEvent.seq))
        )
    )


def verify_chain(events: list[AuditEvent]) -> bool:
    """True when every event's hash matches its content and links to the one before."""
    prev = GENESIS
    for event in events:
        expected = _digest(
            prev, event.chain, event.seq, event.at, event.actor, event.action, event.detail
        )
        if event.prev_hash != prev or event.hash != expected:
            return False
        prev = event.hash
    return True


def record_events(
    session: Session,
    events: list[tuple[str, str, dict[str, Any], datetime]],
    *,
    actor: str | None = None,
) -> None:
    """Append many events (chain, action, detail, at) at once, loading each chain's tip once."""
    chains = sorted({chain for chain, *_ in events})
    tips: dict[str, tuple[int, str]] = {}
    for start in range(0, len(chains), 500):
        chunk = chains[start : start + 500]
        last = (
            select(AuditEvent.chain, func.max(AuditEvent.seq).label("seq"))
            .where(col(AuditEvent.chain).in_(chunk))
            .group_by(col(AuditEvent.chain))
            .subquery()
        )
        found = session.exec(
            select(AuditEvent.chain, AuditEvent.seq, AuditEvent.hash).join(
                last, (col(AuditEvent.chain) == last.c.chain) & (col(AuditEvent.seq) == last.c.seq)
            )
        )
        tips.update({chain: (seq, digest) for chain, seq, digest in found})
    rows: list[dict[str, Any]] = []
    for chain, action, detail, at in events:
        seq, prev = tips.get(chain, (0, GENESIS))
        rows.append(_linked(chain, seq + 1, prev, at, actor, action, detail))
        tips[chain] = (seq + 1, rows[-1]["hash"])
    if rows:
        session.execute(sa.insert(SQLModel.metadata.tables["auditevent"]), rows)

"""The audit trail: append-only events, hash-chained per incident so tampering shows."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from models.tables import AuditEvent
from models.types import utcnow

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
    when = (at or utcnow()).astimezone(UTC)
    payload = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    event = AuditEvent(
        chain=chain,
        seq=seq,
        at=when,
        actor=actor,
        action=action,
        detail=payload,
        prev_hash=prev,
        hash=_digest(prev, chain, seq, when, actor, action, payload),
    )
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

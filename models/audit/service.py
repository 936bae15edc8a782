"""The audit trail: append-only events, hash-chained per chain and each sealed with the audit
key (models/audit/seal.py), so an edit made with database access alone shows. Each chain's
sealed head names its newest event, so deleting the newest events shows too."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, func, select

from jikoflow.models.audit.seal import seal_matches, seal_of
from jikoflow.models.audit.tables import AuditEvent, AuditHead
from jikoflow.models.settings import audit_key
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
    key: bytes,
) -> dict[str, Any]:
    """The columns of one event linked to `prev`: UTC time, JSON-normalised detail, its hash
    and its seal."""
    when = at.astimezone(UTC)
    payload = json.loads(json.dumps(detail, ensure_ascii=False, default=str))
    row = {
        "chain": chain,
        "seq": seq,
        "at": when,
        "actor": actor,
        "action": action,
        "detail": payload,
        "prev_hash": prev,
        "hash": _digest(prev, chain, seq, when, actor, action, payload),
    }
    return row | {"seal": seal_of(AuditEvent.__tablename__, row, key)}  # type: ignore[arg-type]


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
    # The tip only: a long chain (a deep chain's reports) is not read back on every append.
    tip = session.exec(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.chain == chain)
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    seq = tip[0] + 1 if tip else 1
    prev = tip[1] if tip else GENESIS
    key = audit_key()
    fields = _linked(chain, seq, prev, at or utcnow(), actor, action, detail or {}, key)
    event = AuditEvent(**fields)
    session.add(event)
    session.flush()
    advance_heads(session.connection(), {chain: (seq, fields["hash"])}, key)
    return event


def head_seal(chain: str, seq: int, digest: str, key: bytes | None = None) -> str:
    """What the seal of a chain's head must be."""
    return seal_of(AuditHead.__tablename__, {"chain": chain, "seq": seq, "hash": digest}, key)  # type: ignore[arg-type]


def advance_heads(
    conn: sa.Connection, tips: dict[str, tuple[int, str]], key: bytes | None = None
) -> None:
    """Move each chain's sealed head to its newest event (seq, hash), in the caller's
    transaction; a head is only ever moved forward."""
    if not tips:
        return
    key = key or audit_key()
    rows = [
        {"chain": chain, "seq": seq, "hash": digest, "seal": head_seal(chain, seq, digest, key)}
        for chain, (seq, digest) in sorted(tips.items())
    ]
    table = AuditHead.__table__  # type: ignore[attr-defined]
    insert: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    newer = statement.excluded
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.chain],
            set_={"seq": newer.seq, "hash": newer.hash, "seal": newer.seal},
            where=table.c.seq < newer.seq,
        ),
        rows,
    )


def tips_of(conn: sa.Connection, chains: list[str] | None = None) -> dict[str, tuple[int, str]]:
    """The newest event (seq, hash) of each of `chains` (None: of every chain), read from the
    events themselves."""
    if chains is None:
        return _tips(conn, None)
    tips: dict[str, tuple[int, str]] = {}
    for start in range(0, len(chains), 500):
        tips.update(_tips(conn, chains[start : start + 500]))
    return tips


def _tips(conn: sa.Connection, chains: list[str] | None) -> dict[str, tuple[int, str]]:
    newest = sa.select(col(AuditEvent.chain), func.max(AuditEvent.seq).label("seq"))
    if chains is not None:
        newest = newest.where(col(AuditEvent.chain).in_(chains))
    last = newest.group_by(col(AuditEvent.chain)).subquery()
    found = conn.execute(
        sa.select(col(AuditEvent.chain), col(AuditEvent.seq), col(AuditEvent.hash)).join(
            last, (col(AuditEvent.chain) == last.c.chain) & (col(AuditEvent.seq) == last.c.seq)
        )
    )
    return {chain: (seq, digest) for chain, seq, digest in found}


def events_of(session: Session, chain: str) -> list[AuditEvent]:
    """The events of one chain, oldest first."""
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(col(AuditEvent.seq))
        )
    )


def verify_chain(events: list[AuditEvent], key: bytes | None = None) -> bool:
    """True when every event's hash and seal match its content and it links to the one before."""
    return first_broken(events, key) is None


def first_broken(events: list[AuditEvent], key: bytes | None = None) -> AuditEvent | None:
    """The first event (oldest first) that is out of sequence, does not link to the one before,
    or whose hash or seal does not match its fields; None when the chain holds."""
    sealing = key or audit_key()
    prev = GENESIS
    for number, event in enumerate(events, start=1):
        expected = _digest(
            prev, event.chain, event.seq, event.at, event.actor, event.action, event.detail
        )
        intact = event.seq == number and event.prev_hash == prev and event.hash == expected
        if not intact or not seal_matches(event, sealing):
            return event
        prev = event.hash
    return None


def record_events(
    session: Session,
    events: list[tuple[str, str, dict[str, Any], datetime]],
    *,
    actor: str | None = None,
) -> None:
    """Append many events (chain, action, detail, at) at once, loading each chain's tip once."""
    chains = sorted({chain for chain, *_ in events})
    tips = tips_of(session.connection(), chains)
    rows: list[dict[str, Any]] = []
    key = audit_key() if events else b""
    for chain, action, detail, at in events:
        seq, prev = tips.get(chain, (0, GENESIS))
        rows.append(_linked(chain, seq + 1, prev, at, actor, action, detail, key))
        tips[chain] = (seq + 1, rows[-1]["hash"])
    if rows:
        session.execute(sa.insert(SQLModel.metadata.tables["auditevent"]), rows)
        advance_heads(session.connection(), {chain: tips[chain] for chain in chains}, key)

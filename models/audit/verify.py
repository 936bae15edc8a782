"""Verifying the trail: each chain's events, and the sealed rows an incident's events refer to.

The first broken entry is named, oldest first: an event whose hash, link or seal does not
match; then a sealed row (containment action, cause revision, measure, record version) whose
seal or SHA-256 does not match; then a row the trail records that is gone; then a chain whose
sealed head names newer events than are there (the newest ones deleted) or does not match.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from sqlmodel import Session, SQLModel, col, select

from jikoflow.models.access import Principal
from jikoflow.models.audit.seal import seal_matches
from jikoflow.models.audit.service import events_of, first_broken, head_seal
from jikoflow.models.audit.tables import AuditEvent, AuditHead
from jikoflow.models.errors import Forbidden
from jikoflow.models.response.tables import (
    CauseRevision,
    ContainmentAction,
    PreventionMeasure,
    RecordVersion,
)
from jikoflow.models.schemas import ReadModel
from jikoflow.models.settings import audit_key


class TrailCheck(ReadModel):
    """One chain verified: how many events, and the first broken entry (None: intact)."""

    chain: str
    events: int
    broken: str | None


def _label_event(event: AuditEvent) -> str:
    return f"audit event {event.seq} ({event.action})"


def _sealed_rows(session: Session, incident_id: str) -> list[tuple[str, SQLModel]]:
    tables: list[tuple[type[SQLModel], Callable[[SQLModel], str]]] = [
        (ContainmentAction, lambda r: f"containment action {r.id}"),  # type: ignore[attr-defined]
        (CauseRevision, lambda r: f"cause revision {r.revision}"),  # type: ignore[attr-defined]
        (PreventionMeasure, lambda r: f"measure {r.number}"),  # type: ignore[attr-defined]
        (RecordVersion, lambda r: f"record version {r.version}"),  # type: ignore[attr-defined]
    ]
    rows = []
    for model, label in tables:
        query = select(model).where(model.incident_id == incident_id)  # type: ignore[attr-defined]
        for row in session.exec(query.order_by(col(model.id))):  # type: ignore[attr-defined]
            rows.append((label(row), row))
    return rows


def _broken_row(rows: list[tuple[str, SQLModel]], key: bytes) -> str | None:
    """The first sealed row whose content no longer matches its SHA-256 or its seal."""
    for label, row in rows:
        if isinstance(row, RecordVersion) and (
            hashlib.sha256(row.content.encode()).hexdigest() != row.sha256
        ):
            return f"{label}: its SHA-256 does not match its content"
        if not seal_matches(row, key):
            return label
    return None


def _missing_row(rows: list[tuple[str, SQLModel]], events: list[AuditEvent]) -> str | None:
    """An event whose row is gone: a deleted revision, measure or record version."""
    present: dict[str, set[object]] = {"revision": set(), "number": set(), "version": set()}
    for _, row in rows:
        if isinstance(row, CauseRevision):
            present["revision"].add(row.revision)
        elif isinstance(row, PreventionMeasure):
            present["number"].add(row.number)
        elif isinstance(row, RecordVersion):
            present["version"].add(row.version)
    wanted = {
        "cause_recorded": "revision",
        "measure_added": "number",
        "record_submitted": "version",
    }
    for event in events:
        name = wanted.get(event.action)
        if name is not None and event.detail.get(name) not in present[name]:
            return f"{_label_event(event)}: its row is missing"
    return None


def _head_broken(
    head: AuditHead | None, chain: str, events: list[AuditEvent], key: bytes
) -> str | None:
    """Whether the chain's sealed head disagrees with its events: events deleted from the end,
    a head moved without the key, or a head gone.

    `head` is read before `events`: events a writer committed in between (on PostgreSQL each
    query sees the newest commits) follow the event the head names, and are not a break.
    """
    if head is None:
        return "its head is missing" if events else None
    if not hmac.compare_digest(head.seal, head_seal(chain, head.seq, head.hash, key)):
        return "its head (its seal does not match)"
    if head.seq > len(events):
        gone = str(head.seq) if head.seq == len(events) + 1 else f"{len(events) + 1}–{head.seq}"
        return f"audit event {gone}: missing (the chain's head names it)"
    named = events[head.seq - 1]
    if head.seq != named.seq or head.hash != named.hash:
        return f"{_label_event(named)}: not the event the chain's head names"
    return None


def _chain_broken(session: Session, chain: str, key: bytes) -> tuple[int, str | None]:
    """How many events a chain has, and its first broken event, else what its head says is
    wrong."""
    head = session.get(AuditHead, chain)
    events = events_of(session, chain)
    bad = first_broken(events, key)
    if bad is not None:
        return len(events), _label_event(bad)
    return len(events), _head_broken(head, chain, events, key)


def check_incident(session: Session, incident_id: str, key: bytes | None = None) -> TrailCheck:
    """Verify one incident's chain and the rows sealed beside it."""
    sealing = key or audit_key()
    head = session.get(AuditHead, incident_id)  # before the events: see `_head_broken`
    events = events_of(session, incident_id)
    bad = first_broken(events, sealing)
    broken = None if bad is None else _label_event(bad)
    rows = _sealed_rows(session, incident_id) if broken is None else []
    if broken is None:
        broken = _broken_row(rows, sealing)
    if broken is None:
        broken = _missing_row(rows, events)
    if broken is None:
        broken = _head_broken(head, incident_id, events, sealing)
    if not events and broken is None:
        broken = "its audit trail is empty"
    return TrailCheck(chain=incident_id, events=len(events), broken=broken)


def check_all(session: Session, key: bytes | None = None) -> list[TrailCheck]:
    """Verify every chain in the database (incidents, parties, accounts), in chain order."""
    from jikoflow.models.incidents.tables import Incident

    sealing = key or audit_key()
    chains = set(session.exec(select(AuditEvent.chain).distinct()))
    chains |= set(session.exec(select(AuditHead.chain)))
    incidents = set(session.exec(select(Incident.id)))
    checks = []
    for chain in sorted(chains | incidents):
        if chain in incidents:
            checks.append(check_incident(session, chain, sealing))
            continue
        count, broken = _chain_broken(session, chain, sealing)
        checks.append(TrailCheck(chain=chain, events=count, broken=broken))
    return checks


def verify_trail(
    session: Session, *, actor: Principal, incident_id: str | None = None
) -> list[TrailCheck]:
    """`audit verify`: one incident the actor may see, or (the operator only) every chain."""
    if incident_id is None:
        if actor.is_person:
            raise Forbidden("by", "only the operator verifies every chain; name an incident")
        return check_all(session)
    from jikoflow.models.incidents.service import visible_incident

    incident = visible_incident(session, actor, incident_id)
    return [check_incident(session, incident.id)]

"""Drill messages for the outbox: the same content-free facts a real report carries (§5).

A contact check tells each organisation that the origin reports a 事故等 of a kind, marked
【訓練】, and how to confirm; an inject notice says only that inject N is available.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from models.drills import Drill, DrillParticipant
from models.enums import IncidentState, StepName
from models.notices import NoticeEvent, NoticeFacts, enqueue
from models.parties import managers_of, organizations_by_id
from models.tables import Contract, Organization


def drill_facts(
    drill: Drill,
    contract: Contract,
    origin: Organization,
    recipient: Organization,
    event: NoticeEvent,
    *,
    mentions: Sequence[str] = (),
    inject: int | None = None,
) -> NoticeFacts:
    """The facts of one drill message to `recipient`: names, kind, clock — nothing typed."""
    return NoticeFacts(
        event=event,
        incident_id=drill.id,
        contract_id=contract.id,
        contract_title=contract.title,
        org_id=origin.id,
        org_name=origin.name,
        recipient_id=recipient.id,
        recipient_name=recipient.name,
        kind=drill.kind,
        suspected=drill.suspected,
        state=IncidentState.OPEN,
        drill=True,
        declared_at=drill.started_at,
        step=StepName.REPORT if event is NoticeEvent.DRILL_CHECK else None,
        due_at=drill.ends_at if event is NoticeEvent.DRILL_CHECK else None,
        mentions=tuple(m for m in mentions if m)[:50],
        inject=inject,
    )


def enqueue_drill_messages(
    session: Session,
    drill: Drill,
    participants: Sequence[DrillParticipant],
    event: NoticeEvent,
    *,
    now: datetime,
    inject: int | None = None,
) -> int:
    """One outbox row per participant, mentioning its managers; returns how many were new."""
    contract = session.get(Contract, drill.contract_id)
    assert contract is not None
    org_ids = [p.org_id for p in participants]
    orgs = organizations_by_id(session, [drill.origin_id, *org_ids])
    managers = managers_of(session, org_ids)
    written = 0
    for participant in participants:
        recipient = orgs[participant.org_id]
        users = [m.slack_user for m in managers[recipient.id] if m.slack_user]
        facts = drill_facts(
            drill, contract, orgs[drill.origin_id], recipient, event, mentions=users, inject=inject
        )
        suffix = recipient.id if inject is None else f"{recipient.id}:{inject}"
        if enqueue(session, facts, recipient, key_suffix=suffix) is not None:
            written += 1
    return written

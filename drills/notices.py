"""Drill messages for the outbox: the same content-free facts a real report carries (§5).

A contact check tells each organisation that the origin reports a 事故等 of a kind, marked
【訓練】, and how to confirm, and reminds the silent ones at the first report's warn time; an
inject notice says only that inject N is available.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from jikoflow.drills.rules import report_deadline
from jikoflow.drills.tables import Drill, DrillParticipant
from jikoflow.models.enums import IncidentState, StepName
from jikoflow.models.outbox.facts import (
    NoticeEvent,
    NoticeFacts,
    Subject,
    Variant,
    enqueue_many,
)
from jikoflow.models.parties.queries import managers_of, organizations_by_id
from jikoflow.models.parties.tables import Contract, Organization

MAX_MENTIONS = 50


def drill_facts(
    drill: Drill, contract: Contract, origin: Organization, event: NoticeEvent, inject: int | None
) -> NoticeFacts:
    """What every message of one drill event says: names, kind, marker — nothing typed."""
    return NoticeFacts(
        event=event,
        subject=Subject.DRILL,
        subject_id=drill.id,
        contract_id=contract.id,
        contract_title=contract.title,
        org_id=origin.id,
        org_name=origin.name,
        kind=drill.kind,
        suspected=drill.suspected,
        state=IncidentState.OPEN,
        drill=True,
        declared_at=drill.started_at,
        inject=inject,
    )


def _clock(drill: Drill, event: NoticeEvent) -> datetime | None:
    """The time a message asks for: the check's window end, or (reminder) the report's due."""
    if event is NoticeEvent.DRILL_CHECK:
        return drill.ends_at
    if event is NoticeEvent.REMINDER:
        return report_deadline(drill.started_at).due_at
    return None


def enqueue_drill_messages(
    session: Session,
    drill: Drill,
    participants: Sequence[DrillParticipant],
    event: NoticeEvent,
    *,
    inject: int | None = None,
) -> int:
    """One outbox row per participant, mentioning its managers; returns how many were new."""
    contract = session.get_one(Contract, drill.contract_id)
    org_ids = [p.org_id for p in participants]
    orgs = organizations_by_id(session, [drill.origin_id, *org_ids])
    managers = managers_of(session, org_ids)
    base = drill_facts(drill, contract, orgs[drill.origin_id], event, inject)
    due = _clock(drill, event)
    items = []
    for participant in participants:
        recipient = orgs[participant.org_id]
        users = [m.slack_user for m in managers[recipient.id] if m.slack_user]
        variant = Variant(
            event=event,
            step=StepName.REPORT if due else None,
            due_at=due,
            recipient_id=recipient.id,
            recipient_name=recipient.name,
            mentions=tuple(users[:MAX_MENTIONS]),
        )
        suffix = recipient.id if inject is None else f"{recipient.id}:{inject}"
        items.append((base, variant, recipient, suffix))
    return enqueue_many(session, items)

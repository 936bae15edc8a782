"""The contact-tree check (連絡確認訓練): every organisation in the chain confirms receipt.

It reaches the chain exactly as a report from the origin would — through the outbox and the
configured notifier, marked 【訓練】 — and times each confirmation against the first-report clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from drills.core import (
    add_participants,
    check_actor,
    check_origin,
    contract_chain,
    get_drill,
    record_start,
    require_running,
)
from drills.notices import enqueue_drill_messages
from models.audit import record_event
from models.drills import (
    DEFAULT_WINDOW,
    Drill,
    DrillParticipant,
    DrillType,
    deepest_origin,
    new_drill_id,
    relations,
)
from models.errors import BadInput
from models.notices import NoticeEvent

MAX_WINDOW = timedelta(days=7)


def start_contact_drill(
    session: Session,
    *,
    contract_id: str,
    origin_id: str | None = None,
    window: timedelta = DEFAULT_WINDOW,
    plan_id: int | None = None,
    by: str | None = None,
    now: datetime,
) -> Drill:
    """Open a contact check and queue one 【訓練】 message per organisation of the chain."""
    if not timedelta(minutes=1) <= window <= MAX_WINDOW:
        raise BadInput("--window", "must be between 1 minute and 7 days")
    contract, chain = contract_chain(session, contract_id)
    check_actor(session, by)
    origin = origin_id or deepest_origin(chain)
    check_origin(session, chain, origin)
    drill = Drill(
        id=new_drill_id(now),
        contract_id=contract.id,
        type=DrillType.CONTACT,
        origin_id=origin,
        started_at=now,
        ends_at=now + window,
        started_by=by,
        plan_id=plan_id,
    )
    session.add(drill)
    session.flush()
    participants = add_participants(session, drill, relations(chain, origin))
    record_start(session, drill, participants)
    enqueue_drill_messages(session, drill, participants, NoticeEvent.DRILL_CHECK, now=now)
    return drill


def acknowledge(
    session: Session, *, drill_id: str, org_id: str, by: str | None = None, now: datetime
) -> DrillParticipant:
    """Organisation `org_id` confirms receipt of the check; confirming again changes nothing."""
    drill = get_drill(session, drill_id)
    if drill.type is not DrillType.CONTACT:
        hint = f"`jikoflow ack {drill.incident_id} --org {org_id}`"
        raise BadInput("DRILL", f"{drill.id} is a tabletop exercise: acknowledge with {hint}")
    participant = session.exec(
        select(DrillParticipant).where(
            DrillParticipant.drill_id == drill.id, DrillParticipant.org_id == org_id
        )
    ).first()
    if participant is None:
        raise BadInput("--org", f"{org_id} was not reached by {drill.id}")
    check_actor(session, by, org_id)
    if participant.acknowledged_at is not None:
        return participant
    require_running(drill, now)
    if now < drill.started_at:
        raise BadInput("--now", f"is before the start of {drill.id}")
    participant.acknowledged_at = now
    participant.acknowledged_by = by
    session.add(participant)
    record_event(session, drill.id, "acknowledged", actor=by, at=now, detail={"org": org_id})
    return participant

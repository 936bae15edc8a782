"""The contact-tree check (連絡確認訓練): every organisation in the chain confirms receipt.

It reaches the chain exactly as a report from the origin would — through the outbox and the
configured notifier, marked 【訓練】 — times each confirmation against the first-report clock and,
like that clock, reminds the organisations still silent at its warn time (30 minutes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from jikoflow.drills.core import (
    add_participants,
    check_actor,
    check_origin,
    check_window,
    contract_chain,
    get_drill,
    participants_of,
    record_start,
    require_running,
)
from jikoflow.drills.notices import enqueue_drill_messages
from jikoflow.drills.rules import (
    DEFAULT_WINDOW,
    WARN_AFTER,
    DrillState,
    DrillType,
    deepest_origin,
    new_drill_id,
    relations,
)
from jikoflow.drills.tables import Drill, DrillParticipant
from jikoflow.models.audit.service import record_event
from jikoflow.models.errors import BadInput
from jikoflow.models.outbox.facts import NoticeEvent


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
    check_window(window)
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
    enqueue_drill_messages(session, drill, participants, NoticeEvent.DRILL_CHECK)
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


def remind_due(session: Session, now: datetime) -> list[str]:
    """Once per check, remind every organisation still silent at the first report's warn time."""
    due = session.exec(
        select(Drill).where(
            Drill.state == DrillState.RUNNING,
            Drill.type == DrillType.CONTACT,
            col(Drill.reminded_at).is_(None),
            col(Drill.started_at) <= now - WARN_AFTER,
            col(Drill.ends_at) > now,
        )
    ).all()
    for drill in due:
        silent = [p for p in participants_of(session, drill.id) if p.acknowledged_at is None]
        drill.reminded_at = now
        session.add(drill)
        enqueue_drill_messages(session, drill, silent, NoticeEvent.REMINDER)
        detail = {"reminded": len(silent), "orgs": [p.org_id for p in silent]}
        record_event(session, drill.id, "drill_reminded", at=now, detail=detail)
    return [drill.id for drill in due]

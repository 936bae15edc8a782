"""The contact-tree check (連絡確認訓練): every organisation in the chain confirms receipt.

It reaches the chain exactly as a report from the origin would — through the outbox and the
configured notifier, marked 【訓練】 — times each confirmation against the first-report clock and,
like that clock, reminds the organisations still silent at its warn time (30 minutes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from jikoflow.drills.core import add_participants, participants_of, record_start, require_running
from jikoflow.drills.notices import enqueue_drill_messages
from jikoflow.drills.rules import WARN_AFTER, DrillState, DrillType, new_drill_id, relations
from jikoflow.drills.tables import Drill, DrillParticipant
from jikoflow.models.access import SYSTEM
from jikoflow.models.audit.service import record_event
from jikoflow.models.errors import BadInput
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.parties.chain import Chain


def start_contact_drill(
    session: Session,
    *,
    chain: Chain,
    origin_id: str,
    window: timedelta,
    plan_id: int | None = None,
    actor: str,
    now: datetime,
) -> Drill:
    """Open a contact check and queue one 【訓練】 message per organisation of the chain."""
    drill = Drill(
        id=new_drill_id(now),
        contract_id=chain.contract_id,
        type=DrillType.CONTACT,
        origin_id=origin_id,
        started_at=now,
        ends_at=now + window,
        started_by=actor,
        plan_id=plan_id,
    )
    session.add(drill)
    session.flush()
    participants = add_participants(session, drill, relations(chain, origin_id))
    record_start(session, drill, participants)
    enqueue_drill_messages(session, drill, participants, NoticeEvent.DRILL_CHECK)
    return drill


def acknowledge(
    session: Session, drill: Drill, participant: DrillParticipant, *, actor: str, now: datetime
) -> DrillParticipant:
    """The participant confirms receipt of the check; confirming again changes nothing."""
    if participant.acknowledged_at is not None:
        return participant
    require_running(drill, now)
    if now < drill.started_at:
        raise BadInput("now", f"is before the start of {drill.id}")
    participant.acknowledged_at = now
    participant.acknowledged_by = actor
    session.add(participant)
    detail = {"org": participant.org_id}
    record_event(session, drill.id, "acknowledged", actor=actor, at=now, detail=detail)
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
        record_event(session, drill.id, "drill_reminded", actor=SYSTEM.actor, at=now, detail=detail)
    return [drill.id for drill in due]

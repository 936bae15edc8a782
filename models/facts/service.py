"""The acts on the record beyond the Article 24 sequence (DESIGN.md §7–§9): the facts, a
reclassification, 甲's return (差戻し), instructions (Art. 22), the publication decision
(Art. 25) and the draft of 甲's report to the PPC.

Each use case locks the incident, checks §8 (`jikoflow.models.guard`) and the state machine
(`jikoflow.models.incidents.lifecycle`), writes the change and its audit event, and queues
content-free notices (names, states and times only) — all in the caller's transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from jikoflow.models.access import Act, Principal
from jikoflow.models.audit.service import record_event
from jikoflow.models.calendar import end_of_day
from jikoflow.models.enums import AppiStage, ReviewAnswer, StepName
from jikoflow.models.errors import BadInput, Conflict, NotFound
from jikoflow.models.facts.rules import (
    check_facts,
    check_instruction,
    check_publication,
    check_reason,
    check_reclassification,
    instruction_status,
    record_due_after_return,
)
from jikoflow.models.facts.schemas import (
    Facts,
    FactsRecorded,
    InstructInput,
    InstructionDoneInput,
    InstructionResult,
    PpcDraftFile,
    PublicationResult,
    PublishInput,
    ReclassifiedResult,
    ReclassifyInput,
    ReturnedResult,
    ReturnInput,
)
from jikoflow.models.facts.store import add_facts_revision, facts_of
from jikoflow.models.facts.tables import (
    Instruction,
    PublicationDecision,
    Reclassification,
    RecordReview,
)
from jikoflow.models.facts.wake import look_again
from jikoflow.models.guard import Subject, authorize
from jikoflow.models.incidents.clocks import warn_time
from jikoflow.models.incidents.lifecycle import Action, StepEvent
from jikoflow.models.incidents.service import get_incident, get_step, move_step, shows_appi
from jikoflow.models.incidents.tables import Incident
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.policy.service import contract_policy
from jikoflow.models.response.service import (
    apply_action,
    latest_version,
    locked_for,
    next_number,
    notify_change,
)
from jikoflow.models.times import tokyo_day
from jikoflow.models.types import utcnow


def record_facts(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: Facts,
    now: datetime | None = None,
) -> FactsRecorded:
    """Keep the facts after `data` (only the fields it sets) as a new revision; a revision
    that changes nothing is refused. Every revision is kept; chat hears only that they changed."""
    moment = now or utcnow()
    incident = locked_for(session, actor, incident_id, Act.FACTS)
    check_facts(data, now=moment, discovered_at=incident.discovered_at)
    apply_action(session, actor, incident, Action.FACTS)
    row = add_facts_revision(session, incident.id, data, at=moment, by=actor.actor)
    detail = {"revision": row.revision, "fields": list(row.changed)}
    record_event(
        session, incident.id, "facts_recorded", actor=actor.actor, at=moment, detail=detail
    )
    notify_change(session, incident, NoticeEvent.FACTS, moment)
    return FactsRecorded(
        id=incident.id, revision=row.revision, changed=list(row.changed), facts=facts_of(row)
    )


def reclassify(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: ReclassifyInput,
    now: datetime | None = None,
) -> ReclassifiedResult:
    """Change the kind and/or おそれ/発生, keeping the reason; refused when nothing changes."""
    moment = now or utcnow()
    reason = check_reason(data.reason)
    incident = locked_for(session, actor, incident_id, Act.RECLASSIFY)
    kind, suspected, reason = check_reclassification(
        kind=incident.kind,
        suspected=incident.suspected,
        new_kind=data.kind,
        new_suspected=data.suspected,
        reason=reason,
    )
    apply_action(session, actor, incident, Action.RECLASSIFY)
    row = Reclassification(
        incident_id=incident.id,
        at=moment,
        by=actor.actor,
        kind_before=incident.kind,
        kind_after=kind,
        suspected_before=incident.suspected,
        suspected_after=suspected,
        reason=reason,
    )
    detail = {
        "kind_before": str(incident.kind),
        "kind_after": str(kind),
        "suspected_before": incident.suspected,
        "suspected_after": suspected,
    }
    incident.kind, incident.suspected = kind, suspected
    session.add_all([row, incident])
    look_again(session, incident.id)  # the APPI clocks depend on the kind
    record_event(session, incident.id, "reclassified", actor=actor.actor, at=moment, detail=detail)
    notify_change(session, incident, NoticeEvent.RECLASSIFIED, moment)
    return ReclassifiedResult(
        id=incident.id, kind=incident.kind, suspected=incident.suspected, state=incident.state
    )


def return_record(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: ReturnInput,
    now: datetime | None = None,
) -> ReturnedResult:
    """甲 returns the submitted record (差戻し): the incident is open again and the record step
    is due again — 7 days after the return unless the contract's policy says otherwise."""
    moment = now or utcnow()
    reason = check_reason(data.reason)
    if not actor.is_person:
        raise BadInput("by", "name the manager of 甲 who returns the record")
    incident = locked_for(session, actor, incident_id, Act.RETURN)
    apply_action(session, actor, incident, Action.RETURN)
    latest = latest_version(session, incident.id)
    assert latest is not None  # SUBMITTED implies a version exists
    review = session.exec(
        select(RecordReview).where(
            RecordReview.incident_id == incident.id, RecordReview.version == latest.version
        )
    ).first()
    if review is not None:
        review.answer = ReviewAnswer.RETURNED
        review.answered_at = moment
        review.answered_by = actor.actor
        review.answer_reason = reason
        session.add(review)
    due_at = _reopen_record_step(session, incident, moment)
    detail = {"version": latest.version, "due": due_at.isoformat()}
    record_event(
        session, incident.id, "record_returned", actor=actor.actor, at=moment, detail=detail
    )
    notify_change(
        session,
        incident,
        NoticeEvent.RETURNED,
        moment,
        record_version=latest.version,
        due_at=due_at,
    )
    return ReturnedResult(
        id=incident.id, version=latest.version, state=incident.state, record_due_at=due_at
    )


def _reopen_record_step(session: Session, incident: Incident, now: datetime) -> datetime:
    """The record step due again, by the policy's `record_returned` clock; its alerts rearmed."""
    policy = contract_policy(session, incident.contract_id)
    clock = policy.clocks.record_returned
    assert clock.due is not None
    if clock.due.day_scale:
        due_at = record_due_after_return(
            now, days=clock.due.amount, business_days=policy.business_days
        )
    else:
        due_at = now + clock.due.as_timedelta()
    step = get_step(session, incident.id, StepName.RECORD)
    move_step(session, step, StepEvent.REOPEN, now)
    step.due_at = due_at
    step.warn_at = warn_time(now, due_at, clock, business_days=policy.business_days)
    step.reminded_at = step.escalated_at = step.next_alert_at = None
    step.escalations = 0
    session.add(step)
    return due_at


def instruct(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: InstructInput,
    now: datetime | None = None,
) -> InstructionResult:
    """甲 instructs or asks for a report (Art. 22): numbered, tracked with its due date until
    done; the incident's organisation, 乙 and the chain hear that it was given (not what)."""
    moment = now or utcnow()
    text, due = check_instruction(data.text, due=data.due, today=tokyo_day(moment))
    if not actor.is_person:
        raise BadInput("by", "name the manager of 甲 who gives the instruction")
    incident = locked_for(session, actor, incident_id, Act.INSTRUCT)
    apply_action(session, actor, incident, Action.INSTRUCT)
    number = next_number(session, Instruction.number, Instruction.incident_id, incident.id)
    session.add(
        Instruction(
            incident_id=incident.id,
            number=number,
            text=text,
            due_date=due,
            given_at=moment,
            given_by=actor.actor,
        )
    )
    detail = {"number": number, "due": due.isoformat() if due else None}
    record_event(session, incident.id, "instructed", actor=actor.actor, at=moment, detail=detail)
    notify_change(session, incident, NoticeEvent.INSTRUCTED, moment, due_at=_due_at(due))
    return InstructionResult(
        id=incident.id,
        number=number,
        due_on=due,
        status=instruction_status(None, due, moment),
    )


def complete_instruction(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: InstructionDoneInput,
    now: datetime | None = None,
) -> InstructionResult:
    """Mark instruction `number` done — by those who respond to the incident (its people, or
    managers above it, 甲's included); marking it again changes nothing (another note then
    is refused)."""
    moment = now or utcnow()
    note = (data.note or "").strip() or None
    # Answering an instruction is responding to the incident: the responders' rule of §8.
    incident = locked_for(session, actor, incident_id, Act.ANSWER)
    apply_action(session, actor, incident, Action.INSTRUCT)
    row = session.exec(
        select(Instruction).where(
            Instruction.incident_id == incident.id, Instruction.number == data.number
        )
    ).first()
    if row is None:
        raise BadInput("number", f"{incident.id} has no instruction {data.number}")
    if row.done_at is not None and note not in (None, row.done_note):
        # Marking it again is a retry; another note would be lost in silence.
        raise Conflict("note", f"instruction {data.number} is done already, with its note")
    if row.done_at is None:
        row.done_at = moment
        row.done_by = actor.actor
        row.done_note = note
        session.add(row)
        detail = {"number": row.number}
        record_event(
            session, incident.id, "instruction_done", actor=actor.actor, at=moment, detail=detail
        )
        notify_change(session, incident, NoticeEvent.INSTRUCTION_DONE, moment)
    return InstructionResult(
        id=incident.id,
        number=row.number,
        due_on=row.due_date,
        status=instruction_status(row.done_at, row.due_date, moment),
    )


def publish(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: PublishInput,
    now: datetime | None = None,
) -> PublicationResult:
    """甲's decision to publish the incident or withhold it (Art. 25); the latest is in force."""
    moment = now or utcnow()
    if not actor.is_person:
        raise BadInput("by", "name the manager of 甲 who decides")
    incident = locked_for(session, actor, incident_id, Act.PUBLISH)
    on, reason = check_publication(
        data.decision,
        on=data.on,
        reason=data.reason,
        today=tokyo_day(moment),
        discovered=tokyo_day(incident.discovered_at),
    )
    apply_action(session, actor, incident, Action.PUBLISH)
    session.add(
        PublicationDecision(
            incident_id=incident.id,
            decision=data.decision,
            on_date=on,
            reason=reason,
            decided_at=moment,
            decided_by=actor.actor,
        )
    )
    detail = {"decision": str(data.decision), "on": on.isoformat()}
    record_event(
        session, incident.id, "publication_decided", actor=actor.actor, at=moment, detail=detail
    )
    notify_change(session, incident, NoticeEvent.PUBLICATION, moment)
    return PublicationResult(id=incident.id, decision=data.decision, on=on, reason=reason)


def ppc_draft(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    stage: AppiStage = AppiStage.PRELIMINARY,
    fmt: str = "md",
    era: bool = False,
    now: datetime | None = None,
) -> bytes:
    """The draft of 甲's report to the PPC (漏えい等報告) from the record, for managers of 甲."""
    from jikoflow.records.data import record_data
    from jikoflow.records.ppc import render_ppc
    from jikoflow.records.render import DateStyle, RecordFormat

    moment = now or utcnow()
    incident = get_incident(session, incident_id)
    subject = Subject(incident.id, incident.contract_id, incident.org_id)
    # A draft changes nothing, so it takes no lock.
    authorize(session, actor, Act.SEE, subject)
    if not shows_appi(session, actor, incident.contract_id):
        # 甲's APPI duties are not shown to the other tiers (`status` leaves `appi` out), so
        # to them the draft is as unknown as an incident off their path.
        raise NotFound("id", f"no report to the PPC of {incident.id}: it is 甲's, shown to 甲")
    authorize(session, actor, Act.PPC, subject)
    if incident.is_drill:
        raise Conflict("id", f"{incident.id} is a drill's incident: nothing is reported to the PPC")
    record = record_data(session, incident.id, now=moment, appi=True)
    dates = DateStyle.ERA if era else DateStyle.WESTERN
    return render_ppc(record, stage=stage, fmt=RecordFormat(fmt), now=moment, dates=dates)


def ppc_draft_file(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    stage: AppiStage = AppiStage.PRELIMINARY,
    fmt: str = "md",
    era: bool = False,
    now: datetime | None = None,
) -> PpcDraftFile:
    """`ppc_draft` as a file to download, named after the incident and the stage."""
    body = ppc_draft(
        session, actor=actor, incident_id=incident_id, stage=stage, fmt=fmt, era=era, now=now
    )
    return PpcDraftFile(
        id=incident_id,
        stage=stage,
        format=fmt,
        filename=f"{incident_id}-ppc-{stage.value}.{fmt}",
        body=body,
    )


def _due_at(day: date | None) -> datetime | None:
    """The end of a due day in Tokyo, for a notice's due time."""
    return end_of_day(day) if day is not None else None

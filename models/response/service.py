"""The Article 24 sequence after declaration: contain, analyse, prevent, submit, accept.

Each function checks the state machine (models.lifecycle), writes the change, an audit event
and the chat notifications it causes, all in the caller's transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from jikoflow.models.audit.service import record_event
from jikoflow.models.audit.tables import AuditEvent
from jikoflow.models.enums import IncidentState, OrgKind, StepName, StepStatus
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.lifecycle import Action, next_state
from jikoflow.models.incidents.service import TOKYO, get_incident, get_step
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.outbox.facts import NoticeEvent, enqueue, facts_for
from jikoflow.models.parties.service import get_contract, get_person, organizations_by_id
from jikoflow.models.response.tables import (
    CauseRevision,
    ContainmentAction,
    PreventionMeasure,
    RecordVersion,
)
from jikoflow.models.types import utcnow


def _text(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise BadInput(field, "must not be empty")
    return text


def _actor(session: Session, by: str | None) -> str | None:
    if by is not None:
        get_person(session, by)
    return by


def _begin(session: Session, incident_id: str, action: Action, by: str | None) -> Incident:
    """Load the incident, check the action is allowed now, and apply the transition."""
    incident = get_incident(session, incident_id)
    _actor(session, by)
    after = next_state(incident.state, action, incident.id)
    if incident.state is IncidentState.SUBMITTED and after is IncidentState.OPEN:
        record_event(session, incident.id, "reopened", actor=by, detail={"reason": str(action)})
    incident.state = after
    session.add(incident)
    return incident


def _next_number(session: Session, number: Any, owner: Any, incident_id: str) -> int:
    """1 + the highest `number` among the incident's rows (revisions, measures)."""
    last = session.exec(select(func.max(number)).where(owner == incident_id)).one()
    return int(last or 0) + 1


def _complete(session: Session, incident: Incident, name: StepName, at: datetime) -> bool:
    step = get_step(session, incident.id, name)
    if step.status is StepStatus.DONE:
        return False
    step.status = StepStatus.DONE
    step.done_at = at
    session.add(step)
    record_event(session, incident.id, "step_done", at=at, detail={"step": str(name)})
    return True


def notify_change(
    session: Session,
    incident: Incident,
    event: NoticeEvent,
    now: datetime,
    *,
    step: StepName | None = None,
    record_version: int | None = None,
) -> None:
    """Tell the incident's organisation and every report recipient — names and states only."""
    session.flush()
    recipients = session.exec(
        select(Report.recipient_id).where(Report.incident_id == incident.id)
    ).all()
    orgs = organizations_by_id(session, [incident.org_id, *recipients])
    # The latest audit sequence number makes the key unique per change, and stable on retry.
    seq = session.exec(
        select(func.max(AuditEvent.seq)).where(AuditEvent.chain == incident.id)
    ).one()
    base = facts_for(session, incident, event, step=step, record_version=record_version, now=now)
    marker = f"{step or ''}:{record_version or ''}:{seq}"
    for org in orgs.values():
        facts = base.model_copy(update={"recipient_id": org.id, "recipient_name": org.name})
        enqueue(session, facts, org, key_suffix=f"{marker}:{org.id}")


def record_containment(
    session: Session,
    incident_id: str,
    *,
    action: str,
    done: bool = False,
    by: str | None = None,
    now: datetime | None = None,
) -> ContainmentAction:
    """Record one containment measure; the first completes the 1-hour clock."""
    moment = now or utcnow()
    text = _text(action, "--action")
    incident = _begin(session, incident_id, Action.CONTAIN, by)
    row = ContainmentAction(incident_id=incident.id, at=moment, by=by, text=text, contained=done)
    session.add(row)
    record_event(
        session,
        incident.id,
        "containment_recorded",
        actor=by,
        at=moment,
        detail={"contained": done},
    )
    changed = _complete(session, incident, StepName.CONTAINMENT, moment)
    if done and incident.contained_at is None:
        incident.contained_at = moment
        session.add(incident)
        record_event(session, incident.id, "contained", actor=by, at=moment)
        changed = True
    if changed:
        notify_change(session, incident, NoticeEvent.STATE, moment, step=StepName.CONTAINMENT)
    return row


def record_cause(
    session: Session,
    incident_id: str,
    *,
    text: str,
    by: str | None = None,
    now: datetime | None = None,
) -> CauseRevision:
    """Record (or revise) the root-cause analysis; every revision is kept."""
    moment = now or utcnow()
    body = _text(text, "--text")
    incident = _begin(session, incident_id, Action.CAUSE, by)
    revision = _next_number(session, CauseRevision.revision, CauseRevision.incident_id, incident.id)
    row = CauseRevision(incident_id=incident.id, revision=revision, at=moment, by=by, text=body)
    session.add(row)
    record_event(
        session,
        incident.id,
        "cause_recorded",
        actor=by,
        at=moment,
        detail={"revision": row.revision},
    )
    if _complete(session, incident, StepName.ROOT_CAUSE, moment):
        notify_change(session, incident, NoticeEvent.STATE, moment, step=StepName.ROOT_CAUSE)
    return row


def has_cause(session: Session, incident_id: str) -> bool:
    """Whether a root cause has been recorded."""
    query = select(CauseRevision.id).where(CauseRevision.incident_id == incident_id)
    return session.exec(query).first() is not None


def add_measure(
    session: Session,
    incident_id: str,
    *,
    measure: str,
    owner: str | None = None,
    due: date | None = None,
    by: str | None = None,
    now: datetime | None = None,
) -> PreventionMeasure:
    """Add a recurrence-prevention measure; refused before a root cause exists."""
    moment = now or utcnow()
    text = _text(measure, "--measure")
    if owner is not None:
        get_person(session, owner, "--owner")
    if due is not None and due < moment.astimezone(TOKYO).date():
        raise BadInput("--due", f"{due.isoformat()} is in the past")
    incident = _begin(session, incident_id, Action.PREVENT, by)
    if not has_cause(session, incident.id):
        raise BadInput("ID", f"{incident.id} has no root cause yet: record it with `cause` first")
    number = _next_number(
        session, PreventionMeasure.number, PreventionMeasure.incident_id, incident.id
    )
    row = PreventionMeasure(
        incident_id=incident.id,
        number=number,
        text=text,
        owner_id=owner,
        due_date=due,
        created_at=moment,
        created_by=by,
    )
    session.add(row)
    record_event(
        session,
        incident.id,
        "measure_added",
        actor=by,
        at=moment,
        detail={"number": row.number, "owner": owner, "due": due.isoformat() if due else None},
    )
    if _complete(session, incident, StepName.PREVENTION, moment):
        notify_change(session, incident, NoticeEvent.STATE, moment, step=StepName.PREVENTION)
    return row


def implement_measure(
    session: Session,
    incident_id: str,
    *,
    number: int,
    by: str | None = None,
    now: datetime | None = None,
) -> PreventionMeasure:
    """Mark measure `number` implemented."""
    moment = now or utcnow()
    incident = _begin(session, incident_id, Action.IMPLEMENT, by)
    row = session.exec(
        select(PreventionMeasure).where(
            PreventionMeasure.incident_id == incident.id, PreventionMeasure.number == number
        )
    ).first()
    if row is None:
        raise BadInput("--implemented", f"{incident.id} has no measure {number}")
    if row.implemented_at is None:
        row.implemented_at = moment
        row.implemented_by = by
        session.add(row)
        record_event(
            session,
            incident.id,
            "measure_implemented",
            actor=by,
            at=moment,
            detail={"number": number},
        )
    return row


def missing_for_submit(session: Session, incident: Incident) -> list[str]:
    """What must exist before the written record can be submitted (empty when ready)."""
    missing = []
    if incident.contained_at is None:
        missing.append("containment not marked done (`contain ID --action … --done`)")
    if not has_cause(session, incident.id):
        missing.append("root cause (`cause ID --text …`)")
    measures = select(PreventionMeasure.id).where(PreventionMeasure.incident_id == incident.id)
    if session.exec(measures).first() is None:
        missing.append("a prevention measure (`prevent ID --measure …`)")
    return missing


def check_submittable(session: Session, incident_id: str) -> Incident:
    """The incident, if its record may be submitted now; otherwise a refusal naming every gap."""
    incident = get_incident(session, incident_id)
    next_state(incident.state, Action.SUBMIT, incident.id)
    missing = missing_for_submit(session, incident)
    if missing:
        raise BadInput("ID", f"{incident.id} cannot be submitted; missing: " + "; ".join(missing))
    return incident


@dataclass(frozen=True)
class Submitted:
    """A frozen version of the written record."""

    version: int
    sha256: str
    submitted_at: datetime


def latest_version(session: Session, incident_id: str) -> RecordVersion | None:
    """The newest submitted version of the written record, if any."""
    return session.exec(
        select(RecordVersion)
        .where(RecordVersion.incident_id == incident_id)
        .order_by(col(RecordVersion.version).desc())
    ).first()


def submit_record(
    session: Session,
    incident_id: str,
    *,
    content: str,
    lang: str = "ja",
    by: str | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Freeze `content` (the rendered record) as the next version; notify 甲, 乙 and the chain."""
    moment = now or utcnow()
    incident = check_submittable(session, incident_id)
    digest = hashlib.sha256(content.encode()).hexdigest()
    latest = latest_version(session, incident.id)
    if incident.state is IncidentState.SUBMITTED and latest is not None:
        raise BadInput("ID", f"{incident.id} is unchanged since version {latest.version}")
    _begin(session, incident.id, Action.SUBMIT, by)
    version = latest.version + 1 if latest else 1
    session.add(
        RecordVersion(
            incident_id=incident.id,
            version=version,
            lang=lang,
            content=content,
            sha256=digest,
            submitted_at=moment,
            submitted_by=by,
        )
    )
    record_event(
        session,
        incident.id,
        "record_submitted",
        actor=by,
        at=moment,
        detail={"version": version, "sha256": digest},
    )
    _complete(session, incident, StepName.RECORD, moment)
    notify_change(session, incident, NoticeEvent.SUBMITTED, moment, record_version=version)
    return Submitted(version, digest, moment)


def accept_record(
    session: Session, incident_id: str, *, by: str, now: datetime | None = None
) -> RecordVersion:
    """甲 accepts the latest submitted version, closing the incident."""
    moment = now or utcnow()
    incident = get_incident(session, incident_id)
    person = get_person(session, by)
    contract = get_contract(session, incident.contract_id, "ID")
    client = organizations_by_id(session, [contract.client_id])[contract.client_id]
    if person.org_id != client.id or client.kind is not OrgKind.CLIENT:
        raise BadInput("--by", f"{by} is not a person of the client (甲) {client.id}")
    _begin(session, incident.id, Action.ACCEPT, by)
    latest = latest_version(session, incident.id)
    assert latest is not None  # SUBMITTED implies a version exists
    latest.accepted_at = moment
    latest.accepted_by = by
    incident.closed_at = moment
    session.add_all([latest, incident])
    record_event(
        session,
        incident.id,
        "record_accepted",
        actor=by,
        at=moment,
        detail={"version": latest.version, "sha256": latest.sha256},
    )
    notify_change(session, incident, NoticeEvent.CLOSED, moment, record_version=latest.version)
    return latest

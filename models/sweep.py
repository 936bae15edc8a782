"""Clocks that remind and escalate (DESIGN.md §6): one pass over every open step that is due.

Warn time → a reminder to the organisation's managers (and, for the report step, to the
recipients who have not acknowledged). Overdue → an escalation to every ancestor up to 乙 and
to 甲. Each is queued once per step and level, however often the sweep runs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select

from models.audit import record_event
from models.enums import IncidentState, ReportStatus, StepName, StepStatus
from models.notices import NoticeEvent, NoticeFacts, enqueue, facts_for
from models.parties import managers_of, organizations_by_id
from models.tables import Incident, Organization, Report, Step


@dataclass
class ClockResult:
    """What one pass queued."""

    reminders: int = 0
    escalations: int = 0
    incidents: int = 0


def due_steps(
    session: Session, now: datetime, incident_id: str | None = None, step: StepName | None = None
) -> list[tuple[Step, Incident]]:
    """Open steps whose warn time or due time has passed without a message for that level."""
    query = (
        select(Step, Incident)
        .join(Incident, col(Incident.id) == Step.incident_id)
        .where(
            Incident.state != IncidentState.CLOSED,
            Step.status != StepStatus.DONE,
            or_(
                (col(Step.warn_at) <= now) & col(Step.reminded_at).is_(None),
                (col(Step.due_at) <= now) & col(Step.escalated_at).is_(None),
            ),
        )
        .order_by(col(Step.incident_id), col(Step.id))
    )
    if incident_id is not None:
        query = query.where(Step.incident_id == incident_id)
    if step is not None:
        query = query.where(Step.name == step)
    return [(step, incident) for step, incident in session.exec(query)]


def sweep_clocks(
    session: Session,
    now: datetime,
    *,
    incident_id: str | None = None,
    step: StepName | None = None,
) -> ClockResult:
    """Queue every reminder and escalation that is due at `now` (of one incident or step)."""
    result = ClockResult()
    by_incident: dict[str, list[Step]] = defaultdict(list)
    incidents: dict[str, Incident] = {}
    for due, incident in due_steps(session, now, incident_id, step):
        by_incident[incident.id].append(due)
        incidents[incident.id] = incident
    if not incidents:
        return result
    reports = session.exec(select(Report).where(col(Report.incident_id).in_(list(incidents)))).all()
    recipients: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        recipients[report.incident_id].append(report)
    org_ids = {i.org_id for i in incidents.values()} | {r.recipient_id for r in reports}
    orgs = organizations_by_id(session, sorted(org_ids))
    mentions = {
        org: tuple(p.slack_user for p in people if p.slack_user)
        for org, people in managers_of(session, sorted(org_ids)).items()
    }
    for key, steps in by_incident.items():
        incident = incidents[key]
        base = facts_for(session, incident, NoticeEvent.REMINDER, now=now)
        for row in steps:
            _sweep_step(session, row, incident, base, recipients[key], orgs, mentions, now, result)
        result.incidents += 1
    return result


def _sweep_step(
    session: Session,
    step: Step,
    incident: Incident,
    base: NoticeFacts,
    reports: list[Report],
    orgs: dict[str, Organization],
    mentions: dict[str, tuple[str, ...]],
    now: datetime,
    result: ClockResult,
) -> None:
    overdue = step.due_at <= now
    if overdue:
        targets = [incident.org_id, *(r.recipient_id for r in reports)]
        event, level = NoticeEvent.ESCALATION, "escalation"
        step.escalated_at = now
        step.reminded_at = step.reminded_at or now
        result.escalations += 1
    else:
        waiting = [r.recipient_id for r in reports if r.status is not ReportStatus.ACKNOWLEDGED]
        targets = [incident.org_id, *(waiting if step.name is StepName.REPORT else [])]
        event, level = NoticeEvent.REMINDER, "reminder"
        step.reminded_at = now
        result.reminders += 1
    session.add(step)
    status = StepStatus.OVERDUE if overdue else step.status
    for org_id in dict.fromkeys(targets):
        org = orgs[org_id]
        facts = base.model_copy(
            update={
                "event": event,
                "step": step.name,
                "step_status": status,
                "due_at": step.due_at,
                "recipient_id": org.id,
                "recipient_name": org.name,
                "mentions": mentions[org_id],
            }
        )
        enqueue(session, facts, org, key_suffix=f"{step.name}:{org.id}")
    record_event(
        session,
        incident.id,
        level,
        at=now,
        detail={"step": str(step.name), "to": list(dict.fromkeys(targets))},
    )

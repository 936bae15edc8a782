"""Clocks that remind and escalate (DESIGN.md §6): one pass over every open step that is due.

Warn time → a reminder to the organisation's managers (and, for the report step, to the
recipients who have not acknowledged). Overdue → an escalation to every ancestor up to 乙 and
to 甲. Each is queued once per step and level, however often the sweep runs: the step keeps
when it was reminded and escalated, and every message has an idempotency key.

The pass loads everything it needs in a few queries, so a busy minute with thousands of
incidents stays well inside the minute.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, or_, select

from jikoflow.models.audit.service import record_events
from jikoflow.models.enums import IncidentState, ReportStatus, StepName, StepStatus
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.outbox.facts import (
    NoticeEvent,
    NoticeFacts,
    Variant,
    build_facts,
    enqueue_many,
)
from jikoflow.models.parties.queries import managers_of
from jikoflow.models.parties.tables import Contract, Organization


@dataclass
class ClockResult:
    """What one pass queued."""

    reminders: int = 0
    escalations: int = 0
    incidents: int = 0
    messages: int = 0


@dataclass
class _Loaded:
    """Every row the pass needs, keyed for lookup."""

    steps: dict[str, list[Step]] = field(default_factory=lambda: defaultdict(list))
    reports: dict[str, list[tuple[Report, Organization]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    orgs: dict[str, Organization] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    mentions: dict[str, tuple[str, ...]] = field(default_factory=dict)


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
    return [(row, incident) for row, incident in session.exec(query)]


def _load(session: Session, incidents: dict[str, Incident]) -> _Loaded:
    loaded = _Loaded()
    ids = list(incidents)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.exec(
            select(Step).where(col(Step.incident_id).in_(chunk)).order_by(col(Step.id))
        ):
            loaded.steps[row.incident_id].append(row)
        for report, org in session.exec(
            select(Report, Organization)
            .join(Organization, col(Organization.id) == Report.recipient_id)
            .where(col(Report.incident_id).in_(chunk))
            .order_by(col(Report.id))
        ):
            loaded.reports[report.incident_id].append((report, org))
            loaded.orgs[org.id] = org
    own = {i.org_id for i in incidents.values()} - set(loaded.orgs)
    loaded.orgs |= {
        o.id: o
        for o in session.exec(select(Organization).where(col(Organization.id).in_(sorted(own))))
    }
    contract_ids = sorted({i.contract_id for i in incidents.values()})
    loaded.contracts = {
        c.id: c for c in session.exec(select(Contract).where(col(Contract.id).in_(contract_ids)))
    }
    loaded.mentions = {
        org: tuple(p.slack_user for p in people if p.slack_user)
        for org, people in managers_of(session, sorted(loaded.orgs)).items()
    }
    return loaded


def sweep_clocks(
    session: Session,
    now: datetime,
    *,
    incident_id: str | None = None,
    step: StepName | None = None,
) -> ClockResult:
    """Queue every reminder and escalation that is due at `now` (of one incident or step)."""
    result = ClockResult()
    due = due_steps(session, now, incident_id, step)
    incidents = {incident.id: incident for _, incident in due}
    if not incidents:
        return result
    loaded = _load(session, incidents)
    messages: list[tuple[NoticeFacts, Variant, Organization, str]] = []
    events: list[tuple[str, str, dict[str, object], datetime]] = []
    base: dict[str, NoticeFacts] = {}
    for row, incident in due:
        if incident.id not in base:
            base[incident.id] = build_facts(
                incident,
                loaded.contracts[incident.contract_id],
                loaded.orgs[incident.org_id],
                loaded.steps[incident.id],
                loaded.reports[incident.id],
                NoticeEvent.REMINDER,
                now=now,
            )
        targets, event = _level(row, incident, loaded.reports[incident.id], now, result)
        status = StepStatus.OVERDUE if event is NoticeEvent.ESCALATION else row.status
        for org_id in targets:
            org = loaded.orgs[org_id]
            variant = Variant(
                event=event,
                step=row.name,
                step_status=status,
                due_at=row.due_at,
                recipient_id=org.id,
                recipient_name=org.name,
                mentions=loaded.mentions.get(org_id, ()),
            )
            messages.append((base[incident.id], variant, org, f"{row.name}:{org.id}"))
        events.append((incident.id, str(event), {"step": str(row.name), "to": targets}, now))
    result.incidents = len(incidents)
    result.messages = enqueue_many(session, messages)
    record_events(session, events)
    return result


def _level(
    row: Step,
    incident: Incident,
    reports: list[tuple[Report, Organization]],
    now: datetime,
    result: ClockResult,
) -> tuple[list[str], NoticeEvent]:
    """Who hears about this step now, at which level; marks the step so it is said once."""
    if row.due_at <= now:
        row.escalated_at = now
        row.reminded_at = row.reminded_at or now
        result.escalations += 1
        recipients = [r.recipient_id for r, _ in reports]
        return list(dict.fromkeys([incident.org_id, *recipients])), NoticeEvent.ESCALATION
    row.reminded_at = now
    result.reminders += 1
    waiting = [r.recipient_id for r, _ in reports if r.status is not ReportStatus.ACKNOWLEDGED]
    chosen = waiting if row.name is StepName.REPORT else []
    return list(dict.fromkeys([incident.org_id, *chosen])), NoticeEvent.REMINDER

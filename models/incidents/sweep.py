"""Clocks that remind and escalate (DESIGN.md §6): one pass over every open clock that is due.

A step at its warn time → a reminder to the incident organisation's managers. A step overdue →
an escalation to every ancestor up to 乙 and to 甲, repeated by the contract's policy (every
hour for hour-scale clocks, every business day at 09:00 for day-scale ones) until it is done.
A report delivered and not acknowledged → a reminder to the recipient's managers every 30
minutes from its warn time, and from its due time an escalation to the reporter's managers and
乙, repeated like a step's. Caps come from the policy; closed incidents and acknowledged
reports stop at once. The report step itself speaks only while a report is undelivered: once
all are out, each recipient's acknowledgement clock speaks for it.

Each occurrence is queued once: the rows keep what was queued and when the next is due
(`next_alert_at`), and every message's idempotency key names its occurrence, so a sweep run
twice sends nothing twice. A sweep that ran late sends the newest occurrence, not every one it
missed. The sweep asks only for rows that are due, each condition a range of an index that
leads with the status and then the clock, so a minute in which nothing is due reads no row
whatever the number of open incidents.

Two sweeps at once, or a sweep and an act on the same incident, never meet: a sweep locks the
incidents it chases and passes by one that another transaction holds, which is then chased at
the next sweep (PostgreSQL; SQLite lets one writer in at a time). `plan_clocks` decides without
writing anything; `sweep_clocks` decides and writes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, and_, col, select

from jikoflow.models.audit.service import record_events
from jikoflow.models.db import unless_held
from jikoflow.models.enums import IncidentState, ReportStatus, StepName, StepStatus
from jikoflow.models.incidents.clocks import due_time, warn_time
from jikoflow.models.incidents.repeats import allowed, escalation, newest, occurrence
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.outbox.facts import (
    NoticeEvent,
    NoticeFacts,
    Variant,
    build_facts,
    enqueue_many,
    person_names,
)
from jikoflow.models.parties.queries import managers_of
from jikoflow.models.parties.tables import Contract, Organization
from jikoflow.models.policy.schemas import ContractPolicy, Repeat
from jikoflow.models.policy.service import contract_policy
from jikoflow.models.policy.span import Span

_log = logging.getLogger(__name__)
_UNDELIVERED = (ReportStatus.PENDING, ReportStatus.FAILED)
DEFAULT_ACK_DUE = Span.parse("1h")  # DESIGN.md §6, when a policy sets no due time
Item = tuple[NoticeFacts, Variant, Organization, str]


@dataclass
class ClockResult:
    """What one pass queued (or, planned only, would queue)."""

    reminders: int = 0
    escalations: int = 0
    incidents: int = 0
    messages: int = 0
    items: list[Item] = field(default_factory=list)
    # Incidents whose planning failed (id → the error), skipped this pass.
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class _Plan:
    """What the clocks call for: messages, audit events, and the rows' new bookkeeping."""

    result: ClockResult = field(default_factory=ClockResult)
    events: list[tuple[str, str, dict[str, object], datetime]] = field(default_factory=list)
    changes: list[tuple[Step | Report, dict[str, Any]]] = field(default_factory=list)


@dataclass
class _Loaded:
    """Every row the pass needs, keyed for lookup."""

    steps: dict[str, list[Step]] = field(default_factory=lambda: defaultdict(list))
    reports: dict[str, list[tuple[Report, Organization]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    orgs: dict[str, Organization] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    policies: dict[str, ContractPolicy] = field(default_factory=dict)
    mentions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    base: dict[str, NoticeFacts] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


# Stored step states that still run a clock (`overdue` is never stored; listed for safety).
_OPEN_STEPS = tuple(s for s in StepStatus if s is not StepStatus.DONE)


def due_steps(
    session: Session, now: datetime, incident_id: str | None = None, step: StepName | None = None
) -> list[tuple[Step, Incident]]:
    """Open steps of open incidents whose warn time has come (nothing queued yet) or whose next
    reminder or escalation is due."""
    # Two queries, each a range of the index on (status, next_alert_at, escalated_at,
    # warn_at), so a sweep reads only the steps that are due: an OR of both reads them all.
    armed = and_(col(Step.next_alert_at) <= now)
    unarmed = and_(
        col(Step.next_alert_at).is_(None),
        col(Step.escalated_at).is_(None),
        col(Step.warn_at) <= now,
    )
    rows: list[tuple[Step, Incident]] = []
    for clock in (armed, unarmed):
        query = unless_held(
            select(Step, Incident)
            .join(Incident, col(Incident.id) == Step.incident_id)
            .where(
                col(Step.status).in_(_OPEN_STEPS), clock, Incident.state != IncidentState.CLOSED
            ),
            Incident,
        )
        if incident_id is not None:
            query = query.where(Step.incident_id == incident_id)
        if step is not None:
            query = query.where(Step.name == step)
        rows.extend((row, incident) for row, incident in session.exec(query))
    return sorted(rows, key=lambda pair: (pair[0].incident_id, pair[0].id or 0))


def due_reports(
    session: Session, now: datetime, incident_id: str | None = None
) -> list[tuple[Report, Incident]]:
    """Delivered, unacknowledged reports of open incidents whose clock is not armed yet or whose
    next reminder or escalation is due."""
    # As for steps: two ranges of the index on (status, next_alert_at, reminders, escalations).
    armed = and_(col(Report.next_alert_at) <= now)
    unarmed = and_(
        col(Report.next_alert_at).is_(None), Report.reminders == 0, Report.escalations == 0
    )
    rows: list[tuple[Report, Incident]] = []
    for clock in (armed, unarmed):
        query = unless_held(
            select(Report, Incident)
            .join(Incident, col(Incident.id) == Report.incident_id)
            .where(
                Report.status == ReportStatus.DELIVERED,
                clock,
                Incident.state != IncidentState.CLOSED,
            ),
            Incident,
        )
        if incident_id is not None:
            query = query.where(Report.incident_id == incident_id)
        rows.extend((report, incident) for report, incident in session.exec(query))
    return sorted(rows, key=lambda pair: (pair[0].incident_id, pair[0].id or 0))


def _load(session: Session, incidents: dict[str, Incident], now: datetime) -> _Loaded:
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
    contract_ids = sorted({i.contract_id for i in incidents.values()})
    loaded.contracts = {
        c.id: c for c in session.exec(select(Contract).where(col(Contract.id).in_(contract_ids)))
    }
    loaded.policies = {c: contract_policy(session, c) for c in contract_ids}
    own = {i.org_id for i in incidents.values()} | {
        c.contractor_id for c in loaded.contracts.values()
    }
    missing = sorted(own - set(loaded.orgs))
    loaded.orgs |= {
        o.id: o for o in session.exec(select(Organization).where(col(Organization.id).in_(missing)))
    }
    loaded.mentions = {
        org: tuple(p.slack_user for p in people if p.slack_user)
        for org, people in managers_of(session, sorted(loaded.orgs)).items()
    }
    loaded.names = person_names(
        session, [r.acknowledged_by for rows in loaded.reports.values() for r, _ in rows]
    )
    return loaded


def _base_facts(loaded: _Loaded, incident: Incident, now: datetime) -> None:
    """The facts every message of one incident starts from."""
    loaded.base[incident.id] = build_facts(
        incident,
        loaded.contracts[incident.contract_id],
        loaded.orgs[incident.org_id],
        loaded.steps[incident.id],
        loaded.reports[incident.id],
        NoticeEvent.REMINDER,
        now=now,
        names=loaded.names,
    )


def plan_clocks(
    session: Session,
    now: datetime,
    *,
    incident_id: str | None = None,
    step: StepName | None = None,
) -> _Plan:
    """What the clocks call for at `now` (of one incident or step, or all); writes nothing."""
    plan = _Plan()
    steps = due_steps(session, now, incident_id, step)
    reports = due_reports(session, now, incident_id) if step in (None, StepName.REPORT) else []
    incidents = {i.id: i for _, i in steps} | {i.id: i for _, i in reports}
    if not incidents:
        return plan
    loaded = _load(session, incidents, now)
    for incident in incidents.values():
        _isolated(plan, incident, lambda: _base_facts(loaded, incident, now))  # noqa: B023
    for row, incident in steps:
        _isolated(plan, incident, lambda: _plan_step(plan, loaded, row, incident, now))  # noqa: B023
    for report, incident in reports:
        _isolated(plan, incident, lambda: _plan_report(plan, loaded, report, incident, now))  # noqa: B023
    plan.result.incidents = len({i for _, i, _, _ in plan.events})
    return plan


def _isolated(plan: _Plan, incident: Incident, planning: Callable[[], None]) -> None:
    """Plan one row; if it fails, undo what it planned and record the incident as failed, so one
    incident never stops the reminders and escalations of the others."""
    if incident.id in plan.result.failed:
        return
    marks = (len(plan.events), len(plan.changes), len(plan.result.items))
    counts = (plan.result.reminders, plan.result.escalations)
    try:
        planning()
    except Exception as exc:
        del plan.events[marks[0] :], plan.changes[marks[1] :], plan.result.items[marks[2] :]
        plan.result.reminders, plan.result.escalations = counts
        plan.result.failed[incident.id] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        _log.warning("sweep skipped %s: %s", incident.id, plan.result.failed[incident.id])


def sweep_clocks(
    session: Session,
    now: datetime,
    *,
    incident_id: str | None = None,
    step: StepName | None = None,
) -> ClockResult:
    """Queue every reminder and escalation due at `now` (of one incident or step, or all)."""
    plan = plan_clocks(session, now, incident_id=incident_id, step=step)
    for row, values in plan.changes:
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
    plan.result.messages = enqueue_many(session, plan.result.items)
    record_events(session, plan.events)
    return plan.result


def _message(
    plan: _Plan,
    loaded: _Loaded,
    incident: Incident,
    org_id: str,
    suffix: str,
    **variant: Any,
) -> None:
    org = loaded.orgs[org_id]
    facts = Variant(
        recipient_id=org.id,
        recipient_name=org.name,
        mentions=loaded.mentions.get(org_id, ()),
        **variant,
    )
    plan.result.items.append((loaded.base[incident.id], facts, org, suffix))


def _scale(policy: ContractPolicy, name: StepName, incident: Incident) -> Repeat:
    """How an overdue step repeats: day-scale clocks by the day, the others by the hour."""
    clock = policy.clocks.for_step(name, improper_purpose=incident.improper_purpose)
    day = clock.due is not None and clock.due.day_scale
    return policy.escalation.day_scale if day else policy.escalation.hour_scale


def _plan_step(plan: _Plan, loaded: _Loaded, row: Step, incident: Incident, now: datetime) -> None:
    # Once every report is out, each recipient's acknowledgement clock speaks for this step.
    quiet = row.name is StepName.REPORT and not any(
        r.status in _UNDELIVERED for r, _ in loaded.reports[incident.id]
    )
    if now < row.due_at:
        plan.changes.append(
            (row, {"reminded_at": row.reminded_at or now, "next_alert_at": row.due_at})
        )
        if row.reminded_at is None and not quiet:
            _message(
                plan,
                loaded,
                incident,
                incident.org_id,
                f"{row.name}:{incident.org_id}",
                event=NoticeEvent.REMINDER,
                step=row.name,
                step_status=row.status,
                due_at=row.due_at,
            )
            plan.result.reminders += 1
            detail: dict[str, object] = {"step": str(row.name), "to": [incident.org_id]}
            plan.events.append((incident.id, str(NoticeEvent.REMINDER), detail, now))
        return
    repeat = _scale(loaded.policies[incident.contract_id], row.name, incident)
    index, upcoming = escalation(row.escalations, row.due_at, row.next_alert_at, now, repeat)
    plan.changes.append(
        (
            row,
            {
                "escalations": index + 1,
                "escalated_at": now,
                "reminded_at": row.reminded_at or now,
                "next_alert_at": upcoming,
            },
        )
    )
    if quiet:
        return
    recipients = [r.recipient_id for r, _ in loaded.reports[incident.id]]
    targets = list(dict.fromkeys([incident.org_id, *recipients]))
    for org_id in targets:
        suffix = f"{row.name}:{org_id}" + (f":{index}" if index else "")
        _message(
            plan,
            loaded,
            incident,
            org_id,
            suffix,
            event=NoticeEvent.ESCALATION,
            step=row.name,
            step_status=StepStatus.OVERDUE,
            due_at=row.due_at,
        )
    plan.result.escalations += 1
    said: dict[str, object] = {"step": str(row.name), "to": targets, "repeat": index}
    plan.events.append((incident.id, str(NoticeEvent.ESCALATION), said, now))


def _plan_report(
    plan: _Plan, loaded: _Loaded, report: Report, incident: Incident, now: datetime
) -> None:
    delivered = report.delivered_at or report.sent_at
    if delivered is None:
        return
    policy = loaded.policies[incident.contract_id]
    clock = policy.clocks.acknowledgement
    # Counted from delivery as the steps' clocks are: business days where the policy says so.
    due = due_time(delivered, clock.due or DEFAULT_ACK_DUE, business_days=policy.business_days)
    first = warn_time(delivered, due, clock, business_days=policy.business_days)
    remind = policy.escalation.acknowledgement
    day = clock.due is not None and clock.due.day_scale
    escalate = policy.escalation.day_scale if day else policy.escalation.hour_scale
    reminders = _ack_reminder(plan, loaded, report, incident, first, due, remind, now)
    escalations = _ack_escalation(plan, loaded, report, incident, due, escalate, now)
    upcoming = [
        occurrence(start, count, repeat)
        for start, count, repeat in ((first, reminders, remind), (due, escalations, escalate))
        if allowed(count, repeat)
    ]
    values = {
        "reminders": reminders,
        "escalations": escalations,
        "next_alert_at": min(upcoming) if upcoming else None,
    }
    plan.changes.append((report, values))


def _ack_reminder(
    plan: _Plan,
    loaded: _Loaded,
    report: Report,
    incident: Incident,
    first: datetime,
    due: datetime,
    repeat: Repeat,
    now: datetime,
) -> int:
    """Remind the recipient of its newest due occurrence; returns the reminders queued."""
    if now < first or not allowed(report.reminders, repeat):
        return report.reminders
    at = occurrence(first, report.reminders, repeat)
    if at > now:
        return report.reminders
    index, _ = newest(report.reminders, at, now, repeat)
    org = report.recipient_id
    _message(
        plan,
        loaded,
        incident,
        org,
        f"{org}:{index}",
        event=NoticeEvent.ACK_REMINDER,
        step=StepName.REPORT,
        due_at=due,
    )
    plan.result.reminders += 1
    detail: dict[str, object] = {"acknowledgement": org, "to": [org], "repeat": index}
    plan.events.append((incident.id, str(NoticeEvent.REMINDER), detail, now))
    return index + 1


def _ack_escalation(
    plan: _Plan,
    loaded: _Loaded,
    report: Report,
    incident: Incident,
    due: datetime,
    repeat: Repeat,
    now: datetime,
) -> int:
    """Tell the reporter's managers and 乙 of the newest due occurrence; returns how many."""
    if now < due or not allowed(report.escalations, repeat):
        return report.escalations
    at = occurrence(due, report.escalations, repeat)
    if at > now:
        return report.escalations
    index, _ = newest(report.escalations, at, now, repeat)
    silent = loaded.orgs[report.recipient_id]
    contractor = loaded.contracts[incident.contract_id].contractor_id
    targets = list(dict.fromkeys([incident.org_id, contractor]))
    for org_id in targets:
        _message(
            plan,
            loaded,
            incident,
            org_id,
            f"{silent.id}:{org_id}:{index}",
            event=NoticeEvent.ACK_OVERDUE,
            step=StepName.REPORT,
            due_at=due,
            party_id=silent.id,
            party_name=silent.name,
        )
    plan.result.escalations += 1
    detail: dict[str, object] = {"acknowledgement": silent.id, "to": targets, "repeat": index}
    plan.events.append((incident.id, str(NoticeEvent.ESCALATION), detail, now))
    return index + 1

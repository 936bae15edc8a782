"""Read models built from rows: one incident as `status` shows it, many as `list` shows them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from jikoflow.models.audit.verify import check_incident
from jikoflow.models.enums import StepName, StepStatus
from jikoflow.models.incidents.clocks import shown_status
from jikoflow.models.incidents.schemas import (
    FailedNotice,
    IncidentStatus,
    IncidentSummary,
    NoticeCounts,
    ReportView,
    StepView,
)
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.outbox.facts import OutboxStatus, person_names
from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.models.parties.queries import chain_for, organizations_by_id
from jikoflow.models.parties.tables import Contract

_WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)
_STUCK = (OutboxStatus.FAILED, OutboxStatus.UNREACHABLE)


def summary_of(incident: Incident, overdue: Sequence[StepName]) -> IncidentSummary:
    """One incident as `list` shows it, with the steps that are late."""
    return IncidentSummary(
        id=incident.id,
        contract=incident.contract_id,
        org=incident.org_id,
        kind=incident.kind,
        suspected=incident.suspected,
        state=incident.state,
        declared_at=incident.declared_at,
        drill=incident.is_drill,
        overdue_steps=list(overdue),
    )


def incident_status_of(
    session: Session, incident: Incident, now: datetime, *, appi: bool = True
) -> IncidentStatus:
    """Everything `status` shows about one incident, as of `now`; `appi`: with 甲's APPI
    clocks (they are 甲's duties, shown to 甲's people)."""
    from jikoflow.models.facts.store import decisions_view

    # Read once and held here: the decisions below find them in the session (its identity
    # map keeps only rows someone still holds), so nothing is read twice.
    contract = session.get_one(Contract, incident.contract_id)
    reports = session.exec(
        select(Report).where(Report.incident_id == incident.id).order_by(col(Report.id))
    ).all()
    orgs = organizations_by_id(
        session, [incident.org_id, contract.client_id, *(r.recipient_id for r in reports)]
    )
    decided = decisions_view(session, incident, now=now, reports=reports)
    steps = session.exec(select(Step).where(Step.incident_id == incident.id).order_by(col(Step.id)))
    notes = session.execute(
        sa.select(
            col(Notification.id),
            col(Notification.org_id),
            col(Notification.event),
            col(Notification.status),
            col(Notification.last_error),
            col(Notification.report_id),
            col(Notification.transport),
        )
        .where(col(Notification.incident_id) == incident.id)
        .order_by(col(Notification.id))
    ).all()
    reached = _reached(notes)
    names = person_names(session, [r.acknowledged_by for r in reports])
    opened = sorted(
        session.exec(select(Incident.id).where(Incident.linked_incident_id == incident.id))
    )
    views = [
        StepView(
            name=s.name,
            status=(
                shown := shown_status(
                    s.name,
                    s.status,
                    s.due_at,
                    now,
                    closed=incident.closed_at is not None,
                    contained=incident.contained_at is not None,
                )
            ),
            due_at=s.due_at,
            warn_at=s.warn_at,
            # Containment is done when contained; its clock was met by the first measure.
            done_at=s.done_at if shown is StepStatus.DONE else None,
            clock_met_at=s.done_at,
        )
        for s in steps
    ]
    late = [v.name for v in views if v.status is StepStatus.OVERDUE]
    return IncidentStatus(
        **summary_of(incident, late).model_dump(),
        contract_title=contract.title,
        org_name=orgs[incident.org_id].name,
        summary=incident.summary,
        improper_purpose=incident.improper_purpose,
        discovered_at=incident.discovered_at,
        contained_at=incident.contained_at,
        closed_at=incident.closed_at,
        linked_incident=incident.linked_incident_id or (opened[0] if opened else None),
        linked_incidents=[
            *([incident.linked_incident_id] if incident.linked_incident_id else []),
            *opened,
        ],
        steps=views,
        reports=[
            ReportView(
                to=r.recipient_id,
                to_name=orgs[r.recipient_id].name,
                status=r.status,
                sent_at=r.sent_at,
                delivered_at=r.delivered_at,
                acknowledged_at=r.acknowledged_at,
                acknowledged_by=r.acknowledged_by,
                acknowledged_by_name=names.get(r.acknowledged_by or ""),
                channels=reached.get(r.id or 0, []),
            )
            for r in reports
        ],
        unreachable_by_chat=sorted(
            {
                o.id
                for o in (orgs[incident.org_id], *(orgs[r.recipient_id] for r in reports))
                if not o.slack_channel
            }
        ),
        upstream_notice_missing=[
            t.child for t in chain_for(session, contract).unnotified_tiers(incident.org_id)
        ],
        trail_broken=check_incident(session, incident.id).broken,
        notifications=NoticeCounts(
            pending=sum(status in _WAITING for _, _, _, status, *_ in notes),
            sent=sum(status == OutboxStatus.SENT for _, _, _, status, *_ in notes),
            failed=[
                FailedNotice(id=i, org=org, event=event, error=error)
                for i, org, event, status, error, *_ in notes
                if status in _STUCK
            ],
        ),
        outcome=decided.outcome,
        outcome_reason=decided.outcome_reason,
        facts=decided.facts,
        facts_revision=decided.facts_revision,
        appi=decided.appi if appi else None,
        instructions=decided.instructions,
        publication=decided.publication,
        reclassifications=decided.reclassifications,
        reviews=decided.reviews,
    )


def _reached(notes: Sequence[Sequence[Any]]) -> dict[int, list[Transport]]:
    """Per report, the transports that delivered it (chat, e-mail), from the incident's
    notifications."""
    reached: dict[int, list[Transport]] = {}
    for note in notes:
        status, report_id, transport = note[3], note[5], note[6]
        if report_id is not None and status == OutboxStatus.SENT:
            reached.setdefault(report_id, []).append(Transport(transport))
    return {report: sorted(found) for report, found in reached.items()}


def summaries_of(
    session: Session, incidents: Sequence[Incident], now: datetime
) -> list[IncidentSummary]:
    """`list` rows, each with the names of its late steps."""
    ids = [i.id for i in incidents]
    late: dict[str, list[StepName]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.exec(
            select(Step.incident_id, Step.name, Step.status, Step.due_at)
            .where(col(Step.incident_id).in_(chunk), Step.status != "done", col(Step.due_at) < now)
            .order_by(col(Step.id))
        )
        for incident_id, name, *_ in rows:
            late[incident_id].append(StepName(name))
    return [summary_of(i, [] if i.closed_at else late[i.id]) for i in incidents]

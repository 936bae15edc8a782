"""Read models: what `status`, `list` and `parties show` print, as plain data (DESIGN.md §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from jikoflow.models.incidents.clocks import effective_status
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.service import organizations_by_id
from jikoflow.models.parties.tables import Contract


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def incident_row(incident: Incident) -> dict[str, Any]:
    """The short form used by `list`."""
    return {
        "id": incident.id,
        "contract": incident.contract_id,
        "org": incident.org_id,
        "kind": str(incident.kind),
        "suspected": incident.suspected,
        "state": str(incident.state),
        "declared_at": _iso(incident.declared_at),
        "drill": incident.is_drill,
    }


def incident_view(session: Session, incident: Incident, now: datetime) -> dict[str, Any]:
    """Everything `status` shows about one incident."""
    contract = session.get(Contract, incident.contract_id)
    assert contract is not None
    steps = session.exec(select(Step).where(Step.incident_id == incident.id).order_by(col(Step.id)))
    reports = session.exec(
        select(Report).where(Report.incident_id == incident.id).order_by(col(Report.id))
    ).all()
    orgs = organizations_by_id(session, [incident.org_id, *(r.recipient_id for r in reports)])
    notes = session.exec(
        select(Notification)
        .where(Notification.incident_id == incident.id)
        .order_by(col(Notification.id))
    ).all()
    return incident_row(incident) | {
        "contract_title": contract.title,
        "org_name": orgs[incident.org_id].name,
        "summary": incident.summary,
        "improper_purpose": incident.improper_purpose,
        "discovered_at": _iso(incident.discovered_at),
        "contained_at": _iso(incident.contained_at),
        "closed_at": _iso(incident.closed_at),
        "linked_incident": incident.linked_incident_id,
        "steps": [
            {
                "name": str(s.name),
                "status": str(effective_status(s.status, s.due_at, now)),
                "due_at": _iso(s.due_at),
                "warn_at": _iso(s.warn_at),
                "done_at": _iso(s.done_at),
            }
            for s in steps
        ],
        "reports": [
            {
                "to": r.recipient_id,
                "to_name": orgs[r.recipient_id].name,
                "status": str(r.status),
                "sent_at": _iso(r.sent_at),
                "delivered_at": _iso(r.delivered_at),
                "acknowledged_at": _iso(r.acknowledged_at),
                "acknowledged_by": r.acknowledged_by,
            }
            for r in reports
        ],
        "unreachable_by_chat": sorted({o.id for o in orgs.values() if not o.slack_channel}),
        "notifications": {
            "pending": sum(n.status in (OutboxStatus.PENDING, OutboxStatus.SENDING) for n in notes),
            "sent": sum(n.status == OutboxStatus.SENT for n in notes),
            "failed": [
                {"id": n.id, "org": n.org_id, "event": n.event, "error": n.last_error}
                for n in notes
                if n.status in (OutboxStatus.FAILED, OutboxStatus.UNREACHABLE)
            ],
        },
    }


def incident_rows(
    session: Session, incidents: list[Incident], now: datetime
) -> list[dict[str, Any]]:
    """`list` rows, each with the names of its late steps."""
    ids = [i.id for i in incidents]
    late: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        steps = session.exec(
            select(Step).where(col(Step.incident_id).in_(ids)).order_by(col(Step.id))
        )
        for step in steps:
            if effective_status(step.status, step.due_at, now) == "overdue":
                late[step.incident_id].append(str(step.name))
    return [incident_row(i) | {"overdue_steps": late[i.id]} for i in incidents]

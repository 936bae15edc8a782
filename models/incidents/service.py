"""Declaring an incident and acknowledging its reports (Art. 24 (1)-(2), DESIGN.md §4)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from jikoflow.models.audit.service import record_event
from jikoflow.models.enums import IncidentKind, IncidentState, ReportStatus, StepName, StepStatus
from jikoflow.models.errors import BadInput, NotFound
from jikoflow.models.incidents.clocks import deadlines
from jikoflow.models.incidents.lifecycle import Action, next_state
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.outbox.facts import NoticeEvent, enqueue, facts_for
from jikoflow.models.parties.chain import Chain, Tier
from jikoflow.models.parties.service import (
    chain_for,
    get_contract,
    get_organization,
    get_person,
    managers_of,
    organizations_by_id,
)
from jikoflow.models.parties.tables import Organization
from jikoflow.models.types import utcnow

TOKYO = ZoneInfo("Asia/Tokyo")
# A discovery time a little ahead of our clock is a skewed clock elsewhere, not the future.
CLOCK_SKEW = timedelta(minutes=2)
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class Declared:
    """The incident just opened, and any Art. 15 violations it revealed."""

    incident: Incident
    violations: list[Incident] = field(default_factory=list)


def new_incident_id(at: datetime) -> str:
    """INC-YYYYMMDD-XXXXXX: the Tokyo date of declaration and a random suffix."""
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))
    return f"INC-{at.astimezone(TOKYO):%Y%m%d}-{suffix}"


def parse_when(text: str, field_name: str) -> datetime:
    """An ISO 8601 time; Asia/Tokyo when no offset is given."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(field_name, f"not an ISO 8601 time: {text!r}") from None
    return value.replace(tzinfo=TOKYO) if value.tzinfo is None else value


def declare_incident(
    session: Session,
    *,
    contract_id: str,
    org_id: str,
    kind: IncidentKind,
    summary: str,
    suspected: bool = False,
    improper_purpose: bool = False,
    discovered_at: datetime | None = None,
    by: str | None = None,
    now: datetime | None = None,
    drill: bool = False,
) -> Declared:
    """Open an incident with its five steps, one report per recipient and audit events."""
    moment = now or utcnow()
    if not summary.strip():
        raise BadInput("--summary", "must not be empty")
    discovered = discovered_at or moment
    if discovered > moment + CLOCK_SKEW:
        raise BadInput("--discovered-at", "is in the future")
    contract = get_contract(session, contract_id)
    org = get_organization(session, org_id)
    if by is not None:
        get_person(session, by)
    chain = chain_for(session, contract)
    if org.id == chain.client:
        raise BadInput(
            "--org", f"{org.id} is the client (甲) of {contract.id}; declare at 乙 or below"
        )
    chain.path_to_client(org.id)
    incident = Incident(
        id=new_incident_id(moment),
        contract_id=contract.id,
        org_id=org.id,
        kind=kind,
        suspected=suspected,
        improper_purpose=improper_purpose,
        summary=summary.strip(),
        discovered_at=discovered,
        declared_at=moment,
        declared_by=by,
        is_drill=drill,
    )
    _open(session, chain, incident, org)
    declared = Declared(incident)
    for tier in chain.unapproved_tiers(org.id, discovered.astimezone(TOKYO).date()):
        declared.violations.append(_open_violation(session, chain, tier, incident, moment))
    return declared


def _open(session: Session, chain: Chain, incident: Incident, org: Organization) -> None:
    """Write a new incident with its steps, one report per recipient, the audit event and the
    messages that report it."""
    session.add(incident)
    session.flush()
    clocks = deadlines(incident.discovered_at, improper_purpose=incident.improper_purpose)
    session.add_all(
        Step(
            incident_id=incident.id,
            name=name,
            started_at=incident.discovered_at,
            warn_at=deadline.warn_at,
            due_at=deadline.due_at,
        )
        for name, deadline in clocks.items()
    )
    recipients = chain.recipients_for(org.id)
    session.add_all(Report(incident_id=incident.id, recipient_id=r) for r in recipients)
    session.flush()
    record_event(
        session,
        incident.id,
        "declared",
        actor=incident.declared_by,
        at=incident.declared_at,
        detail={
            "contract": chain.contract_id,
            "org": org.id,
            "kind": str(incident.kind),
            "suspected": incident.suspected,
            "discovered_at": incident.discovered_at.isoformat(),
            "recipients": recipients,
            "linked": incident.linked_incident_id,
        },
    )
    _enqueue_reports(session, incident, org, recipients, incident.declared_at)


def _enqueue_reports(
    session: Session, incident: Incident, org: Organization, recipients: list[str], now: datetime
) -> None:
    orgs = organizations_by_id(session, [org.id, *recipients])
    managers = managers_of(session, [org.id])
    reports = session.exec(select(Report).where(Report.incident_id == incident.id)).all()
    for report in reports:
        recipient = orgs[report.recipient_id]
        facts = facts_for(session, incident, NoticeEvent.REPORT, recipient=recipient, now=now)
        enqueue(session, facts, recipient, report_id=report.id)
    mentions = [p.slack_user for p in managers[org.id] if p.slack_user]
    own = facts_for(session, incident, NoticeEvent.DECLARED, mentions=mentions, now=now)
    enqueue(session, own, org)


def _open_violation(
    session: Session, chain: Chain, tier: Tier, cause: Incident, now: datetime
) -> Incident:
    """An unapproved tier (Art. 15) is itself a 違反, opened at the delegating parent."""
    parent = get_organization(session, tier.parent, "delegations")
    summary = (
        f"第15条違反: {tier.parent} から {tier.child} への再委託について甲の承認が確認できません"
        f"（{cause.id} の申告時に検出）"
    )
    violation = Incident(
        id=new_incident_id(now),
        contract_id=chain.contract_id,
        org_id=parent.id,
        kind=IncidentKind.VIOLATION,
        suspected=False,
        summary=summary,
        discovered_at=now,
        declared_at=now,
        linked_incident_id=cause.id,
        is_drill=cause.is_drill,
    )
    _open(session, chain, violation, parent)
    record_event(
        session,
        cause.id,
        "violation_opened",
        at=now,
        detail={"incident": violation.id, "tier": [tier.parent, tier.child]},
    )
    return violation


def get_incident(session: Session, incident_id: str) -> Incident:
    """The incident, or a refusal naming the id."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("ID", f"unknown incident {incident_id!r}")
    return incident


def acknowledge_report(
    session: Session,
    *,
    incident_id: str,
    org_id: str,
    by: str | None = None,
    now: datetime | None = None,
) -> Report:
    """Recipient `org_id` confirms receipt; the last acknowledgement completes the step."""
    moment = now or utcnow()
    incident = get_incident(session, incident_id)
    next_state(incident.state, Action.ACK, incident.id)
    get_organization(session, org_id)
    if by is not None:
        person = get_person(session, by)
        if person.org_id != org_id:
            raise BadInput("--by", f"{by} is not a person of {org_id}")
    report = session.exec(
        select(Report).where(Report.incident_id == incident.id, Report.recipient_id == org_id)
    ).first()
    if report is None:
        raise BadInput("--org", f"{org_id} is not a recipient of {incident.id}")
    if report.status is ReportStatus.ACKNOWLEDGED:
        return report
    report.status = ReportStatus.ACKNOWLEDGED
    report.acknowledged_at = moment
    report.acknowledged_by = by
    session.add(report)
    record_event(session, incident.id, "acknowledged", actor=by, at=moment, detail={"org": org_id})
    session.flush()
    _complete_report_step_if_all_acknowledged(session, incident, moment)
    return report


def _complete_report_step_if_all_acknowledged(
    session: Session, incident: Incident, now: datetime
) -> None:
    statuses = session.exec(select(Report.status).where(Report.incident_id == incident.id)).all()
    if statuses and all(s is ReportStatus.ACKNOWLEDGED for s in statuses):
        step = get_step(session, incident.id, StepName.REPORT)
        if step.status is not StepStatus.DONE:
            step.status = StepStatus.DONE
            step.done_at = now
            session.add(step)
            record_event(session, incident.id, "step_done", at=now, detail={"step": "report"})


def get_step(session: Session, incident_id: str, name: StepName) -> Step:
    """One step of an incident."""
    step = session.exec(
        select(Step).where(Step.incident_id == incident_id, Step.name == name)
    ).one()
    return step


def list_incidents(
    session: Session,
    *,
    contract_id: str | None = None,
    open_only: bool = False,
    overdue_at: datetime | None = None,
    drills: bool = False,
) -> list[Incident]:
    """Incidents, newest first; drills only when asked for."""
    query = select(Incident).where(Incident.is_drill == drills)
    if contract_id is not None:
        get_contract(session, contract_id)
        query = query.where(Incident.contract_id == contract_id)
    if open_only:
        query = query.where(Incident.state != IncidentState.CLOSED)
    if overdue_at is not None:
        late = select(Step.incident_id).where(
            Step.status != StepStatus.DONE, col(Step.due_at) < overdue_at
        )
        query = query.where(col(Incident.id).in_(late), Incident.state != IncidentState.CLOSED)
    return list(session.exec(query.order_by(col(Incident.declared_at).desc(), col(Incident.id))))

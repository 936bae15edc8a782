"""Declaring, seeing and acknowledging incidents (Art. 24 (1)-(2), DESIGN.md §4, §7, §8).

Use cases take a session, the acting principal and typed input, check §8 through
`jikoflow.models.guard`, and return read models; the caller's transaction commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from jikoflow.models.access import WHO_MAY, Act, Principal, allows, standings
from jikoflow.models.audit.service import record_event
from jikoflow.models.db import lock_row
from jikoflow.models.enums import IncidentKind, IncidentState, ReportStatus, StepName, StepStatus
from jikoflow.models.errors import BadInput, Forbidden, NotFound
from jikoflow.models.guard import Subject, acting_person, authorize, visible_orgs
from jikoflow.models.handoff.service import request_flow
from jikoflow.models.handoff.tables import FlowName
from jikoflow.models.incidents import keys
from jikoflow.models.incidents.clocks import policy_deadlines
from jikoflow.models.incidents.discovery import check_discovery
from jikoflow.models.incidents.lifecycle import (
    Action,
    ReportEvent,
    StepEvent,
    next_state,
    report_after,
    step_after,
)
from jikoflow.models.incidents.schemas import (
    Acknowledged,
    Declared,
    DeclaredIds,
    DeclareInput,
    IncidentStatus,
    IncidentSummary,
)
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.incidents.views import incident_status_of, summaries_of
from jikoflow.models.outbox.facts import NoticeEvent, enqueue, enqueue_reports, facts_for
from jikoflow.models.outbox.service import withdraw_alerts
from jikoflow.models.parties.chain import Chain, Tier
from jikoflow.models.parties.queries import (
    chain_for,
    get_contract,
    get_organization,
    managers_of,
    organizations_by_id,
)
from jikoflow.models.parties.tables import Organization, Person
from jikoflow.models.policy.service import contract_policy
from jikoflow.models.times import tokyo_day
from jikoflow.models.types import utcnow

# A discovery time a little ahead of our clock is a skewed clock elsewhere, not the future.
CLOCK_SKEW = timedelta(minutes=2)
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_incident_id(at: datetime) -> str:
    """INC-YYYYMMDD-XXXXXX: the Tokyo date of declaration and a random suffix."""
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))
    return f"INC-{tokyo_day(at):%Y%m%d}-{suffix}"


# --- use cases -------------------------------------------------------------------------------


def declare(
    session: Session,
    *,
    actor: Principal,
    data: DeclareInput,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> Declared:
    """Open an incident with its five steps, one report per recipient and the messages that
    report it; an unapproved tier on its path (Art. 15) opens a linked violation too. With an
    idempotency key, a retry with the same input returns the incident the first one opened."""
    moment = now or utcnow()
    incident, violations, appi = _declare(session, actor, data, moment, idempotency_key)
    view = incident_status_of(session, incident, moment, appi=appi)
    return Declared(incident=view, violations=violations)


def declare_ids(
    session: Session,
    *,
    actor: Principal,
    data: DeclareInput,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> DeclaredIds:
    """`declare`, answered with the ids only: for a caller that sends the reports before it
    shows the incident, so they do not wait for its view to be built."""
    incident, violations, _ = _declare(session, actor, data, now or utcnow(), idempotency_key)
    return DeclaredIds(id=incident.id, violations=violations)


def _declare(
    session: Session,
    actor: Principal,
    data: DeclareInput,
    moment: datetime,
    idempotency_key: str | None,
) -> tuple[Incident, list[str], bool]:
    """The declaration's incident, its violations, and whether its view shows APPI."""
    key = None if idempotency_key is None else keys.checked_key(idempotency_key)
    contract = get_contract(session, data.contract)
    chain = chain_for(session, contract)
    _authorize_declaration(session, actor, chain, data.org)
    org = get_organization(session, data.org)
    if data.discovered_at is not None:
        check_discovery(chain, org.id, data.discovered_at, moment, confirmed=data.confirm_discovery)
    if key is not None:
        keys.lock_key(session, actor, key)
        found = keys.earlier(session, actor, key, data)
        if found is not None:
            incident = session.get_one(Incident, found.incident_id)
            return incident, list(found.violations), True
    opened = open_incident(
        session,
        chain=chain,
        org=org,
        kind=data.kind,
        summary=data.summary,
        suspected=data.suspected,
        improper_purpose=data.improper_purpose,
        discovered_at=data.discovered_at,
        actor=actor.actor,
        now=moment,
    )
    violations = [v.id for v in opened[1:]]
    if key is not None:
        keys.remember(
            session, actor, key, data, incident_id=opened[0].id, violations=violations, at=moment
        )
    return opened[0], violations, shows_appi(session, actor, chain.contract_id)


def _authorize_declaration(session: Session, actor: Principal, chain: Chain, org_id: str) -> None:
    """A person declares at their own organisation, or as a manager at one below it (§8). An
    organisation outside the contract's chain is refused alike whether it exists or not."""
    person = acting_person(session, actor)
    if person is None:
        return
    if person.org_id not in chain.members():
        raise NotFound("contract", f"unknown contract {chain.contract_id!r}")
    if org_id not in chain.members():
        raise BadInput("org", f"{org_id} is not in the chain of contract {chain.contract_id}")
    if not allows(Act.DECLARE, standings(chain, org_id, person.org_id), person.role):
        raise Forbidden(
            "by", f"{person.id} may not declare at {org_id}: only {WHO_MAY[Act.DECLARE]} may"
        )


def incident_status(
    session: Session, *, actor: Principal, incident_id: str, now: datetime | None = None
) -> IncidentStatus:
    """One incident as `status` shows it (to people of an organisation on its path); 甲's
    APPI clocks only to 甲's people and the operator."""
    incident = visible_incident(session, actor, incident_id)
    appi = shows_appi(session, actor, incident.contract_id)
    return incident_status_of(session, incident, now or utcnow(), appi=appi)


def shows_appi(session: Session, actor: Principal, contract_id: str) -> bool:
    """Whether `actor` sees 甲's APPI clocks (甲's duty): 甲's people and the operator."""
    person = acting_person(session, actor)
    return person is None or person.org_id == get_contract(session, contract_id).client_id


def list_incidents(
    session: Session,
    *,
    actor: Principal,
    contract_id: str | None = None,
    open_only: bool = False,
    overdue: bool = False,
    drills: bool = False,
    now: datetime | None = None,
    limit: int | None = None,
    after: str | None = None,
) -> list[IncidentSummary]:
    """The incidents the actor may see, newest first; drills only when asked for. `after`
    (an incident id the actor may see) continues a list past that incident."""
    moment = now or utcnow()
    query = select(Incident).where(Incident.is_drill == drills)
    visible = visible_orgs(session, actor)
    if after is not None:
        query = query.where(_listed_after(session, visible, after, drills=drills))
    if contract_id is not None:
        if visible is not None and contract_id not in visible:
            raise NotFound("contract", f"unknown contract {contract_id!r}")
        get_contract(session, contract_id)
        query = query.where(Incident.contract_id == contract_id)
    if visible is not None:
        seen = [
            (col(Incident.contract_id) == c) & col(Incident.org_id).in_(sorted(orgs))
            for c, orgs in visible.items()
        ]
        if not seen:
            return []
        query = query.where(or_(*seen))
    if open_only:
        query = query.where(Incident.state != IncidentState.CLOSED)
    if overdue:
        late = select(Step.incident_id).where(
            Step.status != StepStatus.DONE, col(Step.due_at) < moment
        )
        query = query.where(col(Incident.id).in_(late), Incident.state != IncidentState.CLOSED)
    query = query.order_by(col(Incident.declared_at).desc(), col(Incident.id))
    if limit is not None:
        query = query.limit(limit)
    return summaries_of(session, list(session.exec(query)), moment)


def _listed_after(
    session: Session, visible: dict[str, set[str]] | None, after: str, *, drills: bool
) -> Any:
    """Where the list continues past incident `after`; one the actor may not see is as unknown
    as one that does not exist."""
    anchor = session.get(Incident, after)
    if (
        anchor is None
        or anchor.is_drill != drills
        or (visible is not None and anchor.org_id not in visible.get(anchor.contract_id, set()))
    ):
        raise BadInput("after", f"unknown incident {after!r}")
    return or_(
        col(Incident.declared_at) < anchor.declared_at,
        (col(Incident.declared_at) == anchor.declared_at) & (col(Incident.id) > anchor.id),
    )


def acknowledge(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    org_id: str | None = None,
    now: datetime | None = None,
) -> Acknowledged:
    """A manager of recipient `org_id` (the person's own organisation when omitted) confirms
    receipt of the report; acknowledging again changes nothing."""
    moment = now or utcnow()
    incident = locked_incident(session, incident_id)
    person = acting_person(session, actor)
    recipient = org_id or (person.org_id if person else None)
    if recipient is None:
        raise BadInput("org", "name the recipient organisation acknowledging the report")
    authorize(session, actor, Act.SEE, _subject(incident))
    # An organisation that is not a recipient is refused alike whether it exists or not.
    report = session.exec(
        select(Report).where(Report.incident_id == incident.id, Report.recipient_id == recipient)
    ).first()
    if report is None:
        if person is not None and org_id is None:
            raise Forbidden("by", f"{person.id}'s organisation is not a recipient of {incident.id}")
        raise BadInput("org", f"{recipient} is not a recipient of {incident.id}")
    authorize(session, actor, Act.ACKNOWLEDGE, _subject(incident), recipient=recipient)
    next_state(incident.state, Action.ACK, incident.id)
    if report.status is not ReportStatus.ACKNOWLEDGED:
        report.status = report_after(report.status, ReportEvent.ACKNOWLEDGE)
        report.acknowledged_at = moment
        report.acknowledged_by = actor.actor
        report.next_alert_at = None
        if report.delivered_at is None:
            # Read before chat delivered it: 甲 knows of it now, so its APPI clocks run now.
            report.appi_next_at = moment
        session.add(report)
        detail = {"org": recipient, "via": str(actor.via)}
        record_event(
            session, incident.id, "acknowledged", actor=actor.actor, at=moment, detail=detail
        )
        session.flush()
        _complete_report_step_if_all_received(session, incident, moment)
        _tell_the_reporter(session, incident, recipient, person, moment)
    return Acknowledged(
        id=incident.id,
        to=recipient,
        status=report.status,
        acknowledged_at=report.acknowledged_at,
        acknowledged_by=report.acknowledged_by,
    )


# --- for the other services of the incident ---------------------------------------------------


def get_incident(session: Session, incident_id: str) -> Incident:
    """The incident, or a refusal naming the id (no access check: callers check)."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("id", f"unknown incident {incident_id!r}")
    return incident


def locked_incident(session: Session, incident_id: str) -> Incident:
    """The incident, its row locked for this transaction: acts on one incident run one by one."""
    incident = lock_row(session, Incident, incident_id)
    if incident is None:
        raise NotFound("id", f"unknown incident {incident_id!r}")
    return incident  # type: ignore[no-any-return]


def visible_incident(session: Session, actor: Principal, incident_id: str) -> Incident:
    """The incident if `actor` may see it; otherwise "unknown" (its existence not revealed)."""
    incident = get_incident(session, incident_id)
    authorize(session, actor, Act.SEE, _subject(incident))
    return incident


def _subject(incident: Incident) -> Subject:
    return Subject(incident.id, incident.contract_id, incident.org_id)


def get_step(session: Session, incident_id: str, name: StepName) -> Step:
    """One step of an incident."""
    return session.exec(
        select(Step).where(Step.incident_id == incident_id, Step.name == name)
    ).one()


def move_step(session: Session, step: Step, event: StepEvent, at: datetime) -> bool:
    """Apply `event` to a step through its transition table; True when its status changed."""
    after = step_after(step.status, event)
    if after is step.status:
        return False
    step.status = after
    step.done_at = at if after is StepStatus.DONE else None
    session.add(step)
    if after is StepStatus.DONE:
        detail = {"step": str(step.name)}
        record_event(session, step.incident_id, "step_done", at=at, detail=detail)
    return True


def _tell_the_reporter(
    session: Session,
    incident: Incident,
    recipient_id: str,
    person: Person | None,
    now: datetime,
) -> None:
    """The reporting organisation hears that its report was received (names and a time only);
    reminders about this acknowledgement still waiting are withdrawn."""
    withdraw_alerts(session, incident.id, recipient=recipient_id)
    reporter = get_organization(session, incident.org_id)
    recipient = get_organization(session, recipient_id)
    facts = facts_for(session, incident, NoticeEvent.ACKNOWLEDGED, recipient=reporter, now=now)
    facts = facts.model_copy(
        update={
            "party_id": recipient.id,
            "party_name": recipient.name,
            "person_name": person.name if person is not None else None,
            "at": now,
        }
    )
    enqueue(session, facts, reporter, key_suffix=recipient.id)


def _complete_report_step_if_all_received(
    session: Session, incident: Incident, now: datetime
) -> None:
    """The report step is done once every report was delivered (an acknowledgement seen in the
    portal before delivery was recorded proves receipt too)."""
    received = (ReportStatus.DELIVERED, ReportStatus.ACKNOWLEDGED)
    statuses = session.exec(select(Report.status).where(Report.incident_id == incident.id)).all()
    if statuses and all(s in received for s in statuses):
        move_step(session, get_step(session, incident.id, StepName.REPORT), StepEvent.COMPLETE, now)


def open_incident(
    session: Session,
    *,
    chain: Chain,
    org: Organization,
    kind: IncidentKind,
    summary: str,
    suspected: bool = False,
    improper_purpose: bool = False,
    discovered_at: datetime | None = None,
    actor: str,
    now: datetime,
    drill: bool = False,
) -> list[Incident]:
    """Write an incident and any Art. 15 violations it reveals; the incident comes first."""
    discovered = discovered_at or now
    if discovered > now + CLOCK_SKEW:
        raise BadInput("discovered_at", "is in the future")
    if org.id == chain.client:
        raise BadInput(
            "org", f"{org.id} is the client (甲) of {chain.contract_id}; declare at 乙 or below"
        )
    chain.path_to_client(org.id)
    incident = Incident(
        id=new_incident_id(now),
        contract_id=chain.contract_id,
        org_id=org.id,
        kind=kind,
        suspected=suspected,
        improper_purpose=improper_purpose,
        summary=summary.strip(),
        discovered_at=discovered,
        declared_at=now,
        declared_by=actor,
        is_drill=drill,
    )
    _write(session, chain, incident, org)
    opened = [incident]
    for tier in chain.unapproved_tiers(org.id, tokyo_day(discovered)):
        opened.append(_open_violation(session, chain, tier, incident, now))
    _tell_contractor_of_unnotified_tiers(session, chain, incident, now)
    return opened


def _tell_contractor_of_unnotified_tiers(
    session: Session, chain: Chain, incident: Incident, now: datetime
) -> None:
    """乙 hears of each deeper tier on the path with no record of notice upward (Art. 15 (3)):
    names only."""
    unnotified = chain.unnotified_tiers(incident.org_id)
    if not unnotified:
        return
    contractor = get_organization(session, chain.contractor)
    base = facts_for(
        session, incident, NoticeEvent.UPSTREAM_UNNOTIFIED, recipient=contractor, now=now
    )
    for tier in unnotified:
        child = get_organization(session, tier.child)
        facts = base.model_copy(update={"party_id": child.id, "party_name": child.name})
        enqueue(session, facts, contractor, key_suffix=f"{contractor.id}:{child.id}")


def _write(session: Session, chain: Chain, incident: Incident, org: Organization) -> None:
    """The incident with its steps, one report per recipient, its audit event and messages."""
    session.add(incident)
    session.flush()
    clocks = policy_deadlines(
        incident.discovered_at,
        contract_policy(session, incident.contract_id),
        improper_purpose=incident.improper_purpose,
    )
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
    _enqueue_reports(session, incident, org, incident.declared_at)
    if not incident.is_drill:  # a drill's own flow drives its incident
        request_flow(session, FlowName.INCIDENT, incident.id, now=incident.declared_at)


def _enqueue_reports(
    session: Session, incident: Incident, org: Organization, now: datetime
) -> None:
    reports = session.exec(select(Report).where(Report.incident_id == incident.id)).all()
    orgs = organizations_by_id(session, [org.id, *(r.recipient_id for r in reports)])
    # The facts are read once and addressed to each recipient: a deep chain has thousands.
    base = facts_for(session, incident, NoticeEvent.REPORT, now=now)
    recipients = [(orgs[r.recipient_id], r.id) for r in reports if r.id is not None]
    enqueue_reports(session, base, recipients)
    mentions = [p.slack_user for p in managers_of(session, [org.id])[org.id] if p.slack_user]
    own = facts_for(session, incident, NoticeEvent.DECLARED, mentions=mentions, now=now)
    enqueue(session, own, org)


def _open_violation(
    session: Session, chain: Chain, tier: Tier, cause: Incident, now: datetime
) -> Incident:
    """An unapproved tier (Art. 15) is itself a 違反, opened at the delegating parent."""
    parent = get_organization(session, tier.parent, "delegations")
    child = get_organization(session, tier.child, "delegations")
    summary = (
        f"特記事項違反（第15条・未承認の再委託）: {parent.name} から {child.name} への再委託に"
        f"ついて甲の承認が確認できません（{cause.id} の報告時に検出）"
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
        declared_by=None,  # the system found it; the person declared the other incident
        linked_incident_id=cause.id,
        is_drill=cause.is_drill,
    )
    _write(session, chain, violation, parent)
    record_event(
        session,
        cause.id,
        "violation_opened",
        at=now,
        detail={"incident": violation.id, "tier": [tier.parent, tier.child]},
    )
    return violation

"""When an incident was discovered: the checks a discovery time passes (not in the future, not
before the subcontracting it happened under was approved unless confirmed), and correcting a
wrong one, audited, until the record is submitted.

Every clock runs from the discovery, so a mistyped year made every step overdue and opened
false Art. 15 violations (a tier "not yet approved" at a discovery before its approval).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field
from sqlmodel import Session, select

from jikoflow.models.access import Act, Principal
from jikoflow.models.audit.service import record_event
from jikoflow.models.errors import BadInput, Conflict
from jikoflow.models.guard import Subject, authorize
from jikoflow.models.incidents.clocks import policy_deadlines
from jikoflow.models.incidents.tables import Step
from jikoflow.models.parties.chain import Chain
from jikoflow.models.policy.service import contract_policy
from jikoflow.models.schemas import Input, ReadModel, Text, TokyoDatetime
from jikoflow.models.times import tokyo_day

CLOCK_SKEW = timedelta(minutes=2)
CONFIRM = "confirm_discovery"


class CorrectDiscoveryInput(Input):
    """A corrected discovery time, why, and whether one before a tier's approval is meant."""

    discovered_at: TokyoDatetime
    reason: Text = Field(max_length=2_000)
    confirm_discovery: bool = False


class DiscoveryCorrected(ReadModel):
    """The discovery time before and after a correction."""

    id: str
    was: datetime
    discovered_at: datetime


def check_discovery(
    chain: Chain, org_id: str, discovered: datetime, now: datetime, *, confirmed: bool
) -> None:
    """Refuse a discovery in the future, and one before a tier on the path was approved (a
    mistyped year would open false Art. 15 violations) unless `confirmed`."""
    if discovered > now + CLOCK_SKEW:
        raise BadInput("discovered_at", "is in the future")
    if confirmed:
        return
    day = tokyo_day(discovered)
    for org in chain.path_to_client(org_id):
        tier = chain.tiers.get(org)
        if tier is not None and tier.approved_at is not None and day < tier.approved_at:
            raise BadInput(
                "discovered_at",
                f"{day.isoformat()} is before {org}'s subcontracting was approved "
                f"({tier.approved_at.isoformat()}); check the date, or confirm it "
                f"({CONFIRM.replace('_', '-')})",
            )


def correct_discovery(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: CorrectDiscoveryInput,
    now: datetime,
) -> DiscoveryCorrected:
    """Correct the discovery time of an incident whose record is not yet submitted; the
    clocks of its steps run from the corrected time (a done step keeps when it was done)."""
    from jikoflow.models.incidents.service import locked_incident
    from jikoflow.models.parties.queries import chain_for, get_contract
    from jikoflow.models.response.tables import RecordVersion

    incident = locked_incident(session, incident_id)
    subject = Subject(incident.id, incident.contract_id, incident.org_id)
    authorize(session, actor, Act.RECLASSIFY, subject)
    submitted = select(RecordVersion.id).where(RecordVersion.incident_id == incident.id)
    if session.exec(submitted).first() is not None:
        raise Conflict("id", f"{incident.id}'s record is submitted: its discovery time is fixed")
    chain = chain_for(session, get_contract(session, incident.contract_id))
    check_discovery(
        chain,
        incident.org_id,
        data.discovered_at,
        incident.declared_at,
        confirmed=data.confirm_discovery,
    )
    was = incident.discovered_at
    incident.discovered_at = data.discovered_at
    session.add(incident)
    clocks = policy_deadlines(
        incident.discovered_at,
        contract_policy(session, incident.contract_id),
        improper_purpose=incident.improper_purpose,
    )
    # Every step's clock runs from the corrected time, a done one's too: a report made 2 hours
    # after the true discovery then reads as made after its 1-hour due, not within it.
    for step in session.exec(select(Step).where(Step.incident_id == incident.id)):
        step.started_at = incident.discovered_at
        step.warn_at, step.due_at = clocks[step.name].warn_at, clocks[step.name].due_at
        session.add(step)
    detail = {"was": was.isoformat(), "to": data.discovered_at.isoformat(), "reason": data.reason}
    record_event(
        session, incident.id, "discovery_corrected", actor=actor.actor, at=now, detail=detail
    )
    return DiscoveryCorrected(id=incident.id, was=was, discovered_at=incident.discovered_at)

"""Short calls of the services for tests that set up incidents: each takes the session and
acts as `by` (a person id) or as the operator, at a fixed `now` when given."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from jikoflow.models.access import OPERATOR, Principal, person
from jikoflow.models.enums import IncidentKind
from jikoflow.models.incidents import service as incidents
from jikoflow.models.incidents.schemas import DeclareInput
from jikoflow.models.response import service as response
from jikoflow.models.response.schemas import CauseInput, ContainInput, MeasureInput

CONTRACT = "C-2026-001"


def actor(by: str | None) -> Principal:
    """The person `by`, or the operator."""
    return OPERATOR if by is None else person(by)


def declare(
    session: Session,
    *,
    org: str = "delta",
    kind: IncidentKind = IncidentKind.LEAK,
    summary: str = "封筒1通の所在不明",
    suspected: bool = False,
    discovered_at: datetime | None = None,
    contract: str = CONTRACT,
    by: str | None = None,
    now: datetime | None = None,
) -> incidents.Declared:
    """Declare an incident; returns the service's answer."""
    data = DeclareInput(
        contract=contract,
        org=org,
        kind=kind,
        summary=summary,
        suspected=suspected,
        discovered_at=discovered_at,
    )
    return incidents.declare(session, actor=actor(by), data=data, now=now)


def ack(
    session: Session, incident: str, org: str, *, by: str | None = None, now: datetime | None = None
) -> Any:
    """Recipient `org` acknowledges the report."""
    return incidents.acknowledge(
        session, actor=actor(by), incident_id=incident, org_id=org, now=now
    )


def contain(
    session: Session,
    incident: str,
    action: str,
    *,
    done: bool = False,
    by: str | None = None,
    now: datetime | None = None,
) -> Any:
    """Record a containment measure."""
    data = ContainInput(action=action, done=done)
    return response.contain(session, actor=actor(by), incident_id=incident, data=data, now=now)


def cause(
    session: Session,
    incident: str,
    text: str,
    *,
    by: str | None = None,
    now: datetime | None = None,
) -> Any:
    """Record a revision of the root cause."""
    data = CauseInput(text=text)
    return response.record_cause(session, actor=actor(by), incident_id=incident, data=data, now=now)


def measure(
    session: Session,
    incident: str,
    text: str,
    *,
    owner: str | None = None,
    due: date | None = None,
    by: str | None = None,
    now: datetime | None = None,
) -> Any:
    """Add a prevention measure."""
    data = MeasureInput(measure=text, owner=owner, due=due)
    return response.add_measure(session, actor=actor(by), incident_id=incident, data=data, now=now)


def submit(
    session: Session, incident: str, *, by: str | None = None, now: datetime | None = None
) -> Any:
    """Submit the written record."""
    return response.submit(session, actor=actor(by), incident_id=incident, now=now)


def accept(session: Session, incident: str, *, by: str, now: datetime | None = None) -> Any:
    """甲 accepts the record."""
    return response.accept(session, actor=person(by), incident_id=incident, now=now)


def contact_check(session: Session, *, now: datetime | None = None, by: str | None = None) -> Any:
    """Start a contact-tree check of the sample contract."""
    from jikoflow.drills.rules import DrillType
    from jikoflow.drills.schemas import RunInput
    from jikoflow.drills.service import run_drill

    data = RunInput(contract=CONTRACT, type=DrillType.CONTACT)
    return run_drill(session, actor=actor(by), data=data, now=now)

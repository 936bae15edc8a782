"""Everything one person sees of an incident at once, checked once: its status as `status`
shows it, the contents of its written record (containment, causes, measures, submissions) and
the acts open to them — what an incident's page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from jikoflow.models.access import Principal
from jikoflow.models.incidents.abilities import acts_on
from jikoflow.models.incidents.schemas import IncidentActs, IncidentStatus
from jikoflow.models.incidents.service import shows_appi, visible_incident
from jikoflow.models.incidents.views import incident_status_of
from jikoflow.models.types import utcnow
from jikoflow.records.data import RecordData, record_data


@dataclass(frozen=True)
class IncidentOverview:
    """An incident as one person sees it now."""

    status: IncidentStatus
    record: RecordData
    acts: IncidentActs


def incident_overview(
    session: Session, *, actor: Principal, incident_id: str, now: datetime | None = None
) -> IncidentOverview:
    """The incident's status, its record's contents and the acts open to the actor, as of
    `now` (unknown to one who may not see it)."""
    moment = now or utcnow()
    incident = visible_incident(session, actor, incident_id)
    appi = shows_appi(session, actor, incident.contract_id)
    return IncidentOverview(
        status=incident_status_of(session, incident, moment, appi=appi),
        record=record_data(session, incident.id, now=moment, appi=appi),
        acts=acts_on(session, actor, incident),
    )

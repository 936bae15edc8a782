"""Everything the written record shows, loaded from the database into frozen values.

Templates read only these values, so rendering touches no database and the same data
always renders to the same text (a submitted version's Markdown is hashed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from jikoflow.models.audit.service import events_of
from jikoflow.models.enums import IncidentKind, IncidentState, OrgKind, ReportStatus
from jikoflow.models.incidents.service import get_incident
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.parties.queries import chain_for, get_contract, organizations_by_id
from jikoflow.models.parties.tables import Person
from jikoflow.models.response.tables import (
    CauseRevision,
    ContainmentAction,
    PreventionMeasure,
    RecordVersion,
)

TOKYO = ZoneInfo("Asia/Tokyo")


class MeasureState(StrEnum):
    """Where a prevention measure stands; `overdue` is derived from its due date."""

    PLANNED = "planned"
    IMPLEMENTED = "implemented"
    OVERDUE = "overdue"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Actor(_Frozen):
    """Who did something: a known person's name, or only the recorded id."""

    id: str
    name: str | None = None


class Org(_Frozen):
    """An organisation as the record names it."""

    id: str
    name: str
    kind: OrgKind


class PathTier(_Frozen):
    """One organisation on the delegation path, with 甲's approval of its tier (Art. 15)."""

    org: Org
    delegated: bool = False
    approved_at: date | None = None


class Containment(_Frozen):
    """One containment measure."""

    at: datetime
    by: Actor | None
    text: str
    contained: bool


class ReportLine(_Frozen):
    """One report to one recipient organisation."""

    recipient: Org
    status: ReportStatus
    sent_at: datetime | None
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: Actor | None


class Cause(_Frozen):
    """One revision of the root-cause analysis."""

    revision: int
    at: datetime
    by: Actor | None
    text: str


class Measure(_Frozen):
    """One recurrence-prevention measure."""

    number: int
    text: str
    owner: Actor | None
    due_date: date | None
    state: MeasureState
    implemented_at: datetime | None
    implemented_by: Actor | None


class Submission(_Frozen):
    """One submitted version of the record."""

    version: int
    sha256: str
    submitted_at: datetime
    submitted_by: Actor | None
    accepted_at: datetime | None
    accepted_by: Actor | None


class TimelineEvent(_Frozen):
    """One audit event of the incident."""

    seq: int
    at: datetime
    actor: Actor | None
    action: str
    detail: dict[str, Any]


class RecordData(_Frozen):
    """The written record of one incident as of `as_of`."""

    incident_id: str
    version: int
    draft: bool
    drill: bool
    as_of: datetime
    contract_id: str
    contract_title: str
    client: Org
    contractor: Org
    org: Org
    path: list[PathTier]
    kind: IncidentKind
    suspected: bool
    state: IncidentState
    discovered_at: datetime
    declared_at: datetime
    declared_by: Actor | None
    contained_at: datetime | None
    linked: list[str]
    summary: str
    containment: list[Containment]
    reports: list[ReportLine]
    causes: list[Cause]
    measures: list[Measure]
    submissions: list[Submission]
    timeline: list[TimelineEvent]

    @property
    def cause(self) -> Cause | None:
        """The latest revision of the cause analysis."""
        return self.causes[-1] if self.causes else None

    @property
    def earlier_causes(self) -> list[Cause]:
        """Every revision before the latest one."""
        return self.causes[:-1]


def record_data(
    session: Session, incident_id: str, *, now: datetime, submitting: bool = False
) -> RecordData:
    """The record of an incident: a draft of the next version while open, else the latest.

    `submitting` gives the next version, not marked as a draft: the text that is frozen.
    """
    incident = get_incident(session, incident_id)
    rows = _Rows(session, incident)
    latest = rows.versions[-1].version if rows.versions else 0
    # Open (never submitted, or changed since the last submission): the next version is drafted.
    drafting = incident.state is IncidentState.OPEN or not rows.versions
    who = _Actors(session, rows.actor_ids(incident))
    return RecordData(
        incident_id=incident.id,
        version=latest + 1 if submitting or drafting else latest,
        draft=drafting and not submitting,
        drill=incident.is_drill,
        as_of=now,
        kind=incident.kind,
        suspected=incident.suspected,
        state=incident.state,
        discovered_at=incident.discovered_at,
        declared_at=incident.declared_at,
        declared_by=who(incident.declared_by),
        contained_at=incident.contained_at,
        linked=rows.linked,
        summary=incident.summary,
        **_parties(session, incident, rows, who),
        **_responses(rows, who, now),
    )


class _Rows:
    """The rows of one incident, loaded in a handful of queries."""

    def __init__(self, session: Session, incident: Incident) -> None:
        self.containment = _all(session, ContainmentAction, incident.id, ContainmentAction.at)
        self.reports = _all(session, Report, incident.id, Report.id)
        self.causes = _all(session, CauseRevision, incident.id, CauseRevision.revision)
        self.measures = _all(session, PreventionMeasure, incident.id, PreventionMeasure.number)
        self.versions = _all(session, RecordVersion, incident.id, RecordVersion.version)
        self.events = events_of(session, incident.id)
        self.linked = _linked(session, incident)

    def actor_ids(self, incident: Incident) -> set[str]:
        """Every person id the record names."""
        ids = {incident.declared_by, *(e.actor for e in self.events)}
        ids |= {a.by for a in self.containment} | {c.by for c in self.causes}
        ids |= {r.acknowledged_by for r in self.reports}
        for m in self.measures:
            ids |= {m.owner_id, m.implemented_by}
        for v in self.versions:
            ids |= {v.submitted_by, v.accepted_by}
        return {i for i in ids if i}


def _all(session: Session, table: Any, incident_id: str, order: Any) -> list[Any]:
    query = select(table).where(table.incident_id == incident_id)
    return list(session.exec(query.order_by(col(order), col(table.id))))


def _linked(session: Session, incident: Incident) -> list[str]:
    query = select(Incident.id).where(Incident.linked_incident_id == incident.id)
    later = sorted(session.exec(query))
    return [incident.linked_incident_id, *later] if incident.linked_incident_id else later


def _parties(session: Session, incident: Incident, rows: _Rows, who: _Actors) -> dict[str, Any]:
    # The reports are here because their recipients are organisations of the chain.
    contract = get_contract(session, incident.contract_id)
    chain = chain_for(session, contract)
    path_ids = list(reversed(chain.path_to_client(incident.org_id)))
    orgs = _orgs(session, [*path_ids, *(r.recipient_id for r in rows.reports)])
    tiers = [
        PathTier(
            org=orgs[o],
            delegated=o in chain.tiers,
            approved_at=chain.tiers[o].approved_at if o in chain.tiers else None,
        )
        for o in path_ids
    ]
    return {
        "contract_id": contract.id,
        "contract_title": contract.title,
        "client": orgs[chain.client],
        "contractor": orgs[chain.contractor],
        "org": orgs[incident.org_id],
        "path": tiers,
        "reports": [_report(r, orgs, who) for r in rows.reports],
    }


def _responses(rows: _Rows, who: _Actors, now: datetime) -> dict[str, Any]:
    return {
        "containment": [
            Containment(at=a.at, by=who(a.by), text=a.text, contained=a.contained)
            for a in rows.containment
        ],
        "causes": [
            Cause(revision=c.revision, at=c.at, by=who(c.by), text=c.text) for c in rows.causes
        ],
        "measures": [_measure(m, who, now) for m in rows.measures],
        "submissions": [_submission(v, who) for v in rows.versions],
        "timeline": [
            TimelineEvent(
                seq=e.seq, at=e.at, actor=who(e.actor), action=e.action, detail=e.detail or {}
            )
            for e in rows.events
        ],
    }


def _orgs(session: Session, ids: Iterable[str]) -> dict[str, Org]:
    rows = organizations_by_id(session, list(dict.fromkeys(ids)))
    return {o.id: Org(id=o.id, name=o.name, kind=o.kind) for o in rows.values()}


class _Actors:
    """Turns recorded actor ids into `Actor`s, naming the known people."""

    def __init__(self, session: Session, ids: set[str]) -> None:
        people = session.exec(select(Person).where(col(Person.id).in_(sorted(ids)))).all()
        names = {p.id: p.name for p in people}
        self._actors = {i: Actor(id=i, name=names.get(i)) for i in ids}

    def __call__(self, actor_id: str | None) -> Actor | None:
        return self._actors[actor_id] if actor_id else None


def _report(report: Report, orgs: dict[str, Org], who: _Actors) -> ReportLine:
    return ReportLine(
        recipient=orgs[report.recipient_id],
        status=report.status,
        sent_at=report.sent_at,
        delivered_at=report.delivered_at,
        acknowledged_at=report.acknowledged_at,
        acknowledged_by=who(report.acknowledged_by),
    )


def _measure(measure: PreventionMeasure, who: _Actors, now: datetime) -> Measure:
    return Measure(
        number=measure.number,
        text=measure.text,
        owner=who(measure.owner_id),
        due_date=measure.due_date,
        state=measure_state(measure.implemented_at, measure.due_date, now),
        implemented_at=measure.implemented_at,
        implemented_by=who(measure.implemented_by),
    )


def measure_state(implemented_at: datetime | None, due: date | None, now: datetime) -> MeasureState:
    """Implemented, planned, or overdue once its due date (a Tokyo day) has passed."""
    if implemented_at is not None:
        return MeasureState.IMPLEMENTED
    if due is not None and now.astimezone(TOKYO).date() > due:
        return MeasureState.OVERDUE
    return MeasureState.PLANNED


def _submission(version: RecordVersion, who: _Actors) -> Submission:
    return Submission(
        version=version.version,
        sha256=version.sha256,
        submitted_at=version.submitted_at,
        submitted_by=who(version.submitted_by),
        accepted_at=version.accepted_at,
        accepted_by=who(version.accepted_by),
    )

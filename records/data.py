"""Everything the written record shows, loaded from the database into frozen values.

The values live in `records.values`; this module reads one incident's rows in a handful of
queries and turns them into a `RecordData`. A record being frozen for submission says about
itself what is true once it is submitted: its state, its version in the list of submissions
and the outcome it proposes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from jikoflow.models.audit.service import events_of
from jikoflow.models.enums import IncidentKind, IncidentState, Outcome, ReviewAnswer
from jikoflow.models.facts.appi import assess_appi
from jikoflow.models.facts.schemas import Facts
from jikoflow.models.facts.store import (
    client_learned_at,
    facts_history,
    instruction_view,
    publications_of,
    reclassifications_of,
    reviews_of,
)
from jikoflow.models.facts.tables import Instruction, RecordReview
from jikoflow.models.incidents.service import get_incident
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.parties.chain import Chain, upstream_notice_missing
from jikoflow.models.parties.queries import chain_for, get_contract, organizations_by_id
from jikoflow.models.parties.tables import Person
from jikoflow.models.response.tables import (
    CauseRevision,
    ContainmentAction,
    PreventionMeasure,
    RecordVersion,
)
from jikoflow.records.values import (
    Actor,
    Cause,
    Containment,
    FactsRevisionLine,
    InstructionLine,
    Measure,
    MeasureState,
    Org,
    PathTier,
    PublicationLine,
    Reclassified,
    RecordData,
    ReportLine,
    Submission,
    TimelineEvent,
    measure_state,
)

__all__ = [
    "Actor",
    "Cause",
    "Containment",
    "Measure",
    "MeasureState",
    "Org",
    "PathTier",
    "Proposal",
    "RecordData",
    "ReportLine",
    "Submission",
    "TimelineEvent",
    "measure_state",
    "record_data",
]


@dataclass(frozen=True)
class Proposal:
    """What a submission being frozen proposes, and who submits it."""

    by: str | None = None
    outcome: Outcome = Outcome.INCIDENT
    reason: str | None = None


def record_data(
    session: Session,
    incident_id: str,
    *,
    now: datetime,
    submitting: bool = False,
    proposal: Proposal | None = None,
    appi: bool = False,
) -> RecordData:
    """The record of an incident: a draft of the next version while open, else the latest.

    `appi`: with 甲's assessment of its duty to report to the PPC, for 甲's eyes only (a record
    submitted or shown to the other tiers leaves it out, as `status` does).

    `submitting` (or a `proposal`) gives the next version as it reads once submitted: not a
    draft, in state submitted, listing itself among the submissions with what it proposes.
    """
    incident = get_incident(session, incident_id)
    rows = _Rows(session, incident)
    freezing = proposal or (Proposal() if submitting else None)
    latest = rows.versions[-1].version if rows.versions else 0
    # Open (never submitted, or changed since the last submission): the next version is drafted.
    drafting = incident.state is IncidentState.OPEN or not rows.versions
    version = latest + 1 if freezing or drafting else latest
    ids = rows.actor_ids(incident) | ({freezing.by} if freezing and freezing.by else set())
    who = _Actors(session, ids)
    parties = _parties(session, incident, rows, who)
    submissions = [_submission(v, rows.reviews.get(v.version), who) for v in rows.versions]
    if freezing:
        submissions.append(_this_version(version, freezing, now, who))
    return RecordData(
        incident_id=incident.id,
        version=version,
        draft=drafting and not freezing,
        live=not drafting and not freezing,
        drill=incident.is_drill,
        as_of=now,
        kind=incident.kind,
        suspected=incident.suspected,
        state=IncidentState.SUBMITTED if freezing else incident.state,
        discovered_at=incident.discovered_at,
        declared_at=incident.declared_at,
        declared_by=who(incident.declared_by),
        contained_at=incident.contained_at,
        linked=rows.linked,
        summary=incident.summary,
        submissions=submissions,
        person_names=who.names,
        **_outcome(submissions, freezing),
        **parties,
        **_responses(rows, who, now),
        **_decisions(session, incident, rows, who, now, parties, appi=appi),
    )


class _Rows:
    """The rows of one incident, loaded in a handful of queries."""

    def __init__(self, session: Session, incident: Incident) -> None:
        self.containment = _all(session, ContainmentAction, incident.id, ContainmentAction.at)
        self.reports = _all(session, Report, incident.id, Report.id)
        self.causes = _all(session, CauseRevision, incident.id, CauseRevision.revision)
        self.measures = _all(session, PreventionMeasure, incident.id, PreventionMeasure.number)
        self.versions = _all(session, RecordVersion, incident.id, RecordVersion.version)
        self.instructions = _all(session, Instruction, incident.id, Instruction.number)
        self.reviews: dict[int, RecordReview] = {
            r.version: r for r in reviews_of(session, incident.id)
        }
        self.reclassifications = reclassifications_of(session, incident.id)
        self.publications = publications_of(session, incident.id)
        self.facts = facts_history(session, incident.id)
        self.events = events_of(session, incident.id)
        self.linked = _linked(session, incident)

    def actor_ids(self, incident: Incident) -> set[str]:
        """Every person id the record names."""
        ids = {incident.declared_by, *(e.actor for e in self.events)}
        ids |= {a.by for a in self.containment} | {c.by for c in self.causes}
        ids |= {r.acknowledged_by for r in self.reports} | {f.by for f in self.facts}
        ids |= {r.by for r in self.reclassifications} | {p.decided_by for p in self.publications}
        for m in self.measures:
            ids |= {m.owner_id, m.implemented_by}
        for v in self.versions:
            ids |= {v.submitted_by, v.accepted_by}
        for i in self.instructions:
            ids |= {i.given_by, i.done_by}
        for r in self.reviews.values():
            ids |= {r.submitted_by, r.answered_by}
        # A measure's owner is named in the detail of the event that added it.
        for e in self.events:
            owner = (e.detail or {}).get("owner")
            ids |= {owner} if isinstance(owner, str) else set()
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
    tier = _unapproved_tier(session, incident)
    orgs = _orgs(session, [*path_ids, *(r.recipient_id for r in rows.reports), *(tier or ())])
    depth = {o: chain.depth_of(o) for o in orgs if o in chain.members()}
    return {
        "contract_id": contract.id,
        "contract_title": contract.title,
        "client": orgs[chain.client],
        "contractor": orgs[chain.contractor],
        "org": orgs[incident.org_id],
        "org_depth": depth[incident.org_id],
        "path": [_tier(chain, orgs[o], depth[o]) for o in path_ids],
        "reports": [_report(r, orgs, who, depth.get(r.recipient_id, 0)) for r in rows.reports],
        "unapproved_tier": (orgs[tier[0]], orgs[tier[1]]) if tier else None,
        "org_names": {o.id: o.name for o in orgs.values()},
    }


def _tier(chain: Chain, org: Org, depth: int) -> PathTier:
    edge = chain.tiers.get(org.id)
    return PathTier(
        org=org,
        depth=depth,
        delegated=edge is not None,
        approved_at=edge.approved_at if edge else None,
        upstream_notified_at=edge.upstream_notified_at if edge else None,
        upstream_notice_missing=upstream_notice_missing(edge, depth),
    )


def _unapproved_tier(session: Session, incident: Incident) -> tuple[str, str] | None:
    """The tier whose missing approval opened this violation incident, from its cause's trail."""
    if incident.kind is not IncidentKind.VIOLATION or incident.linked_incident_id is None:
        return None
    for event in events_of(session, incident.linked_incident_id):
        detail = event.detail or {}
        if event.action == "violation_opened" and detail.get("incident") == incident.id:
            parent, child = detail["tier"]
            return str(parent), str(child)
    return None


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
        "timeline": [
            TimelineEvent(
                seq=e.seq, at=e.at, actor=who(e.actor), action=e.action, detail=e.detail or {}
            )
            for e in rows.events
        ],
    }


def _decisions(
    session: Session,
    incident: Incident,
    rows: _Rows,
    who: _Actors,
    now: datetime,
    parties: dict[str, Any],
    *,
    appi: bool,
) -> dict[str, Any]:
    client: Org = parties["client"]
    facts = rows.facts[-1].facts if rows.facts else Facts()
    latest_publication = rows.publications[-1] if rows.publications else None
    return {
        "facts": facts,
        "facts_revisions": [
            FactsRevisionLine(
                revision=f.revision,
                at=f.at,
                by=who(f.by),
                changed=f.changed,
                before=rows.facts[n - 1].facts if n else Facts(),
                after=f.facts,
            )
            for n, f in enumerate(rows.facts)
        ],
        "reclassifications": [
            Reclassified.model_validate(r.model_dump() | {"by": who(r.by)})
            for r in rows.reclassifications
        ],
        "instructions": [_instruction(i, who, now) for i in rows.instructions],
        "publication": (
            PublicationLine(
                decision=latest_publication.decision,
                on=latest_publication.on_date,
                reason=latest_publication.reason,
                decided_at=latest_publication.decided_at,
                decided_by=who(latest_publication.decided_by),
            )
            if latest_publication
            else None
        ),
        "appi": assess_appi(
            facts,
            kind=incident.kind,
            learned_at=client_learned_at(session, incident, client.id),
            sector=client.sector,
        )
        if appi
        else None,
    }


def _instruction(row: Instruction, who: _Actors, now: datetime) -> InstructionLine:
    view = instruction_view(row, now)
    return InstructionLine.model_validate(
        view.model_dump() | {"given_by": who(row.given_by), "done_by": who(row.done_by)}
    )


def _outcome(submissions: list[Submission], freezing: Proposal | None) -> dict[str, Any]:
    """The outcome this version states: the one it proposes, else the last proposed or decided."""
    if freezing is not None:
        return {"outcome": freezing.outcome, "outcome_reason": freezing.reason}
    if not submissions:
        return {}
    last = submissions[-1]
    return {
        "outcome": last.outcome,
        "outcome_reason": last.outcome_reason,
        "outcome_decided": last.accepted_at is not None,
    }


def _orgs(session: Session, ids: Iterable[str]) -> dict[str, Org]:
    rows = organizations_by_id(session, list(dict.fromkeys(ids)))
    return {
        o.id: Org(
            id=o.id,
            name=o.name,
            kind=o.kind,
            addressee=o.addressee,
            representative=o.representative,
            sector=o.sector,
        )
        for o in rows.values()
    }


class _Actors:
    """Turns recorded actor ids into `Actor`s, naming the known people."""

    def __init__(self, session: Session, ids: set[str]) -> None:
        people = session.exec(select(Person).where(col(Person.id).in_(sorted(ids)))).all()
        self.names = {p.id: p.name for p in people}
        self._actors = {i: Actor(id=i, name=self.names.get(i)) for i in ids}

    def __call__(self, actor_id: str | None) -> Actor | None:
        return self._actors[actor_id] if actor_id else None


def _report(report: Report, orgs: dict[str, Org], who: _Actors, depth: int) -> ReportLine:
    return ReportLine(
        recipient=orgs[report.recipient_id],
        status=report.status,
        sent_at=report.sent_at,
        delivered_at=report.delivered_at,
        acknowledged_at=report.acknowledged_at,
        acknowledged_by=who(report.acknowledged_by),
        depth=depth,
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
        evidence=measure.evidence,
    )


def _submission(version: RecordVersion, review: RecordReview | None, who: _Actors) -> Submission:
    returned = review is not None and review.answer is ReviewAnswer.RETURNED
    return Submission(
        version=version.version,
        sha256=version.sha256,
        submitted_at=version.submitted_at,
        submitted_by=who(version.submitted_by),
        accepted_at=version.accepted_at,
        accepted_by=who(version.accepted_by),
        outcome=review.outcome if review else Outcome.INCIDENT,
        outcome_reason=review.reason if review else None,
        returned_at=review.answered_at if returned and review else None,
        returned_by=who(review.answered_by) if returned and review else None,
        return_reason=review.answer_reason if returned and review else None,
    )


def _this_version(version: int, proposal: Proposal, now: datetime, who: _Actors) -> Submission:
    return Submission(
        version=version,
        sha256=None,
        submitted_at=now,
        submitted_by=who(proposal.by),
        accepted_at=None,
        accepted_by=None,
        outcome=proposal.outcome,
        outcome_reason=proposal.reason,
    )

"""The frozen values a written record (事故等報告書) is rendered from.

Templates read only these values, so rendering touches no database and the same data always
renders to the same text (a submitted version's Markdown is hashed).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from jikoflow.models.enums import (
    IncidentKind,
    IncidentState,
    InstructionStatus,
    OrgKind,
    Outcome,
    Publication,
    ReportStatus,
    Sector,
)
from jikoflow.models.facts.schemas import AppiAssessment, Facts
from jikoflow.models.times import tokyo_day


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
    addressee: str | None = None
    representative: str | None = None
    sector: Sector = Sector.PUBLIC


class PathTier(_Frozen):
    """One organisation on the delegation path: its depth (甲 0, 乙 1, first subcontractor 2, …)
    and 甲's approval of its tier (Art. 15)."""

    org: Org
    depth: int = 0
    delegated: bool = False
    approved_at: date | None = None
    upstream_notified_at: date | None = None
    # A deeper tier (再々委託等) with no record of notice to its delegator (Art. 15 (3)), as
    # `jikoflow.models.parties.chain.upstream_notice_missing` decides.
    upstream_notice_missing: bool = False


class Containment(_Frozen):
    """One measure to minimise or prevent damage (被害拡大防止措置)."""

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
    depth: int = 0


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
    evidence: str | None = None  # how the implementation is shown


class Submission(_Frozen):
    """One submitted version of the record, with what it proposed and 甲's answer.

    `sha256` is `None` for the version being frozen: a text cannot hold its own digest, which
    is kept beside it when it is submitted.
    """

    version: int
    sha256: str | None
    submitted_at: datetime
    submitted_by: Actor | None
    accepted_at: datetime | None
    accepted_by: Actor | None
    outcome: Outcome = Outcome.INCIDENT
    outcome_reason: str | None = None
    returned_at: datetime | None = None
    returned_by: Actor | None = None
    return_reason: str | None = None


class TimelineEvent(_Frozen):
    """One audit event of the incident."""

    seq: int
    at: datetime
    actor: Actor | None
    action: str
    detail: dict[str, Any]


class FactsRevisionLine(_Frozen):
    """One kept revision of the facts: when, by whom, which facts changed, from what to what
    (`before`: the facts of the revision before it; none before the first)."""

    revision: int
    at: datetime
    by: Actor | None
    changed: list[str]
    before: Facts = Facts()
    after: Facts = Facts()


class Reclassified(_Frozen):
    """A change of kind or of おそれ/発生, with its reason."""

    at: datetime
    by: Actor | None
    kind_before: IncidentKind
    kind_after: IncidentKind
    suspected_before: bool
    suspected_after: bool
    reason: str


class InstructionLine(_Frozen):
    """One instruction or request for a report from 甲 (Art. 22)."""

    number: int
    text: str
    due_on: date | None
    given_at: datetime
    given_by: Actor | None
    status: InstructionStatus
    done_at: datetime | None
    done_by: Actor | None
    done_note: str | None


class PublicationLine(_Frozen):
    """甲's decision on publication in force (Art. 25)."""

    decision: Publication
    on: date | None
    reason: str | None
    decided_at: datetime
    decided_by: Actor | None


class RecordData(_Frozen):
    """The written record of one incident as of `as_of`."""

    incident_id: str
    version: int
    draft: bool
    # A submitted version read from the database as it stands now, not the text submitted.
    live: bool = False
    drill: bool
    as_of: datetime
    contract_id: str
    contract_title: str
    client: Org
    contractor: Org
    org: Org
    org_depth: int = 1
    path: list[PathTier]
    kind: IncidentKind
    suspected: bool
    state: IncidentState
    discovered_at: datetime
    declared_at: datetime
    declared_by: Actor | None
    contained_at: datetime | None
    linked: list[str]
    # For a violation opened because a tier lacked 甲's approval: that tier (parent, child).
    unapproved_tier: tuple[Org, Org] | None = None
    summary: str
    outcome: Outcome = Outcome.INCIDENT
    outcome_reason: str | None = None
    outcome_decided: bool = False
    facts: Facts = Facts()
    facts_revisions: list[FactsRevisionLine] = []
    reclassifications: list[Reclassified] = []
    containment: list[Containment]
    reports: list[ReportLine]
    causes: list[Cause]
    measures: list[Measure]
    instructions: list[InstructionLine] = []
    publication: PublicationLine | None = None
    appi: AppiAssessment | None = None
    submissions: list[Submission]
    timeline: list[TimelineEvent]
    # Names the audit details refer to by id (organisations, people).
    org_names: dict[str, str] = {}
    person_names: dict[str, str] = {}

    @property
    def cause(self) -> Cause | None:
        """The latest revision of the cause analysis."""
        return self.causes[-1] if self.causes else None

    @property
    def earlier_causes(self) -> list[Cause]:
        """Every revision before the latest one."""
        return self.causes[:-1]

    @property
    def not_an_incident(self) -> bool:
        """Whether this version proposes (or 甲 decided) 該当なし."""
        return self.outcome is Outcome.NOT_AN_INCIDENT

    @property
    def report_day(self) -> date:
        """The day of the report (or of the draft) in Tokyo."""
        return tokyo_day(self.as_of)

    @property
    def facts_revision(self) -> FactsRevisionLine | None:
        """The revision of the facts this record shows."""
        return self.facts_revisions[-1] if self.facts_revisions else None


def measure_state(implemented_at: datetime | None, due: date | None, now: datetime) -> MeasureState:
    """Implemented, planned, or overdue once its due date (a Tokyo day) has passed."""
    if implemented_at is not None:
        return MeasureState.IMPLEMENTED
    if due is not None and tokyo_day(now) > due:
        return MeasureState.OVERDUE
    return MeasureState.PLANNED

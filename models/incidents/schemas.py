"""The incident domain's inputs and read models (DESIGN.md §7: `declare`, `status`, `list`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from jikoflow.models.enums import (
    IncidentKind,
    IncidentState,
    Outcome,
    ReportStatus,
    StepName,
    StepStatus,
)
from jikoflow.models.facts.schemas import (
    AppiAssessment,
    Facts,
    InstructionView,
    PublicationView,
    ReclassificationView,
    ReviewView,
)
from jikoflow.models.outbox.tables import Transport
from jikoflow.models.schemas import Input, ReadModel, Text, TokyoDatetime


class DeclareInput(Input):
    """A declaration: where, what kind, おそれ or 発生, when discovered, and what happened."""

    contract: str = Field(min_length=1, max_length=64)
    org: str = Field(min_length=1, max_length=64)
    kind: IncidentKind
    suspected: bool = False
    summary: Text = Field(max_length=20_000)
    discovered_at: TokyoDatetime | None = None
    improper_purpose: bool = False
    # A discovery before a tier on the path was approved is refused as a likely mistyped date
    # unless confirmed (models/incidents/discovery.py).
    confirm_discovery: bool = False


class StepView(ReadModel):
    """One Article 24 step with its clock."""

    name: StepName
    status: StepStatus
    due_at: datetime
    warn_at: datetime
    done_at: datetime | None
    # When the step's clock was met (the first containment measure, for containment).
    clock_met_at: datetime | None = None


class ReportView(ReadModel):
    """One report to one recipient organisation."""

    to: str
    to_name: str
    status: ReportStatus
    sent_at: datetime | None
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_by_name: str | None = None  # the person's name, from the parties file
    channels: list[Transport] = Field(default_factory=list)  # the transports that delivered it


class FailedNotice(ReadModel):
    """An outbox message that could not be delivered."""

    id: int
    org: str
    event: str
    error: str | None


class NoticeCounts(ReadModel):
    """The incident's messages: waiting, sent, and those that failed."""

    pending: int
    sent: int
    failed: list[FailedNotice]


class IncidentSummary(ReadModel):
    """One incident as `list` shows it."""

    id: str
    contract: str
    org: str
    kind: IncidentKind
    suspected: bool
    state: IncidentState
    declared_at: datetime
    drill: bool
    overdue_steps: list[StepName] = Field(default_factory=list)


class IncidentStatus(IncidentSummary):
    """Everything `status` shows about one incident."""

    contract_title: str
    org_name: str
    summary: str
    improper_purpose: bool
    discovered_at: datetime
    contained_at: datetime | None
    closed_at: datetime | None
    # The incident this one was opened from (a violation's cause), else the first it opened.
    linked_incident: str | None
    linked_incidents: list[str]
    steps: list[StepView]
    reports: list[ReportView]
    unreachable_by_chat: list[str]
    notifications: NoticeCounts
    # The organisations on its path (itself and its delegators) that are deeper tiers with no
    # record of notice to their delegator's delegator (Art. 15 (3)), nearest to 乙 first.
    upstream_notice_missing: list[str] = Field(default_factory=list)
    # DESIGN.md §7 and §9: how it ended (or will, once 甲 accepts), the structured facts, 甲's
    # APPI clocks (for 甲's people and the operator; None for the others), 甲's decisions.
    outcome: Outcome = Outcome.INCIDENT
    outcome_reason: str | None = None
    facts: Facts = Field(default_factory=Facts)
    facts_revision: int = 0
    appi: AppiAssessment | None = None
    instructions: list[InstructionView] = Field(default_factory=list)
    publication: PublicationView | None = None
    reclassifications: list[ReclassificationView] = Field(default_factory=list)
    reviews: list[ReviewView] = Field(default_factory=list)
    # The first entry of its audit trail that fails verification (`audit verify`); None when
    # every event and sealed row verifies.
    trail_broken: str | None = None


class Declared(ReadModel):
    """A declaration's answer: the incident, and the Art. 15 violations it revealed."""

    incident: IncidentStatus
    violations: list[str]


class DeclaredIds(ReadModel):
    """A declaration's ids: the incident, and the Art. 15 violations it revealed."""

    id: str
    violations: list[str]


class Acknowledged(ReadModel):
    """A recipient's acknowledgement of its report."""

    id: str
    to: str
    status: ReportStatus
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class OrgChoice(ReadModel):
    """An organisation offered as a choice."""

    id: str
    name: str


class PlaceChoice(ReadModel):
    """A contract and the organisations in it where the person may declare."""

    contract: str
    contract_title: str
    orgs: list[OrgChoice]


class IncidentActs(ReadModel):
    """The acts open to a person on one incident now; `acknowledge` names the recipient
    organisation whose report they may acknowledge. 甲's instructions and publication decision,
    and marking an instruction done, stay open after the incident is closed."""

    id: str
    acknowledge: str | None = None
    contain: bool = False
    cause: bool = False
    prevent: bool = False
    submit: bool = False
    accept: bool = False
    return_record: bool = False  # 差戻し, beside 受理
    facts: bool = False
    instruct: bool = False
    publish: bool = False
    complete_instruction: bool = False
    ppc: bool = False  # draft 甲's report to the PPC (not for a drill)


class AcknowledgeInput(Input):
    """A recipient's acknowledgement: the organisation (the person's own when left out)."""

    org: str | None = Field(default=None, min_length=1, max_length=64)

"""The drill domain's read models: what the drill reads answer to the portal and the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from jikoflow.drills.rules import AckOutcome, DrillState, DrillType, Relation
from jikoflow.models.schemas import ReadModel


class DrillSummary(ReadModel):
    """One drill as `drill list` shows it."""

    id: str
    type: DrillType
    state: DrillState
    contract: str
    origin: str
    scenario: str | None
    incident: str | None
    started_at: datetime
    ends_at: datetime
    reminded_at: datetime | None
    closed_at: datetime | None


class ParticipantView(ReadModel):
    """An organisation a drill reached: its message and its confirmation against the clock."""

    org: str
    name: str
    relation: Relation
    channel: str | None
    managers: int
    delivery: str  # sent, pending, failed, unreachable; "—" where no message was due
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    minutes: float | None
    outcome: AckOutcome | None  # None for a tabletop's origin, which reports rather than confirms


class QuestionView(ReadModel):
    """A question an inject puts to a scenario role."""

    role: str
    role_name: str
    ask: str


class InjectView(ReadModel):
    """An inject released so far, with its questions."""

    number: int
    at: str  # offset from the start, e.g. 1h30m
    text: str
    questions: list[QuestionView]


class RoleView(ReadModel):
    """A role of a tabletop scenario."""

    id: str
    name: str
    org: str


class DrillView(DrillSummary):
    """Everything `drill show` shows: who was reached and confirmed, the injects released."""

    participants: list[ParticipantView]
    never_answered: list[str]
    no_channel: list[str]
    no_manager: list[str]
    title: str | None = None
    situation: str | None = None
    objectives: list[str] = Field(default_factory=list)
    roles: list[RoleView] = Field(default_factory=list)
    injects_total: int = 0
    released: int = 0
    injects: list[InjectView] = Field(default_factory=list)


class CadenceView(ReadModel):
    """One kind of drill for one organisation: last done, next due, next planned."""

    every_months: int
    last: datetime | None
    due: datetime | None
    next_planned: datetime | None
    overdue: bool


class DueRow(ReadModel):
    """Whether one organisation of one contract rehearses often enough (Art. 24 (3))."""

    contract: str
    org: str
    org_name: str
    contact: CadenceView
    tabletop: CadenceView
    overdue: bool

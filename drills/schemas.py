"""The drill domain's inputs and read models: what the drill use cases take and what `drill …
--json` prints (and the API will answer)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from jikoflow.drills.rules import (
    DEFAULT_WINDOW,
    MAX_WINDOW,
    AckOutcome,
    DrillState,
    DrillType,
    FindingState,
    Relation,
)
from jikoflow.models.schemas import Day, Input, Plain, ReadModel, Text

Id = Annotated[str, Field(min_length=1, max_length=64)]
# A contact check waits for confirmations between a minute and a week.
WindowMinutes = Annotated[
    int, Field(ge=1, le=int(MAX_WINDOW.total_seconds() // 60), description="minutes")
]
Months = Annotated[int, Field(ge=1, le=60)]
_DEFAULT_MINUTES = int(DEFAULT_WINDOW.total_seconds() // 60)


# --- inputs ----------------------------------------------------------------------------------


class RunInput(Input):
    """A drill to run now: a contact check, or a tabletop exercise of a scenario."""

    contract: Id
    type: DrillType
    scenario: str | None = Field(default=None, min_length=1, max_length=500)
    org: Id | None = None  # where the simulated incident happens
    window: WindowMinutes = _DEFAULT_MINUTES


class AckInput(Input):
    """The organisation confirming a contact check (the acting person's own when omitted)."""

    org: Id | None = None


class RespondInput(Input):
    """An answer to an inject's question for one scenario role (drill content, never chat)."""

    inject: int = Field(ge=1, le=10_000)
    role: str = Field(min_length=1, max_length=40)
    text: Text = Field(max_length=20_000)


class FindingInput(Input):
    """An improvement item found by a drill."""

    text: Text = Field(max_length=20_000)
    owner: Id | None = None
    due: Day | None = None


class FindingChange(Input):
    """A change to an improvement item; fields left out stay as they are."""

    state: FindingState | None = None
    owner: Id | None = None
    due: Day | None = None
    note: Plain | None = Field(default=None, max_length=20_000)


class PlanInput(Input):
    """A drill run on a schedule (a five-field crontab in a time zone)."""

    contract: Id
    type: DrillType
    cron: str = Field(min_length=1, max_length=100)
    tz: str = Field(default="Asia/Tokyo", min_length=1, max_length=64)
    scenario: str | None = Field(default=None, min_length=1, max_length=500)
    org: Id | None = None
    window: WindowMinutes = _DEFAULT_MINUTES


class PolicyInput(Input):
    """How often a contract rehearses; a kind left out keeps its current cadence."""

    contract: Id
    contact_months: Months | None = None
    tabletop_months: Months | None = None


# --- read models -----------------------------------------------------------------------------


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


class DrillAcknowledged(ReadModel):
    """An organisation's confirmation of a contact check (the first one stands)."""

    id: str
    org: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    minutes: float | None


class InjectReleased(InjectView):
    """The inject just made available."""

    id: str
    released: int
    total: int


class DrillResponse(ReadModel):
    """An answer recorded in the drill's audit trail."""

    id: str
    inject: int
    role: str
    at: datetime


class Attendance(ReadModel):
    """A person recorded as taking part in an exercise."""

    id: str
    person: str
    at: datetime


class FindingView(ReadModel):
    """An improvement item; overdue when open past its due date."""

    id: int
    drill: str
    number: int
    text: str
    owner: str | None
    due: date | None
    state: FindingState
    overdue: bool
    note: str | None
    closed_at: datetime | None
    closed_by: str | None


class PlanView(ReadModel):
    """A drill plan with the next run its job holds (None: not scheduled)."""

    id: int
    contract: str
    type: DrillType
    scenario: str | None
    org: str | None
    cron: str
    tz: str
    window_minutes: int
    next_run: datetime | None
    scheduled: bool


class PlanRemoved(ReadModel):
    """A plan stopped; its drills keep their evidence."""

    id: int
    removed: bool = True


class PolicyView(ReadModel):
    """How often a contract rehearses."""

    contract: str
    contact_months: int
    tabletop_months: int


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


class ScenarioSummary(ReadModel):
    """A tabletop scenario: its id, title, tier and number of injects."""

    id: str
    title: str
    tier: int
    injects: int

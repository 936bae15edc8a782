"""The tables of drills (Art. 24 (3)): drills, participants, findings, plans, the lease."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from jikoflow.drills.rules import (
    DEFAULT_CONTACT_MONTHS,
    DEFAULT_TABLETOP_MONTHS,
    DEFAULT_WINDOW,
    JOBS_TABLE,
    DrillState,
    DrillType,
    FindingState,
    Relation,
)
from jikoflow.models.enums import IncidentKind
from jikoflow.models.incidents import tables as _incidents  # noqa: F401  (foreign keys)
from jikoflow.models.outbox import tables as _outbox  # noqa: F401  (its drill key, below)
from jikoflow.models.parties import tables as _parties  # noqa: F401  (foreign keys)
from jikoflow.models.types import TableModel, UTCDateTime, enum_type, json_type


class Drill(TableModel, table=True):
    """One rehearsal of one contract's response procedure."""

    id: str = Field(primary_key=True, max_length=40)
    contract_id: str = Field(foreign_key="contract.id", index=True, max_length=64)
    type: DrillType = Field(sa_type=enum_type(DrillType))
    state: DrillState = Field(default=DrillState.RUNNING, sa_type=enum_type(DrillState), index=True)
    origin_id: str = Field(foreign_key="organization.id", max_length=64)
    kind: IncidentKind = Field(default=IncidentKind.LEAK, sa_type=enum_type(IncidentKind))
    suspected: bool = True
    scenario_id: str | None = Field(default=None, max_length=64)
    scenario: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    incident_id: str | None = Field(default=None, foreign_key="incident.id", max_length=40)
    plan_id: int | None = Field(default=None, foreign_key="drillplan.id")
    started_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_by: str | None = Field(default=None, max_length=64)
    released: int = 0  # tabletop injects made available so far


class DrillParticipant(TableModel, table=True):
    """One organisation reached by a drill, and its confirmation."""

    __table_args__ = (sa.UniqueConstraint("drill_id", "org_id"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: str = Field(foreign_key="drill.id", index=True, max_length=40)
    org_id: str = Field(foreign_key="organization.id", max_length=64)
    relation: Relation = Field(sa_type=enum_type(Relation))
    channel: str | None = Field(default=None, max_length=64)
    managers: int = 0
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=64)


class DrillFinding(TableModel, table=True):
    """An improvement item found by a drill, with its owner, due date and state."""

    __table_args__ = (sa.UniqueConstraint("drill_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    drill_id: str = Field(foreign_key="drill.id", index=True, max_length=40)
    number: int
    text: str = Field(sa_type=sa.Text)
    owner_id: str | None = Field(default=None, foreign_key="person.id", max_length=64)
    due_date: date | None = None
    state: FindingState = Field(default=FindingState.OPEN, sa_type=enum_type(FindingState))
    note: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=64)


class DrillPlan(TableModel, table=True):
    """A drill run on a schedule; its trigger lives in the scheduler's job store."""

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contract.id", index=True, max_length=64)
    type: DrillType = Field(sa_type=enum_type(DrillType))
    scenario_id: str | None = Field(default=None, max_length=64)
    origin_id: str | None = Field(default=None, foreign_key="organization.id", max_length=64)
    cron: str = Field(max_length=100)
    timezone: str = Field(default="Asia/Tokyo", max_length=64)
    window_minutes: int = int(DEFAULT_WINDOW.total_seconds() // 60)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=64)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DrillPolicy(TableModel, table=True):
    """How often a contract rehearses, when it differs from the defaults (6 and 12 months)."""

    contract_id: str = Field(primary_key=True, foreign_key="contract.id", max_length=64)
    contact_months: int = DEFAULT_CONTACT_MONTHS
    tabletop_months: int = DEFAULT_TABLETOP_MONTHS
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str | None = Field(default=None, max_length=64)


class SchedulerLease(TableModel, table=True):
    """The one scheduler allowed on a database: who holds it and when it last said so."""

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=200)
    pid: int
    host: str = Field(max_length=200)
    # Where `pid` means something: the boot and process namespace of the holder's host.
    node: str | None = Field(default=None, max_length=100)
    started_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime)


# The scheduler's own job store, declared here so migrations create it with everything else;
# the columns are the ones APScheduler 3's SQLAlchemyJobStore reads and writes.
jobs_table = sa.Table(
    JOBS_TABLE,
    SQLModel.metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)

# The outbox's drill key refers to the drill table from here, so that reading the outbox
# (`status`, `list`) does not load the drill tables; the database holds the constraint always.
SQLModel.metadata.tables["notification"].append_constraint(
    sa.ForeignKeyConstraint(["drill_id"], ["drill.id"])
)

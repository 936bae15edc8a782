"""Drill plans: a `DrillPlan` row plus an APScheduler 3 job in the application database.

The job store is a SQLAlchemy store on the app database (table `jikoflow_jobs`), so a plan
survives restarts. Jobs have explicit ids and are written with `replace_existing`; `coalesce`
with a misfire grace time makes a run missed while nothing was serving fire once, late. The
plan commands write the job through the caller's session (`session_jobs`), so a plan row and
its job are committed — or rolled back — together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session, col, select

from jikoflow.drills.calendar_trigger import BusinessDayTrigger
from jikoflow.drills.rules import JOBS_TABLE
from jikoflow.drills.schemas import PlanInput, PlanView
from jikoflow.drills.tables import DrillPlan
from jikoflow.models.audit.service import record_event
from jikoflow.models.db import get_engine
from jikoflow.models.errors import BadInput, NotFound
from jikoflow.models.policy.schemas import ClosedDayRule
from jikoflow.models.times import TOKYO

PLAN_JOB = "jikoflow.drills.jobs:fire_plan"
PLANS_CHAIN = "drill-plans"  # the audit chain of plan changes
# A run missed while `serve` was down still fires (once) if it is less than a day late.
MISFIRE_GRACE = timedelta(hours=24)
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DOW_PART = re.compile(r"^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?$")


def job_id(plan_id: int) -> str:
    """The scheduler job id of a plan."""
    return f"drill-plan-{plan_id}"


def zone(name: str) -> ZoneInfo:
    """An IANA time zone, or a refusal naming the zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput("tz", f"unknown time zone {name!r} (e.g. Asia/Tokyo)") from None


def _day(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token) % 7
    if token[:3] in _DAYS and len(token) == 3:
        return _DAYS.index(token)
    raise ValueError(f"bad day of week {token!r}")


def crontab_weekdays(field: str) -> str:
    """A crontab weekday field (0 or 7 = Sunday) as names: APScheduler 3 counts from Monday."""
    days: set[int] = set()
    for part in field.lower().split(","):
        match = _DOW_PART.match(part)
        if match is None:
            raise ValueError(f"bad day of week {part!r}")
        span, step = match.group(1), int(match.group(2) or 1)
        if span == "*" and step == 1:
            return "*"
        first, _, last = ("0-6" if span == "*" else span).partition("-")
        start, end = _day(first), (_day(last) if last else _day(first))
        if last == "7":
            end = 7
        if end < start:
            raise ValueError(f"day range {span!r} runs backwards")
        days.update(d % 7 for d in range(start, end + 1, step))
    return ",".join(_DAYS[d] for d in sorted(days))


def plan_trigger(
    expr: str, tz: str = "Asia/Tokyo", closed_days: ClosedDayRule | None = None
) -> BaseTrigger:
    """A plan's schedule: the cron expression, and with a `closed_days` rule its fire times on
    closed days moved to the next business day or skipped."""
    cron = parse_cron(expr, tz)
    if closed_days is None or closed_days is ClosedDayRule.KEEP:
        return cron
    return BusinessDayTrigger(cron, closed_days)


def parse_cron(expr: str, tz: str = "Asia/Tokyo") -> CronTrigger:
    """A standard five-field crontab expression in `tz`, or a refusal naming the expression."""
    timezone = zone(tz)
    fields = expr.split()
    if len(fields) != 5:
        raise BadInput("cron", f"expected 5 fields (minute hour day month weekday), got {expr!r}")
    try:
        weekdays = crontab_weekdays(fields[4])
        minute, hour, day, month = fields[:4]
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=weekdays, timezone=timezone
        )
    except ValueError as exc:
        raise BadInput("cron", f"{expr!r}: {exc}") from None


def next_runs(
    expr: str,
    tz: str,
    after: datetime,
    count: int = 1,
    closed_days: ClosedDayRule | None = None,
) -> list[datetime]:
    """The next `count` fire times of a plan after `after` (on business days with a rule)."""
    trigger = plan_trigger(expr, tz, closed_days)
    out: list[datetime] = []
    previous: datetime | None = None
    moment = after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        out.append(fire)
        previous, moment = fire, fire + timedelta(seconds=1)
    return out


def scheduler_options(url: str) -> dict[str, Any]:
    """Job store, time zone and job defaults shared by `serve` and the plan commands."""
    return scheduler_options_for(SQLAlchemyJobStore(engine=get_engine(url), tablename=JOBS_TABLE))


def scheduler_options_for(store: SQLAlchemyJobStore) -> dict[str, Any]:
    """Time zone and job defaults around the plan job store `store`."""
    return {
        "jobstores": {"default": store},
        "timezone": TOKYO,
        "job_defaults": {
            "coalesce": True,
            "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
            "max_instances": 1,
        },
    }


def schedule_plan(
    scheduler: BaseScheduler,
    plan: DrillPlan,
    func: Any = PLAN_JOB,
    closed_days: ClosedDayRule | None = None,
) -> None:
    """Write (or rewrite) the plan's job: explicit id, coalesced, with a misfire grace time;
    on the business calendar when the contract's policy gives a `closed_days` rule."""
    assert plan.id is not None
    scheduler.add_job(
        func,
        trigger=plan_trigger(plan.cron, plan.timezone, closed_days),
        args=[plan.id],
        id=job_id(plan.id),
        name=f"{plan.type} drill for {plan.contract_id}",
        jobstore="default",
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
        max_instances=1,
    )


class JobStoreEditor(BaseScheduler):  # type: ignore[misc]
    """A scheduler that never runs jobs: it reads and writes the job store for the CLI."""

    def shutdown(self, wait: bool = True) -> None:
        """Close the job store."""
        super().shutdown(wait)

    def wakeup(self) -> None:
        """Nothing to wake: this scheduler has no loop."""


@contextmanager
def job_store(url: str) -> Iterator[BaseScheduler]:
    """The plan jobs of the database, paused: nothing fires while the CLI edits them."""
    editor = JobStoreEditor(**scheduler_options(url))
    editor.start(paused=True)
    try:
        yield editor
    finally:
        editor.shutdown(wait=False)


def create_plan(
    session: Session, data: PlanInput, *, scenario: str | None, actor: str, now: datetime
) -> DrillPlan:
    """Record a checked plan (`scenario` as the plan keeps it); its job is written by the caller."""
    parse_cron(data.cron, data.tz)
    plan = DrillPlan(
        contract_id=data.contract,
        type=data.type,
        scenario_id=scenario,
        origin_id=data.org,
        cron=data.cron,
        timezone=data.tz,
        window_minutes=data.window,
        created_at=now,
        created_by=actor,
    )
    session.add(plan)
    session.flush()
    detail = {"plan": plan.id, "contract": data.contract, "type": str(data.type), "cron": data.cron}
    record_event(session, PLANS_CHAIN, "drill_planned", actor=actor, at=now, detail=detail)
    return plan


def remove_plan(session: Session, plan: DrillPlan, *, actor: str, now: datetime) -> DrillPlan:
    """Mark a plan removed (its drills keep pointing at it); the caller removes its job."""
    plan.removed_at = now
    session.add(plan)
    detail = {"plan": plan.id}
    record_event(session, PLANS_CHAIN, "drill_unplanned", actor=actor, at=now, detail=detail)
    return plan


def get_plan(session: Session, plan_id: int) -> DrillPlan:
    """An active plan, or a refusal naming the id."""
    plan = session.get(DrillPlan, plan_id)
    if plan is None or plan.removed_at is not None:
        raise NotFound("id", f"unknown plan {plan_id}")
    return plan


def active_plans(session: Session, contract_id: str | None = None) -> list[DrillPlan]:
    """Plans not removed, oldest first."""
    query = select(DrillPlan).where(col(DrillPlan.removed_at).is_(None))
    if contract_id is not None:
        query = query.where(DrillPlan.contract_id == contract_id)
    return list(session.exec(query.order_by(col(DrillPlan.id))))


def plan_view(plan: DrillPlan, next_run: datetime | None) -> PlanView:
    """A plan as `drill plans` shows it."""
    assert plan.id is not None
    return PlanView(
        id=plan.id,
        contract=plan.contract_id,
        type=plan.type,
        scenario=plan.scenario_id,
        org=plan.origin_id,
        cron=plan.cron,
        tz=plan.timezone,
        window_minutes=plan.window_minutes,
        next_run=next_run,
        scheduled=next_run is not None,
    )


def next_run_of(scheduler: BaseScheduler, plan: DrillPlan) -> datetime | None:
    """The next run time the plan's job holds (None: no job)."""
    assert plan.id is not None
    job = scheduler.get_job(job_id(plan.id))
    return job.next_run_time if job else None


class _SessionConnection:
    """What `SQLAlchemyJobStore` needs of an engine, served by one session's connection: each
    of its writes runs in a savepoint of the caller's transaction and commits with it."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.url = session.get_bind().engine.url

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        connection = self._session.connection()
        with connection.begin_nested():
            yield connection

    def dispose(self) -> None:
        """The session's engine is not the store's to dispose of."""


class _SessionJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """The plan jobs, read and written inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        super().__init__(engine=_SessionConnection(session), tablename=JOBS_TABLE)

    def start(self, scheduler: Any, alias: str) -> None:
        """Attach to the scheduler; the table exists (the migrations create it)."""
        BaseJobStore.start(self, scheduler, alias)


@contextmanager
def session_jobs(session: Session) -> Iterator[BaseScheduler]:
    """The plan jobs in the session's transaction, paused: nothing fires while they are edited."""
    options = scheduler_options_for(_SessionJobStore(session))
    editor = JobStoreEditor(**options)
    editor.start(paused=True)
    try:
        yield editor
    finally:
        editor.shutdown(wait=False)

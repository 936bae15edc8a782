"""Step clocks (DESIGN.md §6): when each Article 24 duty is due and when to warn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jikoflow.models.calendar import add_business_days, subtract_business_days
from jikoflow.models.enums import StepName, StepStatus
from jikoflow.models.policy.schemas import ContractPolicy, StepClock
from jikoflow.models.policy.span import Span
from jikoflow.models.times import TOKYO


@dataclass(frozen=True)
class Clock:
    """How long a step may take from its start, and how long before the deadline to warn."""

    due_after: timedelta
    warn_before: timedelta


DEFAULT_CLOCKS: dict[StepName, Clock] = {
    # 「直ちに」: one hour for the first report and the first containment measure.
    StepName.CONTAINMENT: Clock(timedelta(hours=1), timedelta(minutes=30)),
    StepName.REPORT: Clock(timedelta(hours=1), timedelta(minutes=30)),
    StepName.ROOT_CAUSE: Clock(timedelta(days=14), timedelta(days=3)),
    StepName.PREVENTION: Clock(timedelta(days=20), timedelta(days=3)),
    StepName.RECORD: Clock(timedelta(days=20), timedelta(days=3)),
}

# When an improper purpose (不正な目的) is suspected, the written record gets 45 days.
IMPROPER_PURPOSE_RECORD = Clock(timedelta(days=45), timedelta(days=3))


@dataclass(frozen=True)
class Deadline:
    """A step's computed warn and due times."""

    warn_at: datetime
    due_at: datetime


def deadlines(start: datetime, *, improper_purpose: bool = False) -> dict[StepName, Deadline]:
    """Warn and due times of every step, counted from `start` (the discovery)."""
    clocks = dict(DEFAULT_CLOCKS)
    if improper_purpose:
        clocks[StepName.RECORD] = IMPROPER_PURPOSE_RECORD
    return {
        name: Deadline(start + c.due_after - c.warn_before, start + c.due_after)
        for name, c in clocks.items()
    }


def policy_deadlines(
    start: datetime, policy: ContractPolicy, *, improper_purpose: bool = False
) -> dict[StepName, Deadline]:
    """Warn and due times of every step by the contract's policy: day-scale clocks count
    Japanese business days (weekends, national holidays, 12/29–1/3 off) where it says
    `business_days: true`, due at the time of day the clock started (Asia/Tokyo)."""
    found: dict[StepName, Deadline] = {}
    for name in DEFAULT_CLOCKS:
        clock = policy.clocks.for_step(name, improper_purpose=improper_purpose)
        assert clock.due is not None  # every Article 24 step has a due of its own
        due = due_time(start, clock.due, business_days=policy.business_days)
        found[name] = Deadline(
            warn_time(start, due, clock, business_days=policy.business_days), due
        )
    return found


def due_time(start: datetime, due: Span, *, business_days: bool) -> datetime:
    """`due` after `start`: a day-scale span counts business days where `business_days`, at
    the time of day of `start` (Asia/Tokyo); anything else is clock time."""
    if due.day_scale and business_days:
        local = start.astimezone(TOKYO)
        day = add_business_days(local.date(), due.amount)
        return local.replace(year=day.year, month=day.month, day=day.day)
    return start + due.as_timedelta()


def warn_time(
    start: datetime, due_at: datetime, clock: StepClock, *, business_days: bool
) -> datetime:
    """When to warn of a step started at `start` and due at `due_at`: `clock.warn` before the
    due time, never before the start. A day-scale warning of a day-scale clock counts business
    days back where `business_days`, as its due time counts them forward: 3 days before a due
    time on Tuesday 5 January is Friday 25 December at the same time of day, never a closed
    day in between."""
    warn = clock.warn
    if warn is None:
        return max(start, due_at)
    day_clock = clock.due is None or clock.due.day_scale
    if business_days and warn.day_scale and day_clock:
        local = due_at.astimezone(TOKYO)
        day = subtract_business_days(local.date(), warn.amount)
        at = local.replace(year=day.year, month=day.month, day=day.day)
    else:
        at = due_at - warn.as_timedelta()
    return max(start, at)


def effective_status(
    stored: StepStatus, due_at: datetime, now: datetime, *, closed: bool = False
) -> StepStatus:
    """The status a user sees: a step not done past its due time is overdue, unless the
    incident is closed (a closed incident is never overdue)."""
    if stored is not StepStatus.DONE and now > due_at and not closed:
        return StepStatus.OVERDUE
    return stored


def shown_status(
    name: StepName,
    stored: StepStatus,
    due_at: datetime,
    now: datetime,
    *,
    closed: bool = False,
    contained: bool = True,
) -> StepStatus:
    """The status a step shows as the clause reads it (DESIGN.md §6): the first containment
    measure meets the 1-hour clock (stored done, so it is never overdue), but the step shows
    「措置中」 (in progress) until the damage is contained (`contain --done`)."""
    if name is StepName.CONTAINMENT and stored is StepStatus.DONE and not contained:
        return StepStatus.IN_PROGRESS
    return effective_status(stored, due_at, now, closed=closed)

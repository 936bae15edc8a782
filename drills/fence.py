"""Firing a plan once: only by the lease's holder, and once per scheduled time.

The scheduler of the process holding the lease fires plans. A holder that lost the lease
without noticing yet (it stalled past `STALE_AFTER`) must not fire; and a standby that took
over right after the old holder fired — before the job store recorded the plan's next run —
must not fire the same occurrence again. Both are checked in the transaction that starts the
drill, with the lease row locked.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from jikoflow.drills.lease import Holder, holds
from jikoflow.drills.plans import MISFIRE_GRACE, plan_trigger
from jikoflow.drills.tables import Drill, DrillPlan
from jikoflow.models.policy.schemas import ClosedDayRule
from jikoflow.models.policy.service import contract_policy

_holder: Holder | None = None
_lock = threading.Lock()


def hold_for_plans(holder: Holder | None) -> None:
    """This process fires plans as `holder` (None: it holds no lease, as in a test)."""
    global _holder
    with _lock:
        _holder = holder


def occurrence(
    plan: DrillPlan, now: datetime, closed_days: ClosedDayRule | None = None
) -> datetime | None:
    """The plan's latest scheduled time at or before `now`, within the misfire grace time."""
    trigger = plan_trigger(plan.cron, plan.timezone, closed_days)
    latest: datetime | None = None
    previous: datetime | None = None
    moment = now - MISFIRE_GRACE
    while (fire := trigger.get_next_fire_time(previous, moment)) is not None and fire <= now:
        latest, previous, moment = fire, fire, fire + timedelta(seconds=1)
    return latest


def may_fire(session: Session, plan_id: int, now: datetime) -> bool:
    """Whether this process may fire the plan now: it holds the lease (when it serves one) and
    no drill of the plan started since its latest scheduled time."""
    with _lock:
        holder = _holder
    if holder is not None and not holds(session, holder):
        return False
    plan = session.get(DrillPlan, plan_id)
    if plan is None:
        return True  # removed: starting it reports that
    since = occurrence(plan, now, contract_policy(session, plan.contract_id).drills.closed_days)
    if since is None:
        return True
    fired = session.exec(
        select(Drill.id).where(Drill.plan_id == plan_id, col(Drill.started_at) >= since)
    ).first()
    return fired is None

"""The scheduler's jobs: module-level callables with simple arguments, as APScheduler stores them.

Each reads its settings from the environment, works through the database and delivers through
the configured transports, so a job written by one process can be run by another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from jikoflow.drills.contact import remind_due
from jikoflow.drills.core import close_due
from jikoflow.drills.fence import may_fire
from jikoflow.drills.lease import Holder, renew
from jikoflow.drills.service import start_planned
from jikoflow.drills.tabletop import release_due
from jikoflow.models.db import transaction
from jikoflow.models.errors import BadInput
from jikoflow.models.settings import load_settings
from jikoflow.models.types import utcnow
from jikoflow.notifications.delivery import deliver

log = logging.getLogger("jikoflow.serve")


def fire_plan(plan_id: int) -> str | None:
    """Run the drill a plan asks for, now; returns its id (None when the plan is gone)."""
    settings = load_settings()
    now = utcnow()
    try:
        with transaction(settings.database_url) as session:
            if not may_fire(session, plan_id, now):
                log.warning("plan %s: fired already, or the lease is no longer ours", plan_id)
                return None
            drill = start_planned(session, plan_id=plan_id, now=now)
    except BadInput as exc:
        log.error("plan %s did not start: %s", plan_id, exc)
        return None
    if drill is None:
        log.warning("plan %s was removed; nothing to run", plan_id)
        return None
    stats = deliver(settings, subjects=[drill.id, drill.incident_id])
    log.info("plan %s started %s: %d message(s) sent", plan_id, drill.id, stats.sent)
    return drill.id


@dataclass
class TickResult:
    """What one drill tick did."""

    released: list[tuple[str, int]] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    sent: int = 0


def drill_tick(now: datetime | None = None) -> TickResult:
    """Release due injects, remind the silent, close ended drills, deliver their messages."""
    settings = load_settings()
    moment = now or utcnow()
    with transaction(settings.database_url) as session:
        released = release_due(session, moment)
        reminded = remind_due(session, moment)
        closed = close_due(session, moment)
    result = TickResult(released, reminded, closed)
    queued = dict.fromkeys([*(d for d, _ in released), *reminded])
    if queued:
        result.sent = deliver(settings, subjects=queued).sent
    for drill_id in reminded:
        log.info("drill %s reminded the organisations that have not confirmed", drill_id)
    for drill_id in closed:
        log.info("drill %s closed", drill_id)
    return result


def sweep_tick(now: datetime | None = None) -> int:
    """One pass of the clocks (reminders, escalations), then every due message; returns sent."""
    from jikoflow.sweep import sweep

    result: int = sweep(load_settings(), now=now or utcnow())["sent"]
    return result


def heartbeat(holder: Holder, on_lost: Callable[[], None]) -> None:
    """Renew the scheduler lease; calls `on_lost` when another process has taken it over."""
    settings = load_settings()
    if not renew(settings.database_url, holder, utcnow()):
        log.error("the scheduler lease was taken over; stopping")
        on_lost()

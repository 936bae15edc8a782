"""A plan's schedule on the Japanese business calendar: a cron trigger whose fire times on a
closed day (a weekend, a national holiday, 12/29–1/3) move to the next business day at the same
time of day, or are skipped — as the contract's policy says (`drills.closed_days`).

An APScheduler trigger, so the scheduler, the listing of next runs and the once-per-occurrence
fence all read the same times; it pickles into the job store like the cron trigger it wraps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from jikoflow.models.calendar import is_business_day, next_business_day
from jikoflow.models.policy.schemas import ClosedDayRule
from jikoflow.models.times import TOKYO

# A cron expression fires at most every minute; a year of closed days in a row does not exist.
_MAX_STEPS = 2000


class BusinessDayTrigger(BaseTrigger):  # type: ignore[misc]
    """Fire times of `cron`, each on a closed day moved to the next business day or skipped."""

    def __init__(self, cron: CronTrigger, rule: ClosedDayRule) -> None:
        self.cron = cron
        self.rule = ClosedDayRule(rule)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The next fire time after `previous_fire_time` (and from `now`), on a business day."""
        previous, moment = previous_fire_time, now
        for _ in range(_MAX_STEPS):
            fire: datetime | None = self.cron.get_next_fire_time(previous, moment)
            if fire is None:
                return None
            day = fire.astimezone(TOKYO).date()
            if is_business_day(day) or self.rule is ClosedDayRule.KEEP:
                return fire
            if self.rule is ClosedDayRule.NEXT_BUSINESS_DAY:
                local = fire.astimezone(TOKYO)
                moved = local.replace(
                    year=(target := next_business_day(day)).year,
                    month=target.month,
                    day=target.day,
                )
                if previous_fire_time is None or moved > previous_fire_time:
                    return moved.astimezone(fire.tzinfo)
            previous, moment = fire, fire + timedelta(seconds=1)
        return None

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "cron": self.cron, "rule": str(self.rule)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.cron = state["cron"]
        self.rule = ClosedDayRule(state["rule"])

    def __str__(self) -> str:
        return f"{self.cron} on business days ({self.rule})"

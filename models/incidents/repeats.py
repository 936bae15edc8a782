"""When reminders and escalations repeat (DESIGN.md §6): pure functions of times and the policy.

A series starts at a first time (a step's due time, a report's first reminder) and repeats by
the policy's `Repeat`: every so many minutes or hours of clock time, or — counted in days —
every business day (weekends, national holidays and 12/29–1/3 skipped) at the time of day the
policy names, 09:00 Asia/Tokyo by default. Occurrence 0 is the first; a `cap` allows that many
repeats after it (none: until the step is done). A sweep that ran late sends only the newest
occurrence that has come, never the ones it missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jikoflow.models.calendar import is_business_day
from jikoflow.models.policy.schemas import Repeat
from jikoflow.models.times import TOKYO

# A sweep that has not run for years still ends: it looks this many occurrences ahead at most.
MAX_STEPS = 10_000


def following(at: datetime, repeat: Repeat) -> datetime:
    """The occurrence after one at `at`."""
    if not repeat.every.day_scale:
        return at + repeat.every.as_timedelta()
    if repeat.at is None:
        return at + timedelta(days=repeat.every.amount)
    moment = at
    for _ in range(repeat.every.amount):
        moment = _next_business_time(moment, repeat)
    return moment


def _next_business_time(after: datetime, repeat: Repeat) -> datetime:
    """The first business day's `repeat.at` (Asia/Tokyo) strictly after `after`."""
    assert repeat.at is not None
    day = after.astimezone(TOKYO).date()
    while True:
        candidate = datetime.combine(day, repeat.at, tzinfo=TOKYO)
        if candidate > after and is_business_day(day):
            return candidate
        day += timedelta(days=1)


def allowed(index: int, repeat: Repeat) -> bool:
    """Whether occurrence `index` is within the cap (occurrence 0 always is)."""
    return repeat.cap is None or index <= repeat.cap


def newest(index: int, at: datetime, now: datetime, repeat: Repeat) -> tuple[int, datetime]:
    """From occurrence `index` at `at` (already come), the newest one that has come by `now`."""
    for _ in range(MAX_STEPS):
        later = following(at, repeat)
        if later > now or not allowed(index + 1, repeat):
            break
        index, at = index + 1, later
    return index, at


def escalation(
    count: int, first: datetime, next_at: datetime | None, now: datetime, repeat: Repeat
) -> tuple[int, datetime | None]:
    """Of an escalation series starting at `first` (the clock's due time), `count` already
    queued and the next due at `next_at`: the newest occurrence that has come by `now`, and when
    the one after it is due (None: the cap is reached)."""
    start = first if count == 0 else (next_at or first)
    index, at = newest(count, start, now, repeat)
    return index, following(at, repeat) if allowed(index + 1, repeat) else None


def occurrence(first: datetime, index: int, repeat: Repeat) -> datetime:
    """The time of occurrence `index` of a series starting at `first`."""
    if not repeat.every.day_scale:
        return first + index * repeat.every.as_timedelta()
    at = first
    for _ in range(index):
        at = following(at, repeat)
    return at

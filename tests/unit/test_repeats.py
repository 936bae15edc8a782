"""When reminders and escalations repeat, at fixed times: clock-time intervals, business
mornings (weekends, holidays and the year-end closure skipped), caps, late sweeps."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from jikoflow.models.incidents.repeats import allowed, escalation, following, newest, occurrence
from jikoflow.models.policy.schemas import Repeat
from jikoflow.models.policy.span import Span
from jikoflow.models.times import TOKYO

HOURLY = Repeat(every=Span.parse("1h"))
HALF_HOURLY_3 = Repeat(every=Span.parse("30m"), cap=3)
MORNINGS = Repeat(every=Span.parse("1d"), at=time(9, 0))


def tokyo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def test_clock_time_repeats_every_interval() -> None:
    first = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert following(first, HOURLY) == first + timedelta(hours=1)
    assert occurrence(first, 5, HALF_HOURLY_3) == first + timedelta(minutes=150)


def test_day_scale_repeats_on_business_mornings() -> None:
    assert following(tokyo("2026-12-22T10:00"), MORNINGS) == tokyo("2026-12-23T09:00")
    assert following(tokyo("2026-12-25T09:00"), MORNINGS) == tokyo("2026-12-28T09:00")  # Fri
    # 12/29–1/3 are closed; 2027-01-04 is a Monday.
    assert following(tokyo("2026-12-28T09:00"), MORNINGS) == tokyo("2027-01-04T09:00")
    # Before nine on a business day: that morning.
    assert following(tokyo("2026-12-23T08:59"), MORNINGS) == tokyo("2026-12-23T09:00")
    # Golden Week: 4/29 昭和の日, 5/3–5/6 (5/6 振替休日 in 2026).
    assert following(tokyo("2026-05-01T09:00"), MORNINGS) == tokyo("2026-05-07T09:00")
    every_two = Repeat(every=Span.parse("2d"), at=time(9, 0))
    assert following(tokyo("2026-12-24T09:00"), every_two) == tokyo("2026-12-28T09:00")


def test_a_cap_counts_repeats_after_the_first() -> None:
    assert [allowed(i, HALF_HOURLY_3) for i in range(5)] == [True, True, True, True, False]
    assert allowed(10_000, HOURLY)


def test_a_late_sweep_takes_the_newest_occurrence_only() -> None:
    first = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert newest(0, first, first + timedelta(minutes=59), HOURLY) == (0, first)
    late = first + timedelta(hours=5, minutes=10)
    assert newest(0, first, late, HOURLY) == (5, first + timedelta(hours=5))
    assert newest(0, first, late, HALF_HOURLY_3) == (3, first + timedelta(minutes=90))
    friday = tokyo("2026-12-25T09:00")
    assert newest(3, friday, tokyo("2026-12-27T23:00"), MORNINGS) == (3, friday)


def test_an_escalation_series_gives_the_newest_occurrence_and_the_next_one() -> None:
    due = tokyo("2026-12-04T23:59:59.999999")  # a Friday's end
    capped = Repeat(every=Span.parse("1d"), at=time(9, 0), cap=2)
    # The first, from the due time; the next is Monday's (the weekend skipped).
    assert escalation(0, due, None, tokyo("2026-12-05T00:00"), MORNINGS) == (
        0,
        tokyo("2026-12-07T09:00"),
    )
    # Counted on from the stored next time, not from the due time.
    monday = tokyo("2026-12-07T09:00")
    assert escalation(1, due, monday, monday, MORNINGS) == (1, tokyo("2026-12-08T09:00"))
    # Late: the newest that has come, once; and none after the cap.
    assert escalation(1, due, monday, tokyo("2026-12-10T10:00"), MORNINGS)[0] == 4
    assert escalation(1, due, monday, tokyo("2026-12-08T09:00"), capped) == (2, None)

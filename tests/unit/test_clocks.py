"""Step clocks (DESIGN.md §6) and times as users type them, at fixed datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jikoflow.models.enums import StepName, StepStatus
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.clocks import deadlines, effective_status, shown_status
from jikoflow.models.incidents.service import new_incident_id
from jikoflow.models.times import parse_when

TOKYO = ZoneInfo("Asia/Tokyo")
# Discovered 2026-05-01 10:00 in Tokyo (01:00 UTC).
DISCOVERED = datetime(2026, 5, 1, 10, 0, tzinfo=TOKYO)


def test_first_report_and_containment_are_due_within_the_hour() -> None:
    clocks = deadlines(DISCOVERED)
    for name in (StepName.REPORT, StepName.CONTAINMENT):
        assert clocks[name].due_at == datetime(2026, 5, 1, 11, 0, tzinfo=TOKYO)
        assert clocks[name].warn_at == datetime(2026, 5, 1, 10, 30, tzinfo=TOKYO)


def test_cause_prevention_and_record_run_in_days_with_three_days_warning() -> None:
    clocks = deadlines(DISCOVERED)
    assert clocks[StepName.ROOT_CAUSE].due_at == datetime(2026, 5, 15, 10, 0, tzinfo=TOKYO)
    assert clocks[StepName.ROOT_CAUSE].warn_at == datetime(2026, 5, 12, 10, 0, tzinfo=TOKYO)
    assert clocks[StepName.PREVENTION].due_at == datetime(2026, 5, 21, 10, 0, tzinfo=TOKYO)
    assert clocks[StepName.RECORD].due_at == datetime(2026, 5, 21, 10, 0, tzinfo=TOKYO)
    assert clocks[StepName.RECORD].warn_at == datetime(2026, 5, 18, 10, 0, tzinfo=TOKYO)


def test_improper_purpose_gives_the_written_record_45_days_only() -> None:
    normal = deadlines(DISCOVERED)
    improper = deadlines(DISCOVERED, improper_purpose=True)
    assert improper[StepName.RECORD].due_at == datetime(2026, 6, 15, 10, 0, tzinfo=TOKYO)
    assert improper[StepName.RECORD].warn_at == datetime(2026, 6, 12, 10, 0, tzinfo=TOKYO)
    for name in (StepName.CONTAINMENT, StepName.REPORT, StepName.ROOT_CAUSE, StepName.PREVENTION):
        assert improper[name] == normal[name]


def test_every_step_has_a_clock_and_warns_before_it_is_due() -> None:
    clocks = deadlines(DISCOVERED)
    assert set(clocks) == set(StepName)
    assert all(DISCOVERED < c.warn_at < c.due_at for c in clocks.values())


def test_clocks_count_in_absolute_time_whatever_the_zone() -> None:
    assert deadlines(DISCOVERED) == deadlines(DISCOVERED.astimezone(UTC))


DUE = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stored", "now", "shown"),
    [
        (StepStatus.PENDING, DUE - timedelta(seconds=1), StepStatus.PENDING),
        (StepStatus.PENDING, DUE, StepStatus.PENDING),
        (StepStatus.PENDING, DUE + timedelta(seconds=1), StepStatus.OVERDUE),
        (StepStatus.IN_PROGRESS, DUE + timedelta(days=3), StepStatus.OVERDUE),
        (StepStatus.DONE, DUE + timedelta(days=300), StepStatus.DONE),
    ],
    ids=["before", "at-due-time", "just-after", "in-progress-late", "done-never-late"],
)
def test_a_step_is_overdue_only_after_its_due_time_and_while_not_done(
    stored: StepStatus, now: datetime, shown: StepStatus
) -> None:
    assert effective_status(stored, DUE, now) is shown


def test_a_time_without_offset_is_tokyo_time() -> None:
    assert parse_when("2026-05-01T10:00", "--discovered-at") == DISCOVERED
    assert parse_when("2026-05-01 10:00:00", "--discovered-at").utcoffset() == timedelta(hours=9)


def test_a_time_with_an_offset_keeps_it() -> None:
    parsed = parse_when("2026-05-01T01:00:00+00:00", "--discovered-at")
    assert parsed == DISCOVERED
    assert parsed.utcoffset() == timedelta(0)
    assert parse_when("2026-05-01T03:00+02:00", "--now") == DISCOVERED


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "01/05/2026 10:00", ""])
def test_a_time_that_is_not_iso_8601_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_when(text, "--discovered-at")
    assert refused.value.field == "--discovered-at"


def test_incident_ids_carry_the_tokyo_date_of_declaration() -> None:
    # 16:30 UTC on 30 April is already 1 May in Tokyo.
    late_evening_utc = datetime(2026, 4, 30, 16, 30, tzinfo=UTC)
    ident = new_incident_id(late_evening_utc)
    assert ident.startswith("INC-20260501-")
    assert len(ident) == len("INC-20260501-") + 6
    assert new_incident_id(datetime(2026, 4, 30, 14, 59, tzinfo=UTC)).startswith("INC-20260430-")


def test_incident_ids_do_not_repeat() -> None:
    moment = datetime(2026, 5, 1, tzinfo=UTC)
    assert len({new_incident_id(moment) for _ in range(200)}) == 200


@pytest.mark.parametrize(
    ("name", "stored", "hours_after", "closed", "contained", "shown"),
    [
        # The first measure met the 1-hour clock: 「措置中」 until contained, never overdue.
        (StepName.CONTAINMENT, StepStatus.DONE, 5, False, False, StepStatus.IN_PROGRESS),
        (StepName.CONTAINMENT, StepStatus.DONE, 5, False, True, StepStatus.DONE),
        (StepName.CONTAINMENT, StepStatus.PENDING, 5, False, False, StepStatus.OVERDUE),
        (StepName.CONTAINMENT, StepStatus.PENDING, 0, False, False, StepStatus.PENDING),
        # A closed incident is never overdue.
        (StepName.RECORD, StepStatus.IN_PROGRESS, 24 * 60, True, True, StepStatus.IN_PROGRESS),
        (StepName.REPORT, StepStatus.IN_PROGRESS, 5, False, False, StepStatus.OVERDUE),
        (StepName.REPORT, StepStatus.DONE, 5, False, False, StepStatus.DONE),
    ],
)
def test_steps_show_as_the_clause_reads(
    name: StepName,
    stored: StepStatus,
    hours_after: int,
    closed: bool,
    contained: bool,
    shown: StepStatus,
) -> None:
    due = DISCOVERED + timedelta(hours=1)
    now = DISCOVERED + timedelta(hours=hours_after)
    assert shown_status(name, stored, due, now, closed=closed, contained=contained) is shown


def test_the_policy_clocks_are_design_section_6_by_default() -> None:
    from jikoflow.models.incidents.clocks import policy_deadlines
    from jikoflow.models.policy.schemas import ContractPolicy

    for improper in (False, True):
        assert policy_deadlines(
            DISCOVERED, ContractPolicy(), improper_purpose=improper
        ) == deadlines(DISCOVERED, improper_purpose=improper)


def test_day_scale_clocks_count_business_days_where_the_policy_says_so() -> None:
    from jikoflow.models.incidents.clocks import policy_deadlines
    from jikoflow.models.policy.schemas import ContractPolicy

    # Friday 25 December 2026, 10:00 in Tokyo: 12/29–1/3 and the weekends are closed.
    start = datetime(2026, 12, 25, 10, 0, tzinfo=TOKYO)
    clocks = policy_deadlines(start, ContractPolicy(business_days=True))
    # 14 business days: 28 Dec (1), then 4–8 Jan (2–6), 12–15 Jan (7–10; 11 Jan is 成人の日),
    # 18–21 Jan (11–14).
    assert clocks[StepName.ROOT_CAUSE].due_at == datetime(2027, 1, 21, 10, 0, tzinfo=TOKYO)
    # Hour-scale clocks stay on the clock.
    assert clocks[StepName.REPORT].due_at == start + timedelta(hours=1)
    calendar = policy_deadlines(start, ContractPolicy())
    assert calendar[StepName.ROOT_CAUSE].due_at == start + timedelta(days=14)


# Thursday 10 December 2026, 10:00 in Tokyo: the 14-day root cause falls after the year end
# (12/29–1/3), the 20-day prevention plan after 成人の日's three-day weekend (9–11 January).
BEFORE_YEAR_END = datetime(2026, 12, 10, 10, 0, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("start", "step", "warn", "due", "calendar_warn"),
    [
        (
            BEFORE_YEAR_END,
            StepName.ROOT_CAUSE,
            datetime(2026, 12, 25, 10, 0, tzinfo=TOKYO),  # Friday, the last week's
            datetime(2027, 1, 5, 10, 0, tzinfo=TOKYO),
            datetime(2027, 1, 2, 10, 0, tzinfo=TOKYO),  # a Saturday in the closure
        ),
        (
            BEFORE_YEAR_END,
            StepName.PREVENTION,
            datetime(2027, 1, 8, 10, 0, tzinfo=TOKYO),  # Friday before the long weekend
            datetime(2027, 1, 14, 10, 0, tzinfo=TOKYO),
            datetime(2027, 1, 11, 10, 0, tzinfo=TOKYO),  # 成人の日
        ),
        (
            # Wednesday 4 November 2026 (the day after 文化の日): due the Wednesday after
            # 勤労感謝の日's three-day weekend.
            datetime(2026, 11, 4, 10, 0, tzinfo=TOKYO),
            StepName.ROOT_CAUSE,
            datetime(2026, 11, 19, 10, 0, tzinfo=TOKYO),
            datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO),
            datetime(2026, 11, 22, 10, 0, tzinfo=TOKYO),  # a Sunday
        ),
    ],
)
def test_day_scale_warnings_count_business_days_back_where_the_due_counts_them(
    start: datetime, step: StepName, warn: datetime, due: datetime, calendar_warn: datetime
) -> None:
    from jikoflow.models.calendar import is_business_day
    from jikoflow.models.incidents.clocks import policy_deadlines
    from jikoflow.models.policy.schemas import ContractPolicy

    clocks = policy_deadlines(start.astimezone(UTC), ContractPolicy(business_days=True))

    assert (clocks[step].warn_at, clocks[step].due_at) == (warn, due)
    assert is_business_day(clocks[step].warn_at.astimezone(TOKYO).date())
    # Counted in calendar time, the warning would fall on a closed day.
    assert clocks[step].due_at - timedelta(days=3) == calendar_warn
    assert not is_business_day(calendar_warn.date())
    # Hour-scale clocks keep their 30 minutes.
    assert clocks[StepName.REPORT].warn_at == start + timedelta(minutes=30)


def test_a_warning_is_never_before_the_start_and_calendar_policies_keep_calendar_time() -> None:
    from jikoflow.models.incidents.clocks import due_time, warn_time
    from jikoflow.models.policy.schemas import StepClock
    from jikoflow.models.policy.span import Span

    clock = StepClock(due=Span.parse("2d"), warn=Span.parse("1d"))
    # Friday 25 December: 2 business days on is Monday 4 January, 1 back is 28 December.
    start = datetime(2026, 12, 25, 17, 0, tzinfo=TOKYO)
    due = due_time(start, Span.parse("2d"), business_days=True)
    assert due == datetime(2027, 1, 4, 17, 0, tzinfo=TOKYO)
    assert warn_time(start, due, clock, business_days=True) == datetime(
        2026, 12, 28, 17, 0, tzinfo=TOKYO
    )
    assert warn_time(start, start + timedelta(days=2), clock, business_days=False) == (
        start + timedelta(days=1)
    )
    # A warning as long as the clock itself starts at the start.
    long_warn = StepClock(due=Span.parse("1d"), warn=Span.parse("23h"))
    assert warn_time(start, due, long_warn, business_days=True) == due - timedelta(hours=23)
    early = StepClock(due=Span.parse("3d"), warn=Span.parse("2d"))
    near = datetime(2026, 12, 28, 9, 0, tzinfo=TOKYO)
    assert warn_time(near, near + timedelta(hours=1), early, business_days=True) == near


def test_a_returned_record_is_warned_business_days_before_the_end_of_its_due_day() -> None:
    from jikoflow.models.calendar import end_of_day
    from jikoflow.models.facts.rules import record_due_after_return
    from jikoflow.models.incidents.clocks import warn_time
    from jikoflow.models.policy.schemas import Clocks

    returned = datetime(2026, 12, 21, 15, 0, tzinfo=TOKYO)  # Monday
    due = record_due_after_return(returned, days=7, business_days=True)
    assert due == end_of_day(date(2027, 1, 5))
    warned = warn_time(returned, due, Clocks().record_returned, business_days=True)
    assert warned == end_of_day(date(2026, 12, 25))  # not Saturday 2 January
    assert warn_time(returned, due, Clocks().record_returned, business_days=False) == (
        end_of_day(date(2027, 1, 2))
    )

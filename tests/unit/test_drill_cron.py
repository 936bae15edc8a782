"""Plan triggers at fixed times: crontab expressions in a time zone, weekdays as crontab counts
them (0 and 7 are Sunday), and clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from jikoflow.drills.plans import crontab_weekdays, next_runs, parse_cron
from jikoflow.models.errors import BadInput

TOKYO = ZoneInfo("Asia/Tokyo")
WEDNESDAY = datetime(2026, 11, 4, 12, 0, tzinfo=TOKYO)


def local(runs: list[datetime]) -> list[str]:
    return [f"{r.astimezone(TOKYO):%a %Y-%m-%d %H:%M}" for r in runs]


def test_twice_a_year_at_ten_in_tokyo() -> None:
    runs = next_runs("0 10 1 */6 *", "Asia/Tokyo", WEDNESDAY, 3)
    assert local(runs) == ["Fri 2027-01-01 10:00", "Thu 2027-07-01 10:00", "Sat 2028-01-01 10:00"]
    assert runs[0] == datetime(2027, 1, 1, 1, 0, tzinfo=UTC)


def test_a_fire_time_equal_to_now_is_the_next_run() -> None:
    at_ten = datetime(2027, 1, 1, 10, 0, tzinfo=TOKYO)
    assert local(next_runs("0 10 1 */6 *", "Asia/Tokyo", at_ten)) == ["Fri 2027-01-01 10:00"]


@pytest.mark.parametrize(
    ("weekday", "expected"),
    [
        ("1", ["Mon 2026-11-09 10:00"]),
        ("0", ["Sun 2026-11-08 10:00"]),
        ("7", ["Sun 2026-11-08 10:00"]),
        ("mon", ["Mon 2026-11-09 10:00"]),
        ("5-7", ["Fri 2026-11-06 10:00", "Sat 2026-11-07 10:00", "Sun 2026-11-08 10:00"]),
        ("1,3", ["Mon 2026-11-09 10:00", "Wed 2026-11-11 10:00"]),
        ("*/2", ["Thu 2026-11-05 10:00", "Sat 2026-11-07 10:00", "Sun 2026-11-08 10:00"]),
    ],
)
def test_weekdays_count_as_crontab_counts_them(weekday: str, expected: list[str]) -> None:
    runs = next_runs(f"0 10 * * {weekday}", "Asia/Tokyo", WEDNESDAY, len(expected))
    assert local(runs) == expected


def test_weekday_fields_become_names() -> None:
    assert crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_weekdays("*") == "*"
    assert crontab_weekdays("0,6") == "sun,sat"


def test_the_time_zone_is_the_plans_own() -> None:
    utc = next_runs("0 10 * * *", "UTC", WEDNESDAY)
    tokyo = next_runs("0 10 * * *", "Asia/Tokyo", WEDNESDAY)
    assert utc == [datetime(2026, 11, 4, 10, 0, tzinfo=UTC)]  # 19:00 in Tokyo, same day
    assert tokyo == [datetime(2026, 11, 5, 1, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("expr", "tz", "field", "words"),
    [
        ("0 10 * *", "Asia/Tokyo", "cron", "expected 5 fields"),
        ("61 10 * * *", "Asia/Tokyo", "cron", "61"),
        ("0 10 * * fri-mon", "Asia/Tokyo", "cron", "backwards"),
        ("0 10 * * funday", "Asia/Tokyo", "cron", "funday"),
        ("0 10 * * *", "Mars/Olympus", "tz", "unknown time zone"),
    ],
)
def test_bad_expressions_are_refused_by_name(expr: str, tz: str, field: str, words: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_cron(expr, tz)
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_plan_date_on_a_closed_day_moves_or_is_skipped_by_the_policy() -> None:
    """Quarterly on the 1st at 10:00: 1 January is closed (元日, and 12/29–1/3)."""
    from jikoflow.models.policy.schemas import ClosedDayRule

    after = datetime(2026, 12, 15, tzinfo=UTC)
    plain = next_runs("0 10 1 */3 *", "Asia/Tokyo", after, 2)
    moved = next_runs("0 10 1 */3 *", "Asia/Tokyo", after, 2, ClosedDayRule.NEXT_BUSINESS_DAY)
    skipped = next_runs("0 10 1 */3 *", "Asia/Tokyo", after, 2, ClosedDayRule.SKIP)
    assert local(plain) == ["Fri 2027-01-01 10:00", "Thu 2027-04-01 10:00"]
    assert local(moved) == ["Mon 2027-01-04 10:00", "Thu 2027-04-01 10:00"]
    assert local(skipped) == ["Thu 2027-04-01 10:00", "Thu 2027-07-01 10:00"]
    kept = next_runs("0 10 1 */3 *", "Asia/Tokyo", after, 2, ClosedDayRule.KEEP)
    assert local(kept) == local(plain)  # keep: the plan's own dates, closed or not


def test_moved_runs_do_not_fire_twice_on_the_business_day() -> None:
    """Daily at 09:00: Saturday's and Sunday's runs move to Monday, which fires once."""
    from jikoflow.models.policy.schemas import ClosedDayRule

    friday = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # Friday 10:00 in Tokyo
    runs = next_runs("0 9 * * *", "Asia/Tokyo", friday, 3, ClosedDayRule.NEXT_BUSINESS_DAY)
    assert local(runs) == ["Mon 2026-11-30 09:00", "Tue 2026-12-01 09:00", "Wed 2026-12-02 09:00"]


def test_the_calendar_trigger_survives_the_job_store() -> None:
    import pickle

    from jikoflow.drills.plans import plan_trigger
    from jikoflow.models.policy.schemas import ClosedDayRule

    trigger = plan_trigger("0 10 1 */3 *", "Asia/Tokyo", ClosedDayRule.NEXT_BUSINESS_DAY)
    again = pickle.loads(pickle.dumps(trigger))
    after = datetime(2026, 12, 15, tzinfo=UTC)
    assert again.get_next_fire_time(None, after) == trigger.get_next_fire_time(None, after)

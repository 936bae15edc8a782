"""The Japanese business-day calendar and era, at fixed dates: Golden Week, substitute and
sandwiched holidays, the year-end closure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from jikoflow.models.calendar import (
    TOKYO,
    add_business_days,
    business_day_on_or_after,
    end_of_day,
    era_year,
    is_business_day,
    next_business_day,
    next_business_morning,
    previous_business_day,
    subtract_business_days,
)
from jikoflow.models.times import MIN_YEAR


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (date(2026, 4, 28), True),  # Tuesday
        (date(2026, 4, 29), False),  # 昭和の日
        (date(2026, 4, 30), True),
        (date(2026, 5, 1), True),
        (date(2026, 5, 2), False),  # Saturday
        (date(2026, 5, 3), False),  # 憲法記念日 on a Sunday
        (date(2026, 5, 4), False),  # みどりの日
        (date(2026, 5, 5), False),  # こどもの日
        (date(2026, 5, 6), False),  # 振替休日 for 5/3
        (date(2026, 5, 7), True),
        (date(2026, 9, 22), False),  # 国民の休日 between 敬老の日 and 秋分の日
        (date(2026, 11, 23), False),  # 勤労感謝の日
        (date(2026, 12, 28), True),  # the last open day of the year
        (date(2026, 12, 29), False),  # a Tuesday, closed for the year end
        (date(2026, 12, 31), False),
        (date(2027, 1, 1), False),
        (date(2027, 1, 3), False),
        (date(2027, 1, 4), True),
        (date(2027, 1, 11), False),  # 成人の日
        (date(2027, 3, 22), False),  # 振替休日 for 春分の日 on a Sunday
    ],
)
def test_business_days(day: date, open_: bool) -> None:
    assert is_business_day(day) is open_


@pytest.mark.parametrize(
    ("day", "following"),
    [
        (date(2026, 4, 28), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 5, 7)),
        (date(2026, 9, 18), date(2026, 9, 24)),
        (date(2026, 12, 28), date(2027, 1, 4)),
        (date(2026, 12, 30), date(2027, 1, 4)),  # from a closed day too
        (date(2027, 1, 8), date(2027, 1, 12)),
    ],
)
def test_next_business_day_is_strictly_after(day: date, following: date) -> None:
    assert next_business_day(day) == following


def test_a_day_on_or_after_keeps_an_open_day() -> None:
    assert business_day_on_or_after(date(2026, 5, 1)) == date(2026, 5, 1)
    assert business_day_on_or_after(date(2026, 5, 2)) == date(2026, 5, 7)


@pytest.mark.parametrize(
    ("day", "count", "result"),
    [
        (date(2026, 4, 28), 0, date(2026, 4, 28)),
        (date(2026, 4, 28), 3, date(2026, 5, 7)),
        (date(2026, 12, 25), 7, date(2027, 1, 12)),
        (date(2026, 9, 18), 1, date(2026, 9, 24)),
    ],
)
def test_adding_business_days(day: date, count: int, result: date) -> None:
    assert add_business_days(day, count) == result


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_days(date(2026, 5, 1), -1)
    with pytest.raises(ValueError, match="negative"):
        subtract_business_days(date(2026, 5, 1), -1)


@pytest.mark.parametrize(
    ("day", "count", "result"),
    [
        (date(2027, 1, 5), 0, date(2027, 1, 5)),
        (date(2027, 1, 5), 1, date(2027, 1, 4)),
        (date(2027, 1, 5), 3, date(2026, 12, 25)),  # over 12/29–1/3 and two weekends
        (date(2027, 1, 2), 1, date(2026, 12, 28)),  # from a closed day
        (date(2027, 1, 13), 3, date(2027, 1, 7)),  # over 成人の日's three-day weekend
        (date(2026, 11, 25), 3, date(2026, 11, 19)),  # over 勤労感謝の日's
        (date(2026, 5, 7), 1, date(2026, 5, 1)),  # over Golden Week
    ],
)
def test_subtracting_business_days(day: date, count: int, result: date) -> None:
    assert subtract_business_days(day, count) == result
    if count:
        assert is_business_day(result)
        assert add_business_days(result, count) == business_day_on_or_after(day)


def test_the_previous_business_day_is_strictly_before() -> None:
    assert previous_business_day(date(2027, 1, 4)) == date(2026, 12, 28)
    assert previous_business_day(date(2026, 12, 28)) == date(2026, 12, 25)


@pytest.mark.parametrize(
    ("moment", "morning"),
    [
        # Friday 10:00 before a Monday holiday: Tuesday.
        (datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO), datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)),
        # Before opening on a business day: the same morning.
        (datetime(2026, 11, 30, 8, 59, tzinfo=TOKYO), datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)),
        # At 09:00 exactly: the next one.
        (datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO), datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO)),
        # Over the year end.
        (datetime(2026, 12, 28, 18, 0, tzinfo=TOKYO), datetime(2027, 1, 4, 9, 0, tzinfo=TOKYO)),
        # Over Golden Week.
        (datetime(2026, 5, 1, 0, 30, tzinfo=UTC), datetime(2026, 5, 7, 9, 0, tzinfo=TOKYO)),
        # Sunday in UTC is Monday morning in Tokyo.
        (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)),
        # Saturday morning: Monday.
        (datetime(2026, 11, 28, 7, 0, tzinfo=TOKYO), datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)),
    ],
)
def test_the_next_business_morning(moment: datetime, morning: datetime) -> None:
    assert next_business_morning(moment) == morning


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        next_business_morning(datetime(2026, 11, 30, 9, 0))


def test_the_end_of_a_day_is_its_last_tokyo_instant() -> None:
    end = end_of_day(date(2026, 11, 30))
    assert end.astimezone(TOKYO).date() == date(2026, 11, 30)
    assert end.astimezone(UTC) == datetime(2026, 11, 30, 14, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 11, 25), "令和8年"),
        (date(2019, 5, 1), "令和元年"),
        (date(2019, 4, 30), "平成31年"),
        (date(1989, 1, 8), "平成元年"),
        (date(1989, 1, 7), "昭和64年"),
        (date(1926, 12, 25), "昭和元年"),
        (date(1926, 12, 24), "大正15年"),
        (date(1912, 7, 30), "大正元年"),
        (date(1912, 7, 29), "明治45年"),
        (date(MIN_YEAR, 1, 1), "明治33年"),  # the earliest day jikoflow accepts
    ],
)
def test_japanese_era_years(day: date, year: str) -> None:
    assert era_year(day) == year


def test_a_day_before_the_known_eras_is_refused() -> None:
    with pytest.raises(ValueError, match="before the eras"):
        era_year(date(1868, 10, 22))

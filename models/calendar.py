"""The Japanese business-day calendar and the Japanese era, in Asia/Tokyo.

A ward's office is closed on Saturdays and Sundays, on national holidays (国民の祝日, their
substitute days 振替休日 and the days between two holidays 国民の休日) and over the year end and
new year (12月29日〜1月3日, 行政機関の休日に関する法律 第1条). The national holidays come from
`jpholiday`, which follows the Holidays Act (祝日法) including its substitute-day rules and the
one-off moves of recent years.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import jpholiday

from jikoflow.models.times import TOKYO, tokyo_day

OFFICE_OPENS = time(9, 0)


def is_year_end_closure(day: date) -> bool:
    """Whether `day` falls in the year-end and new-year closure, 12/29 to 1/3."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_business_day(day: date) -> bool:
    """Whether public offices are open on `day` (not a weekend, holiday or year-end day)."""
    if day.weekday() >= 5 or is_year_end_closure(day):
        return False
    return not jpholiday.is_holiday(day)


def next_business_day(day: date) -> date:
    """The first business day strictly after `day`."""
    following = day + timedelta(days=1)
    while not is_business_day(following):
        following += timedelta(days=1)
    return following


def business_day_on_or_after(day: date) -> date:
    """`day` itself when offices are open, else the next business day."""
    return day if is_business_day(day) else next_business_day(day)


def add_business_days(day: date, count: int) -> date:
    """The `count`-th business day after `day` (`day` itself not counted); `count` ≥ 0."""
    if count < 0:
        raise ValueError("count must not be negative")
    for _ in range(count):
        day = next_business_day(day)
    return day


def previous_business_day(day: date) -> date:
    """The last business day strictly before `day`."""
    earlier = day - timedelta(days=1)
    while not is_business_day(earlier):
        earlier -= timedelta(days=1)
    return earlier


def subtract_business_days(day: date, count: int) -> date:
    """The `count`-th business day before `day` (`day` itself not counted); `count` ≥ 0. For
    a positive `count` the answer is always a business day, whatever `day` is."""
    if count < 0:
        raise ValueError("count must not be negative")
    for _ in range(count):
        day = previous_business_day(day)
    return day


def opening_on(day: date) -> datetime:
    """09:00 Asia/Tokyo on `day`."""
    return datetime.combine(day, OFFICE_OPENS, tzinfo=TOKYO)


def next_business_morning(moment: datetime) -> datetime:
    """The first 09:00 Asia/Tokyo on a business day after `moment` (repeated escalations)."""
    today = tokyo_day(moment)
    if is_business_day(today) and moment < opening_on(today):
        return opening_on(today)
    return opening_on(next_business_day(today))


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in Asia/Tokyo (a deadline "by that day")."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=TOKYO) - timedelta(
        microseconds=1
    )


# The eras of the Japanese calendar (元号) from their first day; a new era needs a new line here.
# Back to 明治: every time jikoflow accepts (from 1900, `times.out_of_range`) has its era.
ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "Reiwa"),
    (date(1989, 1, 8), "平成", "Heisei"),
    (date(1926, 12, 25), "昭和", "Showa"),
    (date(1912, 7, 30), "大正", "Taisho"),
    (date(1868, 10, 23), "明治", "Meiji"),
)


def era_of(day: date) -> tuple[str, int]:
    """The era name and the year within it of `day`: (令和, 8) for 2026-11-25."""
    for start, name, _ in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError(f"{day.isoformat()} is before the eras this calendar knows")


def era_year(day: date) -> str:
    """`day`'s year in the Japanese era: 令和8年, and 令和元年 for the first year."""
    name, year = era_of(day)
    return f"{name}{'元' if year == 1 else year}年"

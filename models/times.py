"""Time as people read and type it: stored in UTC, shown and entered in Asia/Tokyo.

One formatter for every surface (chat, terminal, portal, records): 2026年11月27日 18:30 in
Japanese, 2026-11-27 18:30 JST in English, and a compact 2026-11-27 18:30 for narrow tables
whose heading names the zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from jikoflow.models.enums import Lang
from jikoflow.models.errors import BadInput

TOKYO = ZoneInfo("Asia/Tokyo")
NOTHING = "—"


# The years a person may type: clocks and reminders add days and months to what is typed, so a
# time near datetime's own limits (0001, 9999) would fail later, far from where it was entered.
MIN_YEAR = 1900
MAX_YEAR = 2999


def out_of_range(value: date) -> str | None:
    """Why a typed day or time is outside the years jikoflow accepts, or None."""
    if value.year < MIN_YEAR:
        return f"before {MIN_YEAR}"
    if value.year > MAX_YEAR:
        return f"after {MAX_YEAR}"
    return None


def parse_when(text: str, field: str) -> datetime:
    """An ISO 8601 time as typed by a person; Asia/Tokyo when no offset is given."""
    if not text.strip():
        raise BadInput(field, "must not be empty (an ISO 8601 time, e.g. 2026-11-27T09:30)")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(field, f"not an ISO 8601 time: {text!r}") from None
    aware = value.replace(tzinfo=TOKYO) if value.tzinfo is None else value
    try:
        # Stored as UTC: a time that has no UTC equivalent (0001-01-01 in Tokyo) is refused here.
        aware.astimezone(UTC)
    except OverflowError:
        raise BadInput(field, f"out of range: {text!r}") from None
    if (why := out_of_range(aware)) is not None:
        raise BadInput(field, f"out of range: {text!r} ({why})")
    return aware


def parse_day(text: str, field: str) -> date:
    """An ISO calendar day (YYYY-MM-DD)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(field, f"not an ISO date (YYYY-MM-DD): {text!r}") from None
    if (why := out_of_range(day)) is not None:
        raise BadInput(field, f"out of range: {text!r} ({why})")
    return day


def tokyo_day(moment: datetime) -> date:
    """The calendar day of an aware moment in Asia/Tokyo."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime refused")
    return moment.astimezone(TOKYO).date()


def day_label(value: date | None, lang: Lang = Lang.JA) -> str:
    """A calendar day as people read it: 2026年12月10日 or 2026-12-10; '—' for none."""
    if value is None:
        return NOTHING
    if lang is Lang.JA:
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def tokyo_time(value: datetime | str | None, lang: Lang = Lang.JA, *, compact: bool = False) -> str:
    """A moment in Asia/Tokyo, to the minute; '—' for none. Accepts ISO text from JSON too."""
    if value is None or value == "":
        return NOTHING
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(TOKYO)
    if compact:
        return f"{local:%Y-%m-%d %H:%M}"
    if lang is Lang.JA:
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M} JST"

"""Small formatting shared by the report sections and the drill commands."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jikoflow.drills.words import WORDS
from jikoflow.models.enums import Lang
from jikoflow.models.parties.tables import Person

TOKYO = ZoneInfo("Asia/Tokyo")


def when(value: datetime | None, lang: Lang = Lang.JA) -> str:
    """A time as the report prints it (Asia/Tokyo, to the minute)."""
    if value is None:
        return WORDS[lang]["nothing"]
    return f"{value.astimezone(TOKYO):%Y-%m-%d %H:%M}" + (" JST" if lang is Lang.EN else "")


def person_name(people: dict[str, Person], person_id: str | None) -> str:
    """`name（id）` for a known person, the id otherwise, a dash for nobody."""
    if person_id is None:
        return "—"
    person = people.get(person_id)
    return f"{person.name}（{person_id}）" if person else person_id

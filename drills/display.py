"""Small formatting shared by the report sections: times and who acted."""

from __future__ import annotations

from datetime import datetime

from jikoflow.drills.words import WORDS
from jikoflow.models.access import OPERATOR_ACTOR, SYSTEM_ACTOR
from jikoflow.models.enums import Lang
from jikoflow.models.parties.tables import Person
from jikoflow.models.terms import noun
from jikoflow.models.times import tokyo_time

_NOT_PEOPLE = {OPERATOR_ACTOR: "operator", SYSTEM_ACTOR: "system"}


def when(value: datetime | None, lang: Lang = Lang.JA) -> str:
    """A time as the report prints it (Asia/Tokyo, to the minute)."""
    if value is None:
        return WORDS[lang]["nothing"]
    return tokyo_time(value, compact=True) + (" JST" if lang is Lang.EN else "")


def is_person(actor: str | None) -> bool:
    """Whether an audit actor is a person (not the operator or the system)."""
    return actor is not None and actor not in _NOT_PEOPLE


def person_name(people: dict[str, Person], actor: str | None, lang: Lang = Lang.JA) -> str:
    """`name（id）` for a known person, the operator or the system in words, the id otherwise,
    a dash for nobody."""
    if actor is None:
        return "—"
    if actor in _NOT_PEOPLE:
        return noun(_NOT_PEOPLE[actor], lang)
    person = people.get(actor)
    return f"{person.name}（{actor}）" if person else actor

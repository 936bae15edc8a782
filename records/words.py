"""Values as the record's reader reads them: times and days (Western or Japanese era), people,
facts, and the details of audit events — never a code of the program in the Japanese text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from jikoflow.models.access import OPERATOR_ACTOR, SYSTEM_ACTOR
from jikoflow.models.calendar import era_year
from jikoflow.models.enums import (
    IncidentKind,
    Lang,
    Outcome,
    Publication,
    StepName,
    SubjectNotice,
)
from jikoflow.models.facts.schemas import Facts
from jikoflow.models.terms import label, suspected_label
from jikoflow.models.times import TOKYO, day_label, tokyo_day
from jikoflow.records.labels import WORDS
from jikoflow.records.trail import DETAIL_KEYS, NOTICE_EVENTS
from jikoflow.records.values import Actor

NOTHING = "—"
# Reasons the domain records as codes (`reopened` after a change to a submitted record).
_REOPEN_REASONS: dict[Lang, dict[str, str]] = {
    Lang.JA: {
        "contain": "被害拡大防止措置の記録",
        "cause": "原因分析の記録",
        "prevent": "再発防止策の追加",
        "implement": "再発防止策の実施",
        "facts": "事実の記録",
        "reclassify": "種別等の変更",
        "return": "記録の差戻し",
    },
    Lang.EN: {},
}
_ENUM_KEYS: dict[str, type[StrEnum]] = {
    "kind": IncidentKind,
    "kind_before": IncidentKind,
    "kind_after": IncidentKind,
    "step": StepName,
    "outcome": Outcome,
    "decision": Publication,
    "subject_notice": SubjectNotice,
}
_ORG_KEYS = frozenset({"org", "to", "recipients", "tier", "acknowledgement"})
_SUSPECTED_KEYS = frozenset({"suspected", "suspected_before", "suspected_after"})
_DAY_KEYS = frozenset({"due", "on"})
# An alert's place on its repeat schedule (a sweep that ran late skips the occurrences it
# missed), not a count of messages: the trail's own rows are the count.
_UNSHOWN_KEYS = frozenset({"repeat"})
# Facts a person writes in words are 未記入 until written; the others are 不明 until learned.
_TYPED_FACTS = frozenset({"discovered_by", "how", "subject_notice"})
_DATA_FACTS = frozenset({"sensitive", "my_number"})


@dataclass(frozen=True)
class Voice:
    """How one rendering speaks: its language, its date style and the names ids stand for."""

    lang: Lang = Lang.JA
    era: bool = False
    org_names: Mapping[str, str] = field(default_factory=dict)
    person_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def words(self) -> dict[str, str]:
        """The record's words in this language."""
        return WORDS[self.lang]

    def day(self, value: date | None) -> str:
        """A calendar day: 2026年12月10日, 令和8年12月10日 or 2026-12-10."""
        if value is None or self.lang is Lang.EN or not self.era:
            return day_label(value, self.lang)
        return f"{era_year(value)}{value.month}月{value.day}日"

    def when(self, value: datetime | None) -> str:
        """A time in Asia/Tokyo: 2026年11月25日 18:30, 令和8年… or 2026-11-25 18:30 JST."""
        if value is None:
            return NOTHING
        t = value.astimezone(TOKYO)
        if self.lang is Lang.EN:
            return f"{t:%Y-%m-%d %H:%M} JST"
        return f"{self.day(t.date())} {t:%H:%M}"

    def who(self, actor: Actor | None, nobody: str = NOTHING) -> str:
        """A person by name; the operator and the system by what they are; else the id."""
        if actor is None:
            return nobody
        if actor.id == SYSTEM_ACTOR:
            return self.words["system"]
        if actor.id == OPERATOR_ACTOR:
            return self.words["operator"]
        return actor.name or actor.id

    def person(self, person_id: str) -> str:
        """A person id as its name, when known."""
        return self.who(Actor(id=person_id, name=self.person_names.get(person_id)))

    def org(self, org_id: str) -> str:
        """An organisation id as its name, when known."""
        return self.org_names.get(org_id, org_id)

    def flag(self, value: bool | None, *, contains: bool = False) -> str:
        """A yes/no fact: あり/なし (含む/含まない for data), or 不明 while unknown."""
        if value is None:
            return self.words["unknown"]
        if contains:
            return self.words["contains" if value else "not_contains"]
        return self.words["yes" if value else "no"]

    def fact(self, facts: Facts, name: str) -> str:
        """One fact as the record states it, or 不明/未記入 while it is not known."""
        value = getattr(facts, name)
        w = self.words
        if value is None:
            return w["not_entered" if name in _TYPED_FACTS else "unknown"]
        if isinstance(value, bool):
            return self.flag(value, contains=name in _DATA_FACTS)
        if isinstance(value, datetime):
            return self.when(value)
        if isinstance(value, int):
            return w[f"{name}_unit"] % f"{value:,}"
        if isinstance(value, tuple):
            return ("、" if self.lang is Lang.JA else ", ").join(value)
        if isinstance(value, StrEnum):
            return label(value, self.lang)
        return str(value)

    def detail(self, value: Mapping[str, Any]) -> str:
        """An audit event's detail as `name: value` pairs, keys sorted, empty values left out."""
        names = DETAIL_KEYS[self.lang]
        if "was" in value and "to" in value:  # a correction: `to` is the value it was set to
            value = {("corrected" if k == "to" else k): v for k, v in value.items()}
        parts = []
        for key in sorted(value):
            if key in _UNSHOWN_KEYS:
                continue
            text = self._detail_value(key, value[key])
            if text:
                parts.append(f"{names.get(key, key)}: {text}")
        return "; ".join(parts)

    def _detail_value(self, key: str, item: object) -> str:
        if item is None or item == [] or item == {}:
            return ""
        if isinstance(item, list):
            texts = (self._detail_value(key, i) for i in item)
            return ("、" if self.lang is Lang.JA else ", ").join(t for t in texts if t)
        if isinstance(item, dict):
            return json.dumps(item, ensure_ascii=False, sort_keys=True)
        if isinstance(item, bool):
            if key in _SUSPECTED_KEYS:
                return suspected_label(item, self.lang)
            return self.flag(item)
        return self._text(key, str(item))

    def _text(self, key: str, text: str) -> str:
        special = _SPECIAL.get(key)
        if special is not None:
            return special(self, text)
        if key in _ORG_KEYS:
            return self.org(text)
        if key in _ENUM_KEYS:
            return _enum_text(_ENUM_KEYS[key], text, self.lang)
        moment = _aware_time(text)
        if key in _DAY_KEYS:
            # A day, or a deadline at its end (stored as the day's last instant): its Tokyo day.
            day = _iso_day(text) or (tokyo_day(moment) if moment else None)
            return self.day(day) if day else text
        return self.when(moment) if moment else text


def _enum_text(enum: type[StrEnum], text: str, lang: Lang) -> str:
    try:
        return label(enum(text), lang)
    except ValueError:
        return text


def _error(voice: Voice, text: str) -> str:
    # A transport's error code is a diagnosis for the operator (`notifications --failed`);
    # the Japanese record says only that sending failed.
    return voice.words["yes"] if voice.lang is Lang.JA else text


def _reason(voice: Voice, text: str) -> str:
    return _REOPEN_REASONS[voice.lang].get(text, text)


def _fields(voice: Voice, text: str) -> str:
    return voice.words.get(text, text)


def _event(voice: Voice, text: str) -> str:
    return NOTICE_EVENTS[voice.lang].get(text, text)


_SPECIAL: dict[str, Callable[[Voice, str], str]] = {
    "error": _error,
    "reason": _reason,
    "fields": _fields,
    "event": _event,
    "owner": Voice.person,
}


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _aware_time(text: str) -> datetime | None:
    # Times in details are stored as ISO text in UTC; the record shows every time in Tokyo.
    if len(text) < 19 or text[10] != "T":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None

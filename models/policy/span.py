"""Durations as the policy file writes them: `30m`, `1h`, `14d`.

A span keeps its unit: a day-scale clock (`14d`) may count Japanese business days where the
policy says so, which no `timedelta` can express; minutes and hours are always clock time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

_PATTERN = re.compile(r"^\s*(\d{1,6})\s*(m|h|d)\s*$")
_LONGEST_MINUTES = 366 * 24 * 60  # a clock longer than a year is a typing error


class SpanUnit(StrEnum):
    """Minutes, hours or (calendar or business) days."""

    MINUTES = "m"
    HOURS = "h"
    DAYS = "d"


_MINUTES_PER = {SpanUnit.MINUTES: 1, SpanUnit.HOURS: 60, SpanUnit.DAYS: 24 * 60}


@dataclass(frozen=True)
class Span:
    """A positive duration in one unit."""

    amount: int
    unit: SpanUnit

    @classmethod
    def parse(cls, text: str) -> Span:
        """`30m`, `1h` or `14d`; anything else is refused."""
        match = _PATTERN.match(text)
        if match is None:
            raise ValueError("expected a duration such as 30m, 1h or 14d")
        span = cls(int(match.group(1)), SpanUnit(match.group(2)))
        if span.amount < 1:
            raise ValueError("a duration must be at least 1")
        if span.minutes > _LONGEST_MINUTES:
            raise ValueError("a duration must not exceed 366 days")
        return span

    @property
    def minutes(self) -> int:
        """Its length in minutes, a day counted as 24 hours."""
        return self.amount * _MINUTES_PER[self.unit]

    @property
    def day_scale(self) -> bool:
        """Whether it counts days (and so may count business days)."""
        return self.unit is SpanUnit.DAYS

    def as_timedelta(self) -> timedelta:
        """Its length as clock time (a day is 24 hours)."""
        return timedelta(minutes=self.minutes)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"

    @classmethod
    def _coerce(cls, value: Any) -> Span:
        if isinstance(value, Span):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError("expected a duration such as 30m, 1h or 14d, written as text")

    @classmethod
    def __get_pydantic_core_schema__(
        cls, _source: Any, _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, _schema: core_schema.CoreSchema, _handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": _PATTERN.pattern, "examples": ["30m", "1h", "14d"]}

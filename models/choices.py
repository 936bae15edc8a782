"""One parser for every choice typed by a person (a kind, a type, a language, a format)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from jikoflow.models.errors import BadInput

E = TypeVar("E", bound=StrEnum)


def parse_choice(choices: type[E], text: str, field: str) -> E:
    """`text` as a member of `choices` (case and surrounding space ignored, `-` as `_`)."""
    wanted = text.strip().lower().replace("-", "_")
    for member in choices:
        if member.value == wanted:
            return member
    allowed = ", ".join(m.value for m in choices)
    raise BadInput(field, f"{text!r} is not one of {allowed}")

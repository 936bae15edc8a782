"""Helpers for tests of written documents: the text a reader sees, and codes of the program
that must never reach Japanese text."""

from __future__ import annotations

import io
import re
from enum import StrEnum
from html.parser import HTMLParser

import pypdf

from jikoflow.models import enums
from jikoflow.models.facts.schemas import FACT_FIELDS
from jikoflow.records.trail import ACTIONS, DETAIL_KEYS
from jikoflow.records.values import MeasureState

_ENUMS: list[type[StrEnum]] = [
    enums.IncidentKind,
    enums.IncidentState,
    enums.StepName,
    enums.StepStatus,
    enums.ReportStatus,
    enums.OrgKind,
    enums.Role,
    enums.Outcome,
    enums.SubjectNotice,
    enums.Publication,
    enums.Sector,
    enums.ReviewAnswer,
    enums.InstructionStatus,
    enums.AppiReason,
    enums.AppiStage,
    MeasureState,
]
RAW_CODES: frozenset[str] = frozenset(
    {member.value for enum in _ENUMS for member in enum}
    | set(ACTIONS[enums.Lang.JA])
    | set(DETAIL_KEYS[enums.Lang.JA])
    | set(FACT_FIELDS)
    | {"true", "false", "None", "null", "@operator", "@system", "not-needed"}
)
_TOKEN = re.compile(r"[@A-Za-z0-9_.\-]+")


def raw_codes_in(text: str) -> set[str]:
    """The codes of the program that appear as words in `text`."""
    return {token for token in _TOKEN.findall(text) if token in RAW_CODES}


_INLINE = frozenset({"strong", "em", "span", "code", "b", "i", "a"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self._skip += 1
        elif tag not in _INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader of an HTML page sees: its text, without markup, styles or the title;
    a block (paragraph, cell, list item) starts with a space."""
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def pdf_text(body: bytes) -> str:
    """The text of every page of a PDF, as pypdf extracts it."""
    reader = pypdf.PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)

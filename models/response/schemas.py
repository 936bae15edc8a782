"""Inputs and read models of the Article 24 sequence after declaration."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from jikoflow.models.enums import IncidentState, Lang, Outcome
from jikoflow.models.schemas import Day, Input, Plain, ReadModel, Text


class ContainInput(Input):
    """One measure to minimise or prevent damage; `done` once the damage is contained."""

    action: Text = Field(max_length=20_000)
    done: bool = False


class CauseInput(Input):
    """The root-cause analysis (a new revision each time)."""

    text: Text = Field(max_length=50_000)


class MeasureInput(Input):
    """A recurrence-prevention measure, with its owner and due date when known."""

    measure: Text = Field(max_length=20_000)
    owner: str | None = Field(default=None, max_length=64)
    due: Day | None = None


class ImplementInput(Input):
    """A prevention measure implemented, with how that is shown when given."""

    evidence: Plain | None = Field(default=None, max_length=4000)


class SubmitInput(Input):
    """Submitting the written record: the language it is frozen in, and whether it proposes
    closing as 該当なし (not an incident: a suspicion that proved unfounded), with the reason."""

    lang: Lang = Lang.JA
    not_an_incident: bool = False
    reason: Plain | None = Field(default=None, max_length=4000)


class AcceptInput(Input):
    """Accepting the submitted record: the version read, when the caller names it — accepting
    is refused if another was submitted since."""

    version: int | None = Field(default=None, ge=1)


class ContainmentRecorded(ReadModel):
    """A containment measure recorded."""

    id: str
    at: datetime
    contained: bool


class CauseRecorded(ReadModel):
    """A revision of the root-cause analysis recorded."""

    id: str
    revision: int
    at: datetime


class MeasureRecorded(ReadModel):
    """A prevention measure added or marked implemented."""

    id: str
    number: int
    implemented: bool
    evidence: str | None = None


class Submitted(ReadModel):
    """A frozen version of the written record, and the outcome it proposes."""

    id: str
    version: int
    sha256: str
    submitted_at: datetime
    state: IncidentState
    outcome: Outcome = Outcome.INCIDENT


class Accepted(ReadModel):
    """甲's acceptance, closing the incident with the outcome the version proposed."""

    id: str
    version: int
    state: IncidentState
    accepted_by: str
    outcome: Outcome = Outcome.INCIDENT


class RecordFile(ReadModel):
    """The written record as a file; `version` and `sha256` name the submitted version it
    presents (the SHA-256 of that version's frozen Markdown), None for a draft."""

    id: str
    format: str
    lang: Lang
    version: int | None
    sha256: str | None
    draft: bool
    filename: str
    body: bytes
